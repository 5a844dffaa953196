"""Careless input to the command line: every case exits 2 with one line that names the cause,
no traceback, and no input file is ever overwritten."""

import hashlib
import json
import os
import shutil

import pytest

from tests.conftest import ROOT, run_anvil

EX = ROOT / "examples" / "counter4"
GOOD = (EX / "counter4_good.sv").read_text()


@pytest.fixture
def ws(tmp_path):
    for name in ("counter4.md", "counter4_tb.sv", "counter4_ref.sv"):
        shutil.copy(EX / name, tmp_path / name)
    (tmp_path / "rec.jsonl").write_text("")
    (tmp_path / "afile").write_text("x")
    (tmp_path / "afolder").mkdir()
    os.symlink(tmp_path / "nowhere" / "x.sv", tmp_path / "dangling.sv")
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "notsqlite").write_text("hello, not a database")
    return tmp_path


REPLAY = ["--provider", "replay", "--model", "{ws}/rec.jsonl"]
GEN = ["generate", "{ws}/counter4.md", *REPLAY]
CASES = {
    "output under a file": (GEN + ["-o", "{ws}/afile/out.sv"], "not a folder"),
    "output is a folder": (GEN + ["-o", "{ws}/afolder", "--force"], "is a folder"),
    "output is a dangling link": (GEN + ["-o", "{ws}/dangling.sv"], "dangling"),
    "output on a read-only file system": (GEN + ["-o", "/proc/anvil-out.sv"], "cannot write"),
    "output is the spec": (GEN + ["-o", "{ws}/counter4.md", "--force"], "is an input"),
    "output is the testbench": (GEN + ["-o", "{ws}/counter4_tb.sv", "--force"], "is an input"),
    "output is the reference": (GEN + ["-o", "{ws}/counter4_ref.sv", "--force"], "is an input"),
    "ledger is a folder": (GEN + ["--ledger", "{ws}/afolder"], "is a folder"),
    "ledger is not sqlite": (GEN + ["--ledger", "{ws}/notsqlite"], "not an Anvil ledger"),
    "ledger is read-only": (GEN + ["--ledger", "/proc/version"], "ledger"),
    "record into a folder": (GEN + ["--record", "{ws}/afolder"], "is a folder"),
    "binary replay file": (["generate", "{ws}/counter4.md", "--provider", "replay", "--model", "{ws}/binary.bin"],
                           "not a recording"),
    "replay file is a folder": (["generate", "{ws}/counter4.md", "--provider", "replay", "--model", "{ws}/afolder"],
                                "folder"),
    "temperature nan": (GEN + ["--temperature", "nan"], "finite"),
    "samples zero": (GEN + ["--samples", "0"], ">= 1"),
    "binary spec": (["generate", "{ws}/binary.bin", "--tb", "{ws}/counter4_tb.sv", *REPLAY], "spec"),
    "missing testbench": (["generate", "{ws}/counter4.md", "--tb", "{ws}/nope_tb.sv", *REPLAY], "not found"),
    "runs show on a folder ledger": (["runs", "show", "x", "--ledger", "{ws}/afolder"], "ledger"),
    "runs on a non-sqlite ledger": (["runs", "--ledger", "{ws}/notsqlite"], "not an Anvil ledger"),
    "check with a binary design": (["check", "{ws}/binary.bin", "--tb", "{ws}/counter4_tb.sv"], None),
    "bench on a file": (["bench", "{ws}/afile", *REPLAY], "not found"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_exits_2_with_one_line(ws, name):
    args, words = CASES[name]
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in ws.glob("counter4*")}
    run = run_anvil(*[a.format(ws=ws) for a in args], timeout=120)
    assert "Traceback" not in run.stderr, run.stderr
    if words is None:  # a verdict, not a usage error
        assert run.returncode in (1, 2)
    else:
        assert run.returncode == 2, (run.returncode, run.stdout, run.stderr)
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert lines and words in lines[-1], run.stderr
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in ws.glob("counter4*")}
    assert before == after  # no input file changed


def test_bad_anvil_toml_is_one_line(ws):
    for content in (b'[[design]]\nspec = 5\ntestbench = "counter4_tb.sv"\n', b"\xff\xfe\x00binary",
                    b'design = "not a table"\n', b'[[design]]\nspec = "counter4.md"\ntestbench = "counter4_tb.sv"\n'
                                                 b'with = [1, 2]\n'):
        (ws / "anvil.toml").write_bytes(content)
        run = run_anvil("generate", ws / "counter4.md", *[a.format(ws=ws) for a in REPLAY], cwd=ws)
        assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
        assert "anvil.toml" in run.stderr.splitlines()[-1]


