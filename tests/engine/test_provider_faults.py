"""A provider that fails in every way real servers do (a scripted endpoint on 127.0.0.1): the run
ends, recorded, and its last line names the provider's error; nothing is left "running"."""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from engine.ledger import Ledger
from scripts.support.faults import FaultServer
from tests.conftest import ROOT, interruptible

EX = ROOT / "examples" / "counter4"
MODES = ["malformed", "bytes", "html", "types", "empty", "429", "500", "drop", "dribble"]


@pytest.fixture
def ws(tmp_path):
    for name in ("counter4.md", "counter4_tb.sv", "counter4_ref.sv"):
        shutil.copy(EX / name, tmp_path / name)
    return tmp_path


async def generate(ws, url: str, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess:
    args = [sys.executable, "-m", "anvil", "generate", str(ws / "counter4.md"), "--provider", "openai",
            "--base-url", url, "--model", "m", "--samples", "2", "--rounds", "0", "--call-timeout", "2",
            "--ledger", str(ws / "ledger.sqlite"), "--patch", "off", *extra]
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
                                                cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return subprocess.CompletedProcess(args, proc.returncode, out.decode(), err.decode())


@pytest.mark.parametrize("mode", MODES)
async def test_a_provider_that_never_answers_ends_the_run_with_its_cause(ws, mode):
    async with FaultServer(mode) as server:
        start = time.monotonic()
        run = await generate(ws, server.url)
    elapsed = time.monotonic() - start
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("anvil: the provider never answered: openai:"), last
    assert "2 calls failed" in last
    runs = Ledger(ws / "ledger.sqlite", read_only=True).runs()
    assert runs[0]["status"] == "error" and runs[0]["reason"].startswith("the provider never answered")
    if mode == "dribble":  # --call-timeout 2 is a deadline per call (4 tries each, 2 calls at once)
        assert elapsed < 60 and "no answer within 2 s" in last


async def test_the_server_tells_the_user_when_the_provider_never_answers(ws):
    from scripts.support.lspfuzz import RawServer

    async with FaultServer("500") as fault:
        server = RawServer()
        await asyncio.to_thread(server.initialize, ws)
        server.notify("workspace/didChangeConfiguration", {"settings": {"anvil": {
            "provider": "openai", "baseUrl": fault.url, "model": "m", "samples": 1, "rounds": 0, "callTimeout": 2}}})
        server.request(40, "workspace/executeCommand", {"command": "anvil.generate",
                                                       "arguments": [{"uri": (ws / "counter4.md").as_uri()}]})
        answer = None
        for _ in range(600):
            await asyncio.sleep(0.1)
            server.answer_server_requests()
            answer = server.response(40, timeout=0.01)
            if answer is not None:
                break
        shown = [m for m in server.messages if m.get("method") == "window/showMessage"]
        server.close()
    assert answer is not None and answer["result"]["status"] == "error", answer
    assert "never answered" in answer["result"]["message"]
    assert any("never answered" in m["params"]["message"] for m in shown)


async def test_ctrl_c_on_a_silent_provider_exits_130_and_the_ledger_says_cancelled(ws):
    async with FaultServer("hang") as server:
        args = [sys.executable, "-m", "anvil", "generate", str(ws / "counter4.md"), "--provider", "openai",
                "--base-url", server.url, "--model", "m", "--ledger", str(ws / "ledger.sqlite")]
        proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.PIPE, cwd=ROOT,
                                                    preexec_fn=interruptible)
        for _ in range(1200):  # the first request (up to 2 minutes: a loaded CI machine starts slowly)
            await asyncio.sleep(0.1)
            if server.requests or proc.returncode is not None:
                break
        assert server.requests and proc.returncode is None, "anvil generate never asked the endpoint"
        proc.send_signal(signal.SIGINT)
        try:  # the process first, then its pipes: a child left holding them would show as the second
            await asyncio.wait_for(proc.wait(), 60)
        except TimeoutError:
            proc.kill()
            _, err = await proc.communicate()
            pytest.fail("anvil generate still running 60 s after Ctrl-C; stderr: " + err.decode()[-3000:])
        try:
            _, err = await asyncio.wait_for(proc.communicate(), 30)
        except TimeoutError:
            pytest.fail("anvil generate ended but something it started still holds its output open")
    assert proc.returncode == 130 and "Traceback" not in err.decode()
    assert Ledger(ws / "ledger.sqlite", read_only=True).runs()[0]["status"] == "cancelled"

