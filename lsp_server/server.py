"""The Anvil language server: a thin pygls 2.x adapter over the engine (`anvil serve`).

Handlers only translate between LSP and :class:`lsp_server.features.Anvil`. Logs go to
stderr; stdout carries the protocol only.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from engine.settings import from_editor as parse_settings
from engine.version import __version__

from . import actions
from .features import Anvil
from .protocol import AnvilProtocol
from .transport import Transport

log = logging.getLogger("anvil.lsp")
COMMANDS = ("anvil.generate", "anvil.check", "anvil.cancel", "anvil.doctor", "anvil.insert", "anvil.answer")
WATCH_GLOBS = ("**/*.sv", "**/*.v", "**/*.md", "**/*_prompt.txt", "**/anvil.toml")


class AnvilServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("anvil", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
                         protocol_cls=AnvilProtocol)
        self.anvil = Anvil(self)
        self.observer: Any = None  # watchdog, when the client cannot watch files for us
        self.initialized = False

    @property
    def anvil_protocol(self) -> AnvilProtocol:
        assert isinstance(self.protocol, AnvilProtocol)  # made with protocol_cls=AnvilProtocol
        return self.protocol


server = AnvilServer()


def _path(uri: str) -> Path:
    return Path(to_fs_path(uri) or uri)


@server.feature(lsp.INITIALIZE)
def on_initialize(ls: AnvilServer, params: lsp.InitializeParams) -> None:
    folders = params.workspace_folders or []
    root = folders[0].uri if folders else params.root_uri
    ls.anvil.workspace_root = _path(root) if root else None
    ls.anvil.settings, problems = parse_settings(params.initialization_options)
    ls.anvil.setting_problems = problems


@server.feature(lsp.INITIALIZED)
async def on_initialized(ls: AnvilServer, params: lsp.InitializedParams) -> None:
    if ls.initialized:  # a client that says it twice gets one watcher, not two
        log.warning("initialized received again: ignored")
        return
    ls.initialized = True
    for problem in ls.anvil.setting_problems:
        ls.anvil.notify(f"Anvil: {problem}", lsp.MessageType.Warning)
    await pull_configuration(ls)
    await watch_files(ls)


async def pull_configuration(ls: AnvilServer) -> None:
    ws = ls.client_capabilities.workspace
    if not (ws and ws.configuration):
        return
    try:
        values = await ls.workspace_configuration_async(
            lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section="anvil")]))
    except Exception as exc:  # noqa: BLE001 - a client that claims support but fails: keep what we have
        log.warning("workspace/configuration failed: %s", exc)
        return
    if values and values[0] is not None:
        ls.anvil.settings, problems = parse_settings(values[0], ls.anvil.settings)
        for problem in problems:
            ls.anvil.notify(f"Anvil: {problem}", lsp.MessageType.Warning)
        log_settings(ls)


def log_settings(ls: AnvilServer) -> None:
    """What the next run will use, in the client's log (the user sees a change took effect)."""
    s = ls.anvil.settings
    ls.anvil.logline(f"Anvil: settings: provider {s.provider}, model {s.model or 'default'}, {s.samples} samples, "
                     f"{s.rounds} rounds x {s.repair_width}, patch {s.patch}")


