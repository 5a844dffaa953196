"""`anvil bench --executor ray` on a real local Ray cluster (127.0.0.1, 2 CPUs), real Icarus, and
replayed or scripted model answers: the same results as the local executor, resume after an
interrupt, a killed worker's task retried, a worker without Icarus reported."""

from __future__ import annotations

import importlib
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.ledger import Ledger, LedgerError
from engine.providers import RecordingProvider
from engine.run import Runtime
from engine.settings import RunSettings
from oracle import Oracle
from scripts.support.faults import ThreadedFaultServer as Endpoint
from scripts.support.faults import free_port
from sweeps.benchmark import arms, read_dataset, sweep
from sweeps.outcomes import JsonlOutcomes, LedgerOutcomes
from tests.conftest import ROOT, interruptible
from tests.engine.fakes import ScriptedProvider, fenced

importlib.import_module("ray")  # the ray extra (scripts/setup.sh installs it): a missing one fails here

EX = ROOT / "examples" / "counter4"
GOOD = (EX / "counter4_good.sv").read_text()
WRAP = GOOD.replace("count + 4'd1", "(count == 4'd9 ? 4'd0 : count + 4'd1)")
RAY = Path(sys.executable).with_name("ray")
#: Ray >= 2.59 starts clusters with token authentication; a driver must then say so too. The
#: token is the tests' own: a fresh machine has no ~/.ray/auth_token, and the user's is left alone
ENV = dict(os.environ, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(32), RAY_USAGE_STATS_ENABLED="0")
COMPARED = ("status", "calls", "best_status", "best_score", "first_pass_call", "samples_passed", "samples", "holds")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """`ray start --head` on 127.0.0.1 with 2 CPUs, as a user would start one; stopped after."""
    port = free_port()
    env = ENV
    start = subprocess.run([str(RAY), "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port),
                            "--num-cpus", "2", "--include-dashboard", "false", "--disable-usage-stats"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert start.returncode == 0, start.stdout + start.stderr
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([str(RAY), "stop", "--force"], capture_output=True, env=env, timeout=120)


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("alpha", "beta", "gamma"):
        shutil.copy(EX / "counter4.md", folder / f"{name}_prompt.txt")
        shutil.copy(EX / "counter4_tb.sv", folder / f"{name}_test.sv")
        shutil.copy(EX / "counter4_ref.sv", folder / f"{name}_ref.sv")
    return folder


async def recording(data: Path, path: Path) -> Path:
    """A model that solves only when repairing, recorded for every arm's requests."""
    def answer(request, i):
        return fenced(GOOD if len(request.messages) > 2 else WRAP)

    await sweep(read_dataset(data), arms(RunSettings(budget=2, patch="off"), ["single", "sample", "repair"]),
                Runtime(provider=RecordingProvider(ScriptedProvider(answer), path), oracle=Oracle()),
                store=JsonlOutcomes(path.with_suffix(".scratch.jsonl")))
    return path


def bench(data: Path, ws: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "anvil", "bench", str(data), "--budget", "2", "--patch", "off",
            "--ledger", str(ws / "ledger.sqlite"),
            "--out", str(ws / "out"), "--name", "ray-test", *extra]


def results(ws: Path) -> dict[tuple[str, str], dict]:
    lines = [json.loads(x) for x in (ws / "out" / "results.jsonl").read_text().splitlines()]
    return {(o["problem"], o["arm"]): o for o in lines}


def workers_running() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if cmdline.startswith("ray::SweepWorker"):
                found.append(f"{entry.name} {cmdline.strip()}")
    return found


def until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def test_a_ray_sweep_gives_the_local_executors_results(cluster, data, tmp_path):
    rec = await recording(data, tmp_path / "rec.jsonl")
    replay = ["--provider", "replay", "--model", str(rec), "--strategies", "single,sample,repair", "--k", "1,2"]
    here, there = tmp_path / "local", tmp_path / "ray"
    local = subprocess.run(bench(data, here, *replay), capture_output=True, text=True, cwd=ROOT, timeout=300, env=ENV)
    assert local.returncode == 0, local.stderr
    remote = subprocess.run(bench(data, there, *replay, "--executor", "ray", "--address", cluster),
                            capture_output=True, text=True, cwd=ROOT, timeout=300, env=ENV)
    assert remote.returncode == 0, remote.stderr
    assert "ray: 2 workers ready" in remote.stderr and "Traceback" not in remote.stderr
    mine, theirs = results(here), results(there)
    assert set(mine) == set(theirs) and len(mine) == 9
    for key in mine:
        assert {k: mine[key][k] for k in COMPARED} == {k: theirs[key][k] for k in COMPARED}, key
    assert theirs[("alpha", "repair")]["status"] == "solved" and theirs[("alpha", "sample")]["status"] == "unsolved"
    # the summary (pass@k included) is the same table; the ledger has every run, written by the driver
    def table(ws):
        return [line for line in (ws / "out" / "summary.md").read_text().splitlines() if line.startswith("|")]

    def strip(rows):  # strategy .. calls_to_solve (not times)
        return [r.split("|")[1:9] for r in rows]
    assert strip(table(here)) == strip(table(there))
    ledger = Ledger(there / "ledger.sqlite", read_only=True)
    runs = ledger.runs(limit=100)
    assert len(runs) == 9 and all(r["status"] in ("solved", "unsolved") for r in runs)
    shown = ledger.run(theirs[("alpha", "repair")]["run_id"])
    assert shown["tag"] == "ray-test:alpha:repair" and len(shown["candidates"]) == 2
    assert shown["manifest"]["testbench"] == str(data / "alpha_test.sv") and "pid" in shown["manifest"]["node"]
    again = subprocess.run(bench(data, there, *replay, "--executor", "ray", "--address", cluster),
                           capture_output=True, text=True, cwd=ROOT, timeout=300, env=ENV)
    assert again.returncode == 0 and "9 done, 0 to run" in again.stderr


def finished_tasks(ledger_path: Path) -> int:
    """What the driver has stored so far (0 while it is still creating the ledger)."""
    try:
        return len(LedgerOutcomes(Ledger(ledger_path, read_only=True), "ray-test").done()) if ledger_path.exists() else 0
    except (sqlite3.Error, LedgerError):
        return 0


def test_an_interrupted_ray_sweep_resumes(cluster, data, tmp_path):
    endpoint = Endpoint([fenced(WRAP)], delay_s=4.0)  # 9 calls on 2 workers: ~20 s, Ctrl-C after ~8 s
    try:
        cmd = bench(data, tmp_path, "--provider", "openai", "--model", "slow", "--base-url", endpoint.url,
                    "--strategies", "single,sample", "--executor", "ray", "--address", cluster)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=ENV,
                                preexec_fn=interruptible)
        ledger_path = tmp_path / "ledger.sqlite"
        until(lambda: finished_tasks(ledger_path) >= 2, 120, "two finished tasks")
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "Traceback" not in err
        finished = LedgerOutcomes(Ledger(ledger_path, read_only=True), "ray-test").done()
        assert 2 <= len(finished) < 6
        until(lambda: not workers_running(), 30, "the workers to be gone after Ctrl-C")
        endpoint.server.delay_s = 0
        resumed = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300, env=ENV)
        assert resumed.returncode == 0, resumed.stderr
        assert f"{len(finished)} done, {6 - len(finished)} to run" in resumed.stderr
        assert len(results(tmp_path)) == 6
        assert len(Ledger(ledger_path, read_only=True).runs(limit=100)) >= 6
    finally:
        endpoint.close()


