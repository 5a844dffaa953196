"""Small client-side helpers for end-to-end tests."""

from __future__ import annotations

import ast
import asyncio
import subprocess
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from tests.conftest import run_anvil


async def until(condition, timeout: float = 30.0, what: str = "condition"):
    """Poll ``condition`` (a callable) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


async def command(client, name: str, *arguments, timeout: float = 120.0):
    return await asyncio.wait_for(client.workspace_execute_command_async(
        lsp.ExecuteCommandParams(command=name, arguments=list(arguments))), timeout)


def _restore(item) -> lsp.CodeAction:
    """lsprotocol's client-side converter reads any CodeAction that carries a command as a Command
    (its union hook only looks for a "command" key), stringifying the nested object. Editors parse
    the JSON correctly; rebuild what the server sent."""
    if isinstance(item, lsp.Command) and item.command.startswith("{"):
        raw = ast.literal_eval(item.command)
        return lsp.CodeAction(title=item.title, command=lsp.Command(
            title=raw["title"], command=raw["command"], arguments=raw.get("arguments")))
    return item


async def code_actions(client, uri: str) -> list[lsp.CodeAction]:
    actions = await asyncio.wait_for(client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri),
        range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)),
        context=lsp.CodeActionContext(diagnostics=[]))), 30)
    return [_restore(a) for a in actions or []]


def _apply_text_edits(path: Path, edits) -> None:
    text = path.read_text() if path.exists() else ""
    lines = text.split("\n")
    def offset(lines: list[str], pos) -> int:
        return sum(len(line) + 1 for line in lines[: pos.line]) + pos.character

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(lines, edit.range.start)] + edit.new_text + text[offset(lines, edit.range.end):]
        lines = text.split("\n")
    path.write_text(text)


async def apply_action(client, action: lsp.CodeAction) -> None:
    """Do what an editor does with a chosen code action: apply its edit, run its command."""
    if action.edit is not None:
        edit = action.edit
        for change in edit.document_changes or []:
            if isinstance(change, lsp.CreateFile):
                path = Path(to_fs_path(change.uri))
                if not path.exists():
                    path.write_text("")
            elif isinstance(change, lsp.TextDocumentEdit):
                _apply_text_edits(Path(to_fs_path(change.text_document.uri)), change.edits)
        for target, edits in (edit.changes or {}).items():
            _apply_text_edits(Path(to_fs_path(target)), edits)
    if action.command is not None:
        await command(client, action.command.command, *(action.command.arguments or []))


def anvil_check(rtl: Path, tb: Path) -> subprocess.CompletedProcess:
    return run_anvil("check", rtl, "--tb", tb)
