"""A pytest-lsp client that keeps every diagnostic it is sent, and a workspace with the counter4
example (used by the language server's tests and by scripts/bench_lsp.py, scripts/fuzz_lsp.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples" / "counter4"


def make_workspace(folder: Path) -> Path:
    for name in ("counter4.md", "counter4_tb.sv", "counter4_ref.sv"):
        shutil.copy(EX / name, folder / name)
    return folder


def _publish_with_history(client: LanguageClient, params: lsp.PublishDiagnosticsParams) -> None:
    client.history.append(params)
    client.diagnostics[params.uri] = params.diagnostics


def _register_capability(client: LanguageClient, params: lsp.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)  # accepted, as an editor would


def make_client() -> LanguageClient:
    """pytest-lsp's client, keeping every publishDiagnostics (the default keeps only the latest)."""
    client = LanguageClient(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _publish_with_history
    features[lsp.CLIENT_REGISTER_CAPABILITY] = _register_capability
    register_lsp_features(client, features)
    client.history = []
    client.registrations = []
    return client