def test_a_killed_workers_task_is_retried(cluster, data, tmp_path):
    endpoint = Endpoint([fenced(GOOD)], delay_s=3.0)
    try:
        cmd = bench(data, tmp_path, "--provider", "openai", "--model", "slow", "--base-url", endpoint.url,
                    "--strategies", "single", "--executor", "ray", "--address", cluster)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=ENV)
        busy = until(lambda: [w for w in workers_running() if "SweepWorker.run" in w], 120, "a busy worker")
        os.kill(int(busy[0].split()[0]), signal.SIGKILL)
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "lost with its worker" in err and "retrying once" in err
        got = results(tmp_path)
        assert len(got) == 3 and all(o["status"] == "solved" for o in got.values())
        retried = next(line.split()[0] for line in err.splitlines() if "retrying once" in line)
        assert got[(retried, "single")]["status"] == "solved"  # the lost task ran again, to the end
        runs = Ledger(tmp_path / "ledger.sqlite", read_only=True).runs(limit=100)
        assert sorted(r["tag"] for r in runs) == [f"ray-test:{p}:single" for p in ("alpha", "beta", "gamma")]
    finally:
        endpoint.close()


def test_a_worker_without_icarus_is_reported_and_nothing_is_stored(data, tmp_path):
    """A local Ray for the sweep (no --address) whose workers cannot find Icarus."""
    endpoint = Endpoint([fenced(GOOD)], delay_s=0.0)
    try:
        cmd = bench(data, tmp_path, "--provider", "openai", "--model", "m", "--base-url", endpoint.url,
                    "--strategies", "single", "--executor", "ray", "--workers", "1", "--only", "alpha")
        run = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300,
                             env=dict(ENV, ANVIL_IVERILOG="/nonexistent/iverilog"))
        assert run.returncode == 2, run.stderr
        assert "Icarus Verilog is not installed on" in run.stderr and "Traceback" not in run.stderr
        assert "run the same command again to retry them" in run.stderr.splitlines()[-1]
        assert LedgerOutcomes(Ledger(tmp_path / "ledger.sqlite", read_only=True), "ray-test").done() == set()
    finally:
        endpoint.close()


def test_doctor_checks_icarus_on_every_node(cluster):
    run = subprocess.run([sys.executable, "-m", "anvil", "doctor", "--ray", cluster, "--json"], capture_output=True,
                         text=True, cwd=ROOT, timeout=120, env=ENV)
    nodes = [c for c in json.loads(run.stdout) if c["name"].startswith("node ")]
    assert len(nodes) == 1 and nodes[0]["ok"] and "Icarus Verilog" in nodes[0]["detail"], run.stdout + run.stderr
