"""Fixtures for end-to-end tests: a design workspace, a recording, and a real server process."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

from engine import Engine, Problem, Strategy
from engine.designs import design_for
from engine.providers import RecordingProvider
from oracle import Oracle
from tests.conftest import ROOT
from tests.engine.fakes import ScriptedProvider, fenced

EX = ROOT / "examples" / "counter4"
GOOD = (EX / "counter4_good.sv").read_text()
BAD = (EX / "counter4_bad.sv").read_text()
WRAP = GOOD.replace("count + 4'd1", "(count == 4'd9 ? 4'd0 : count + 4'd1)")
CLIENTS = ["visual_studio_code", "neovim"]


def make_workspace(folder):
    for name in ("counter4.md", "counter4_tb.sv", "counter4_ref.sv"):
        shutil.copy(EX / name, folder / name)
    return folder


async def record(folder, answers, strategy=Strategy(samples=1, rounds=1, repair_width=1)):
    path = folder / "recording.jsonl"
    problem = Problem.from_design(design_for(folder / "counter4.md"), oracle=Oracle())
    await Engine(RecordingProvider(ScriptedProvider(answers), path), Oracle(), strategy=strategy).solve(problem)
    return path


@pytest.fixture
def workspace(tmp_path):
    return make_workspace(tmp_path)


def uri(path) -> str:
    return from_fs_path(str(path))


def settings_for(recording, patch: str = "off") -> dict:
    """A replayed run of the model's loop (with the patch search only when asked for)."""
    return {"provider": "replay", "model": str(recording), "samples": 1, "rounds": 1, "repairWidth": 1,
            "patch": patch}



def initialize_params(client_name: str, folder, options: dict | None) -> lsp.InitializeParams:
    return lsp.InitializeParams(
        capabilities=client_capabilities(client_name),
        workspace_folders=[lsp.WorkspaceFolder(uri=uri(folder), name="ws")],
        root_uri=uri(folder),
        initialization_options=options,
    )


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


LEDGER = os.path.join(tempfile.mkdtemp(prefix="anvil-lsp-ledger-"), "ledger.sqlite")
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "anvil", "serve", "--stdio"],
                            client_factory=make_client, server_env={**os.environ, "ANVIL_LEDGER": LEDGER})


__all__ = ["BAD", "CLIENTS", "GOOD", "LEDGER", "SERVER", "WRAP", "fenced", "initialize_params", "make_workspace",
           "pytest_lsp", "record", "settings_for", "uri"]
