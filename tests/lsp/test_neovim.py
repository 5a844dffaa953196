"""A real headless Neovim (Debian package) as the client, through the generate-and-insert flow."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import processes_matching, tool_processes
from tests.lsp.conftest import GOOD, WRAP, fenced, make_workspace, record, settings_for
from tests.lsp.helpers import anvil_check

SCRIPT = Path(__file__).parent / "nvim" / "generate.lua"


async def test_neovim_generates_and_inserts_passing_rtl(tmp_path):
    nvim = shutil.which("nvim")
    assert nvim, "Neovim is not installed (scripts/setup.sh installs it)"
    (tmp_path / "ws").mkdir()
    folder = make_workspace(tmp_path / "ws")
    recording = await record(folder, [fenced(WRAP), fenced(GOOD)])
    report_path = tmp_path / "report.json"
    tag = f"nvim{os.getpid()}"
    env = dict(os.environ, ANVIL_RUN_TAG=tag, ANVIL_SPEC=str(folder / "counter4.md"), ANVIL_ROOT=str(folder),
               ANVIL_PYTHON=sys.executable, ANVIL_SETTINGS=json.dumps(settings_for(recording)),
               ANVIL_NVIM_REPORT=str(report_path), ANVIL_LEDGER=str(tmp_path / "ledger.sqlite"),
               PYTHONPATH=str(Path(__file__).resolve().parents[2]), XDG_CONFIG_HOME=str(tmp_path / "cfg"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"))
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
