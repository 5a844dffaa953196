"""The packaged extension (.vsix) in a real VS Code (code-server, in Chromium, driven by
Playwright), against the real `anvil serve`, Icarus Verilog and a scripted OpenAI-compatible
endpoint on 127.0.0.1 (no model time). The tests run in file order on one window, as a user's
session would: activation, palette, generate, the quick fix, a failing check, cancel, closing.

Screenshots land in the test's folder; ``ANVIL_SCREENSHOTS=DIR`` copies them there (vscode-client/media/ holds the
ones the READMEs show).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from scripts.support.faults import ThreadedFaultServer as Endpoint
from tests.conftest import ROOT, processes_matching, tool_processes
from tests.engine.fakes import fenced
from tests.lsp.conftest import BAD, GOOD, WRAP, make_workspace
from tests.lsp.helpers import anvil_check
from tests.vscode.editor import BROWSER_ARGS, VSIX, CodeServer, Workbench, missing_tools

PALETTE = ["Anvil: Generate RTL from spec", "Anvil: Check RTL", "Anvil: Cancel", "Anvil: Doctor",
           "Anvil: Restart Server", "Anvil: Show Logs"]
MARK = f"anvil-vscode-{uuid.uuid4().hex[:8]}"


def anvil_servers() -> list[str]:
    """`anvil serve` processes started by this test's VS Code (they inherit its environment)."""
    found = []
    for cmdline in processes_matching("serve"):
        if "anvil" not in cmdline:
            continue
        for entry in Path("/proc").iterdir():
            try:
                if (entry.name.isdigit() and (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                        errors="replace").strip() == cmdline.strip()
                        and f"ANVIL_E2E_MARK={MARK}".encode() in (entry / "environ").read_bytes()):
                    found.append(f"{entry.name} {cmdline}")
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    why = missing_tools()
    if why:
        pytest.fail(why)  # not a skip: scripts/test.sh installs all of it
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("vscode")
    (home / "ws").mkdir()
    workspace = make_workspace(home / "ws")
    endpoint = Endpoint([fenced(WRAP), fenced(GOOD)], delay_s=2.0)
    settings = {"anvil.server.path": str(ROOT / ".venv" / "bin" / "anvil"), "anvil.provider": "openai",
                "anvil.baseUrl": endpoint.url, "anvil.model": "scripted", "anvil.samples": 1, "anvil.rounds": 1,
                "anvil.repairWidth": 1, "anvil.patch": "off"}
    env = {"ANVIL_E2E_MARK": MARK, "ANVIL_RUN_TAG": MARK, "ANVIL_LEDGER": str(home / "ledger.sqlite")}
    code = CodeServer(home, workspace, settings, env)
    code.install(VSIX)
    url = code.start()
    shots = home / "shots"
    shots.mkdir()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                     headless=True, args=BROWSER_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 760})
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector(".monaco-workbench", timeout=90_000)
        bench = Workbench(page, shots)
        bench.code, bench.workspace, bench.endpoint, bench.context = code, workspace, endpoint, context
        try:
            yield bench
        finally:
            wanted = os.environ.get("ANVIL_SCREENSHOTS")
            if wanted:
                Path(wanted).mkdir(parents=True, exist_ok=True)
                for shot in shots.glob("*.png"):
                    shutil.copy(shot, Path(wanted) / shot.name)
            browser.close()
            code.stop()
            endpoint.close()


def test_the_extension_activates_and_the_palette_lists_its_six_commands(session):
    session.until("the server to start", lambda: "anvil serve" in session.code.output_log("Anvil"), timeout=60)
    log = session.code.exthost_log()
    assert "local.anvil-rtl" in log or "anvil-rtl" in log, log[-2000:]
    errors = [line for line in log.splitlines() if "[error]" in line and "anvil" in line.lower()]
    assert errors == [], errors

    rows = session.palette("Anvil:")
    titles = sorted({r.splitlines()[0].strip() for r in rows if r.startswith("Anvil:")})
    assert titles == sorted(PALETTE), rows
    session.shot("vscode-palette", clip=(340, 0, 610, 185))
    session.escape()