async def watch_files(ls: AnvilServer) -> None:
    """Ask the client to watch design files; fall back to watchdog on the workspace folder."""
    ws = ls.client_capabilities.workspace
    dynamic = ws and ws.did_change_watched_files and ws.did_change_watched_files.dynamic_registration
    if dynamic:
        try:
            await ls.client_register_capability_async(lsp.RegistrationParams(registrations=[lsp.Registration(
                id="anvil-watch", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[lsp.FileSystemWatcher(glob_pattern=g) for g in WATCH_GLOBS]))]))
            return
        except Exception as exc:  # noqa: BLE001 - a client that fails: the watcher falls back
            log.warning("client refused to watch files (%s); using watchdog", exc)
    root = ls.anvil.workspace_root
    if root is not None and root.is_dir():
        from .watch import start_observer

        ls.observer = start_observer(root, asyncio.get_running_loop(), ls.anvil.file_changed)


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def on_configuration(ls: AnvilServer, params: lsp.DidChangeConfigurationParams) -> None:
    ws = ls.client_capabilities.workspace
    if ws and ws.configuration:
        await pull_configuration(ls)
    elif params.settings:
        ls.anvil.settings, problems = parse_settings(params.settings, ls.anvil.settings)
        for problem in problems:
            ls.anvil.notify(f"Anvil: {problem}", lsp.MessageType.Warning)
        log_settings(ls)


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def on_watched(ls: AnvilServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    for change in params.changes:
        ls.anvil.file_changed(_path(change.uri))


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def on_change(ls: AnvilServer, params: lsp.DidChangeTextDocumentParams) -> None:
    ls.anvil.file_changed(_path(params.text_document.uri))


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def on_save(ls: AnvilServer, params: lsp.DidSaveTextDocumentParams) -> None:
    ls.anvil.file_changed(_path(params.text_document.uri))


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def on_open(ls: AnvilServer, params: lsp.DidOpenTextDocumentParams) -> None:
    pass  # pygls keeps the text; nothing to judge until something changes


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(
    code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.Source]))
def on_code_action(ls: AnvilServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    return actions.code_actions(ls.anvil, params)


@server.command("anvil.generate")
async def cmd_generate(ls: AnvilServer, *args: Any) -> dict[str, Any]:
    return await ls.anvil.generate(args)


@server.command("anvil.check")
async def cmd_check(ls: AnvilServer, *args: Any) -> dict[str, Any]:
    return await ls.anvil.check(args)


@server.command("anvil.cancel")
def cmd_cancel(ls: AnvilServer, *args: Any) -> dict[str, Any]:
    return ls.anvil.cancel(args)


@server.command("anvil.doctor")
async def cmd_doctor(ls: AnvilServer, *args: Any) -> dict[str, Any]:
    return await ls.anvil.doctor()


@server.command("anvil.insert")
async def cmd_insert(ls: AnvilServer, *args: Any) -> dict[str, Any]:
    return await actions.insert(ls.anvil, args)


@server.command("anvil.answer")
def cmd_answer(ls: AnvilServer, *args: Any) -> dict[str, Any]:
    return actions.answer(ls.anvil, args)


@server.feature(lsp.SHUTDOWN)
async def on_shutdown(ls: AnvilServer, params: None) -> None:
    await stop(ls)


async def stop(ls: AnvilServer) -> None:
    """Stop watching, cancel every job (their simulations and model calls end with them)."""
    if ls.observer is not None:
        ls.observer.stop()
        ls.observer = None
    await ls.anvil.shutdown()


async def _run(transport: Transport) -> int:
    loop = asyncio.get_running_loop()
    terminated: asyncio.Future[int] = loop.create_future()

    def on_signal(sig: int) -> None:
        if not terminated.done():
            terminated.set_result(sig)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, on_signal, sig)
    transport.on_exit = lambda: stop(server)
    transport.commands = set(COMMANDS)
    reading = asyncio.ensure_future(transport.run())
    await asyncio.wait({reading, terminated}, return_when=asyncio.FIRST_COMPLETED)
    if not reading.done():  # SIGTERM: stop as exit would, without shutdown first
        log.warning("terminated by signal %s", terminated.result())
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        await stop(server)
        return 1
    return reading.result()


def serve() -> int:
    """Serve LSP over stdio until ``exit`` (0 after ``shutdown``, else 1), the end of input or
    SIGTERM; simulations and the local model's server end with it."""
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="anvil-lsp %(levelname)s %(message)s")
    try:
        code = asyncio.run(_run(Transport(server.anvil_protocol)))
    except KeyboardInterrupt:
        code = 1
    finally:
        from engine.providers import stop_local_models

        stop_local_models()
    return code
