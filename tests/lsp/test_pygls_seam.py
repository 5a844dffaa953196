"""The contract with pygls: the internals lsp_server/protocol.py uses exist and behave, and no
other module of the server reaches past pygls's public surface."""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from lsp_server.protocol import PYGLS_INTERNALS, AnvilProtocol
from lsp_server.server import AnvilServer

ROOT = Path(__file__).resolve().parents[2]


class Collect:
    def __init__(self) -> None:
        self.out: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.out.append(data)

    def close(self) -> None:
        pass

    def messages(self) -> list[dict]:
        found = []
        for chunk in self.out:
            text = chunk if isinstance(chunk, bytes) else chunk.encode()
            found.append(json.loads(text.split(b"\r\n\r\n", 1)[1]))
        return found


def _server() -> tuple[AnvilServer, AnvilProtocol]:
    server = AnvilServer()
    protocol = server.protocol
    assert isinstance(protocol, AnvilProtocol)
    return server, protocol


def test_pygls_internals_used_by_the_seam_exist():
    _, protocol = _server()
    missing = [name for name in PYGLS_INTERNALS if not hasattr(protocol, name)]
    assert missing == []
    assert isinstance(protocol._request_futures, dict)
    assert hasattr(protocol.fm, "features") and isinstance(protocol.fm.features, dict)


def test_parse_gives_lsprotocol_types_and_raises_on_invalid_parameters():
    _, protocol = _server()
    good = {"jsonrpc": "2.0", "id": 1, "method": "shutdown"}
    assert isinstance(protocol.parse(json.dumps(good).encode()), lsp.ShutdownRequest)
    change = {"jsonrpc": "2.0", "method": "textDocument/didOpen",
              "params": {"textDocument": {"uri": "file:///x.sv", "languageId": "verilog", "version": 1,
                                          "text": "module m; endmodule"}}}
    parsed = protocol.parse(json.dumps(change).encode())
    assert isinstance(parsed, lsp.DidOpenTextDocumentNotification)
    assert parsed.params.text_document.text == "module m; endmodule"
    bad = {"jsonrpc": "2.0", "id": 2, "method": "textDocument/codeAction", "params": {"textDocument": 3}}
    with pytest.raises(Exception):  # noqa: B017 - pygls raises its own or cattrs' error; any is fine
        protocol.parse(json.dumps(bad).encode())


async def test_dispatch_answers_through_the_attached_writer_and_shutdown_flips_the_flag():
    _, protocol = _server()
    writer = Collect()
    protocol.attach(writer)
    assert protocol.shut_down is False
    protocol.dispatch(protocol.parse(json.dumps({"jsonrpc": "2.0", "id": 7, "method": "shutdown"}).encode()))
    for _ in range(200):
        if writer.out:
            break
        await asyncio.sleep(0.01)
    answers = writer.messages()
    assert [a.get("id") for a in answers] == [7] and "error" not in answers[0]
    assert protocol.shut_down is True


def test_only_the_seam_reaches_into_pygls():
    internals = set(PYGLS_INTERNALS) - {"msg_id", "fm"}
    offenders = []
    for path in sorted((ROOT / "lsp_server").glob("*.py")):
        if path.name == "protocol.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pygls"):
                if node.module not in ("pygls.lsp.server", "pygls.uris"):
                    offenders.append(f"{path.name}: from {node.module} import ...")
            if isinstance(node, ast.Attribute) and node.attr in internals:
                offenders.append(f"{path.name}:{node.lineno}: .{node.attr}")
    assert offenders == []