def test_generate_shows_progress_and_the_status_bar_then_reports_the_pass(session):
    session.open("counter4.md")
    session.run("Anvil: Generate RTL from spec")
    session.until("the status-bar item", lambda: any("Anvil: generating counter4.md" in s for s in session.status_bar()))
    session.until("the progress notification", lambda: [t for t in session.notifications()
                                                        if "Anvil: generating counter4.md" in t and "1/2 model calls" in t])
    session.shot("vscode-progress", clip=(0, 560, 1280, 200))
    passed = session.until("the pass message", lambda: [t for t in session.notifications()
                                                        if "counter4 passes (461/461 samples" in t], timeout=90)
    assert "Insert passing RTL" in passed[0]
    session.until("the status-bar item to go", lambda: not any("Anvil: generating" in s for s in session.status_bar()))
    assert not (session.workspace / "counter4.sv").exists()  # nothing written before the user acts
    assert len([t for t in session.notifications() if "pass" in t]) == 1, session.notifications()  # said once


def test_the_quick_fix_inserts_the_passing_rtl(session):
    session.open("counter4.md")
    fixes = session.quick_fixes()
    insert = [f for f in fixes if f.startswith("Anvil: Insert passing RTL")]
    assert insert, fixes
    session.shot("vscode-quick-fix", clip=(350, 0, 930, 420))
    session.page.locator(".action-widget .monaco-list-row", has_text="Anvil: Insert passing RTL").first.click()
    out = session.workspace / "counter4.sv"
    session.until("the passing RTL in counter4.sv", lambda: out.exists() and "count <= count + 4'd1" in out.read_text())
    assert anvil_check(out, session.workspace / "counter4_tb.sv").returncode == 0


def test_failing_rtl_shows_its_failing_cycle_in_the_problems_panel(session):
    out = session.workspace / "counter4.sv"
    out.write_text(BAD)
    session.open("counter4.sv")
    session.until("the editor to show the failing RTL", lambda: "count <= 4'd0;" in session.page.locator(
        ".editor-instance .view-lines").first.inner_text().replace("\u00a0", " "))
    session.run("Anvil: Check RTL")
    rows = session.until("mismatches in the Problems panel",
                         lambda: [r for r in session.problems() if "cycle 42: count expected 4'he, got 4'h0" in r])
    assert rows, session.problems()
    session.shot("vscode-problems", clip=(350, 180, 930, 580))


def configure(session, **anvil) -> None:
    """Change the workspace's settings (.vscode/settings.json) as a user would, and wait for the
    server to say it uses them."""
    path = session.workspace / ".vscode" / "settings.json"
    path.parent.mkdir(exist_ok=True)
    settings = {f"anvil.{k}": v for k, v in anvil.items()}
    path.write_text(json.dumps(settings, indent=1))
    wanted = f"{anvil['samples']} samples, {anvil['rounds']} rounds"
    session.until(f"the server to use {wanted}",
                  lambda: wanted in session.code.output_log("Anvil").rsplit("Anvil: settings:", 1)[-1], timeout=30)