def test_non_utf8_on_standard_input_is_judged(ws):
    text = GOOD.replace("// A correct answer", "// caf\xe9 A correct answer").encode("latin-1")
    run = run_anvil("check", "-", "--tb", ws / "counter4_tb.sv", input_bytes=text)
    assert run.returncode == 0, run.stderr


def test_a_broken_testbench_without_reference_costs_no_model_call(ws):
    (ws / "counter4_ref.sv").unlink()
    tb = ws / "counter4_tb.sv"
    tb.write_text(tb.read_text().replace("RefModule ref_model", "RefModule ref_model;;;"))
    run = run_anvil("generate", ws / "counter4.md", *[a.format(ws=ws) for a in REPLAY])
    assert run.returncode == 2 and "does not compile" in run.stderr.splitlines()[-1], run.stderr
    check = run_anvil("check", EX / "counter4_good.sv", "--tb", tb)
    assert check.returncode == 2 and "broken" in check.stderr


def test_runs_reads_and_creates_nothing(tmp_path):
    missing = tmp_path / "sub" / "ledger.sqlite"
    run = run_anvil("runs", "--ledger", missing)
    assert run.returncode == 0 and "no runs recorded" in run.stdout and not (tmp_path / "sub").exists()
    show = run_anvil("runs", "show", "%", "--ledger", missing)
    assert show.returncode == 2 and not (tmp_path / "sub").exists()


def test_runs_show_takes_the_id_literally(ws):
    ledger = ws / "l.sqlite"
    run = run_anvil("generate", ws / "counter4.md", "--provider", "replay", "--model", ws / "rec.jsonl",
                    "--ledger", ledger, "--samples", "1", "--rounds", "0")
    assert run.returncode == 2  # an empty recording: the provider never answered
    listed = run_anvil("runs", "--ledger", ledger, "--json")
    runs = json.loads(listed.stdout)
    assert runs and runs[0]["status"] == "error"
    assert run_anvil("runs", "show", "%", "--ledger", ledger).returncode == 2
    assert run_anvil("runs", "show", runs[0]["id"][:4], "--ledger", ledger).returncode == 0



def test_a_locked_ledger_is_waited_for_then_refused(ws):
    import sqlite3

    ledger = ws / "locked.sqlite"
    holder = sqlite3.connect(ledger, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # another process writing, for longer than we wait
    try:
        run = run_anvil("generate", ws / "counter4.md", *[a.format(ws=ws) for a in REPLAY], "--ledger", ledger,
                        env=dict(os.environ, ANVIL_LEDGER_WAIT="2", PYTHONPATH=str(ROOT)))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "locked by another process; waiting up to 2 s" in run.stderr
    assert "is locked by another process (waited 2 s)" in run.stderr.splitlines()[-1]


def test_a_ledger_from_an_older_anvil_is_shown_read_only(ws):
    """A sweep started before the patch search still runs; ``anvil runs show`` reads its ledger."""
    import sqlite3

    from engine.ledger import Ledger

    ledger = ws / "old.sqlite"
    Ledger(ledger).close()
    db = sqlite3.connect(ledger, isolation_level=None)
    db.execute("DROP TABLE patches")
    db.execute("INSERT INTO runs (id, started, problem, status, manifest, tag) "
                "VALUES ('abc123', 0, 'p', 'broken', '{}', NULL)")
    db.close()
    shown = run_anvil("runs", "show", "abc123", "--ledger", ledger)
    assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
    assert "abc123" in shown.stdout


def test_a_reader_that_stops_early_is_no_error(ws):
    """`anvil runs list | head`: the closed pipe ends the command quietly, exit 0."""
    import sqlite3
    import subprocess
    import sys

    from engine.ledger import Ledger

    ledger = ws / "many.sqlite"
    Ledger(ledger).close()
    db = sqlite3.connect(ledger, isolation_level=None)
    db.executemany("INSERT INTO runs (id, started, problem, status, manifest, tag) VALUES (?, ?, ?, 'solved', '{}', NULL)",
                   [(f"run{i:06d}", i, "p" * 60, ) for i in range(1500)])  # far more than a pipe holds
    db.close()
    run = subprocess.run(f"{sys.executable} -m anvil runs list -n 1500 --ledger {ledger} | head -c 10 >/dev/null; "
                         "exit ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", capture_output=True, text=True,
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert run.returncode == 0 and run.stderr == "", run.stderr


@pytest.mark.parametrize("limit", ["-1", "0", "many"])
def test_runs_refuses_a_limit_that_is_not_above_zero(tmp_path, limit):
    run = run_anvil("runs", "--limit", limit, "--ledger", tmp_path / "l.sqlite")
    assert run.returncode == 2 and "--limit" in run.stderr.splitlines()[-1]
