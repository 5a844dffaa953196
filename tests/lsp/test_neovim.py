"""A real headless Neovim (Debian package) as the client, through the generate-and-insert flow."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from scripts.support.faults import ThreadedFaultServer
from tests.conftest import processes_matching, tool_processes
from tests.lsp.conftest import GOOD, WRAP, fenced, make_workspace, record, settings_for
from tests.lsp.helpers import anvil_check

SCRIPT = Path(__file__).parent / "nvim" / "generate.lua"
QUESTIONS = Path(__file__).parent / "nvim" / "questions.lua"


def nvim_path() -> str:
    nvim = shutil.which("nvim")
    assert nvim, "Neovim is not installed (scripts/setup.sh installs it)"
    return nvim


def nvim_env(tmp_path, folder, spec, settings, report_path, tag) -> dict[str, str]:
    return dict(os.environ, ANVIL_RUN_TAG=tag, ANVIL_SPEC=str(spec), ANVIL_ROOT=str(folder),
                ANVIL_PYTHON=sys.executable, ANVIL_SETTINGS=json.dumps(settings),
                ANVIL_NVIM_REPORT=str(report_path), ANVIL_LEDGER=str(tmp_path / "ledger.sqlite"),
                PYTHONPATH=str(Path(__file__).resolve().parents[2]), XDG_CONFIG_HOME=str(tmp_path / "cfg"),
                XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"))


async def test_neovim_generates_and_inserts_passing_rtl(tmp_path):
    nvim = nvim_path()
    (tmp_path / "ws").mkdir()
    folder = make_workspace(tmp_path / "ws")
    recording = await record(folder, [fenced(WRAP), fenced(GOOD)])
    report_path = tmp_path / "report.json"
    tag = f"nvim{os.getpid()}"
    env = nvim_env(tmp_path, folder, folder / "counter4.md", settings_for(recording), report_path, tag)
    run = subprocess.run([nvim, "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {SCRIPT}"],
                         env=env, capture_output=True, text=True, timeout=300)
    assert report_path.exists(), run.stdout + run.stderr
    report = json.loads(report_path.read_text())
    assert report["status"] == "ok", report.get("error")
    assert report["generate"]["status"] == "pass" and report["generate"]["llm_calls"] == 2
    assert report["progress"][0] == "begin" and report["progress"][-1] == "end"
    assert any(d["uri"].endswith("counter4.md") and d["count"] > 0 for d in report["diagnostics"])
    assert any(title.startswith("Anvil: Insert passing RTL") for title in report["actions"])
    out = folder / "counter4.sv"
    assert out.exists(), report
    check = anvil_check(out, folder / "counter4_tb.sv")
    assert check.returncode == 0, check.stdout + check.stderr
    assert processes_matching(str(folder)) == [] and tool_processes(f"anvil-runs-{tag}-") == []


async def test_neovim_answers_the_questions_of_a_spec_alone_and_inserts_the_unverified_rtl(tmp_path):
    """Spec-only mode: the questions wait on the spec, Neovim answers them with code actions."""
    from tests.engine.test_reference import OLD, WRONG_RESET
    from tests.engine.test_speconly import FIVE, SPEC, behaves_like

    nvim = nvim_path()
    folder = tmp_path / "ws"
    folder.mkdir()
    spec, kept, out = folder / "gray.md", folder / "gray_questions_tb.sv", folder / "gray.sv"
    spec.write_text(SPEC)
    report_path = tmp_path / "report.json"
    tag = f"nvimq{os.getpid()}"
    endpoint = ThreadedFaultServer([fenced(a) for a in FIVE], 0.0)
    try:
        settings = {"provider": "openai", "model": "scripted", "baseUrl": endpoint.url, "samples": 5, "rounds": 0,
                    "patch": "off"}
        run = subprocess.run([nvim, "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {QUESTIONS}"],
                             env=nvim_env(tmp_path, folder, spec, settings, report_path, tag), capture_output=True,
                             text=True, timeout=300)
    finally:
        endpoint.close()
    assert report_path.exists(), run.stdout + run.stderr
    report = json.loads(report_path.read_text())
    assert report["status"] == "ok", report.get("error")
    assert report["generate"]["status"] == "unverified" and report["generate"]["agree"] == 3, report["generate"]
    assert len(report["questions"]) >= 2 and all("Anvil question" in q for q in report["questions"])
    assert [a["status"] for a in report["answered"]] == ["answered", "answered"]
    assert report["left"] is None  # the question leaves the spec once answered
    assert any(t.startswith("Anvil: Insert unverified RTL") for t in report["actions"])
    assert not any("PASS" in m or "passes" in m for m in report["messages"])
    assert await behaves_like(out.read_text(), OLD, folder)
    assert anvil_check(out, kept).returncode == 0  # the kept answers: an ordinary testbench
    (folder / "wrong.sv").write_text(WRONG_RESET)
    assert anvil_check(folder / "wrong.sv", kept).returncode == 1
    assert processes_matching(str(folder)) == [] and tool_processes(f"anvil-runs-{tag}-") == []