def test_a_spec_alone_asks_its_question_as_a_quick_fix_and_offers_unverified_rtl(session):
    """Spec-only mode: gray.md has neither a testbench nor a reference. Two of three candidates
    agree; the question waits on the spec, the quick fix answers it, the answer is unverified."""
    from tests.engine.test_reference import OLD, RIGHT, WRONG_RESET
    from tests.engine.test_speconly import RIGHT2, SPEC, behaves_like

    (session.workspace / "gray.md").write_text(SPEC)
    served = session.endpoint.server.answers
    session.endpoint.server.answers = [fenced(WRONG_RESET), fenced(RIGHT), fenced(RIGHT2)]
    configure(session, samples=3, rounds=0)
    try:
        session.open("gray.md")
        session.run("Anvil: Generate RTL from spec")
        session.until("the question", lambda: [t for t in session.notifications() if "the candidates disagree" in t])
        rows = session.until("the question in the Problems panel",
                             lambda: [r for r in session.problems("Anvil question") if "Anvil question" in r])
        assert "(2 candidates)" in rows[0] and "(1 candidate)" in rows[0], rows
        session.open("gray.md")
        fixes = session.quick_fixes()
        answers = [f for f in fixes if f.startswith("Anvil: answer code = ")]
        assert len(answers) == 2 and any(f.startswith("Anvil: stop asking") for f in fixes), fixes
        session.shot("vscode-question", clip=(350, 0, 930, 420))
        right = next(f for f in answers if f.endswith("(2 candidates)"))
        session.page.locator(".action-widget .monaco-list-row", has_text=right).first.click()
        said = session.until("the unverified answer", lambda: [t for t in session.notifications()
                                                                if "unverified: 2 of 3 candidates agree" in t], timeout=90)
        assert "No testbench judged it" in said[0] and not any("passes" in t for t in session.notifications())
        kept = session.workspace / "gray_questions_tb.sv"
        assert kept.exists() and not (session.workspace / "gray.sv").exists()
        session.open("gray.md")
        insert = [f for f in session.quick_fixes() if f.startswith("Anvil: Insert unverified RTL")]
        assert insert and not any("Anvil question" in r for r in session.problems("Anvil question"))
        session.problems("")
        session.open("gray.md")
        session.quick_fixes()
        session.page.locator(".action-widget .monaco-list-row", has_text="Anvil: Insert unverified RTL").first.click()
        out = session.workspace / "gray.sv"
        session.until("the unverified RTL in gray.sv", lambda: out.exists() and "endmodule" in out.read_text())
        truth = session.code.home / "truth"
        truth.mkdir(exist_ok=True)
        with ThreadPoolExecutor(1) as aside:  # Playwright's loop runs in this thread
            assert aside.submit(asyncio.run, behaves_like(out.read_text(), OLD, truth)).result()
        assert anvil_check(out, kept).returncode == 0  # the answers: an ordinary testbench
    finally:
        session.endpoint.server.answers = served
        configure(session, samples=1, rounds=1)


def generate_slowly(session) -> None:
    session.endpoint.server.delay_s = 120  # a model that takes its time
    calls = session.endpoint.server.requests
    session.open("counter4.md")
    session.run("Anvil: Generate RTL from spec")
    session.until("the status-bar item", lambda: any("Anvil: generating" in s for s in session.status_bar()))
    session.until("the model call", lambda: session.endpoint.server.requests > calls)


def cancelled(session) -> None:
    session.until("the cancelled message", lambda: any("generation cancelled" in t for t in session.notifications()),
                  timeout=30)
    session.until("the status-bar item to go", lambda: not any("Anvil: generating" in s for s in session.status_bar()))
    session.until("the progress notification to go", lambda: not any("Anvil: generating" in t
                                                                      for t in session.notifications()))


def test_anvil_cancel_stops_a_running_generate(session):
    generate_slowly(session)
    session.run("Anvil: Cancel")
    cancelled(session)


def test_the_progress_notifications_cancel_button_stops_it_too(session):
    generate_slowly(session)
    toast = session.page.locator(".notifications-toasts .notification-toast", has_text="Anvil: generating counter4.md")
    toast.get_by_role("button", name="Cancel").click()
    cancelled(session)
    session.endpoint.server.delay_s = 0


def test_no_server_is_left_after_the_window_closes(session):
    assert anvil_servers(), "the extension's server should be running while the window is open"
    session.context.close()
    session.until("the server to exit with the window", lambda: not anvil_servers(), timeout=60, every=0.5)
    assert tool_processes(MARK) == []  # nor any simulation of its runs
