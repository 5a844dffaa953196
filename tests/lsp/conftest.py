"""Fixtures for end-to-end tests: a design workspace, a recording, and a real server process."""

from __future__ import annotations

import os
import sys
import tempfile

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, client_capabilities

from engine import Problem, Strategy
from engine.designs import design_for
from engine.providers import RecordingProvider
from oracle import Oracle
from scripts.support.lspclient import make_client, make_workspace
from tests.conftest import ROOT
from tests.engine.fakes import ScriptedProvider, Solver, fenced

EX = ROOT / "examples" / "counter4"
GOOD = (EX / "counter4_good.sv").read_text()
BAD = (EX / "counter4_bad.sv").read_text()
WRAP = GOOD.replace("count + 4'd1", "(count == 4'd9 ? 4'd0 : count + 4'd1)")
CLIENTS = ["visual_studio_code", "neovim"]


async def record(folder, answers, strategy=Strategy(samples=1, rounds=1, repair_width=1)):
    path = folder / "recording.jsonl"
    problem = Problem.from_design(design_for(folder / "counter4.md"), oracle=Oracle())
    await Solver(RecordingProvider(ScriptedProvider(answers), path), Oracle(), strategy=strategy).solve(problem)
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


LEDGER = os.path.join(tempfile.mkdtemp(prefix="anvil-lsp-ledger-"), "ledger.sqlite")
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "anvil", "serve", "--stdio"],
                            client_factory=make_client, server_env={**os.environ, "ANVIL_LEDGER": LEDGER})


__all__ = ["BAD", "CLIENTS", "GOOD", "LEDGER", "SERVER", "WRAP", "fenced", "initialize_params", "make_workspace",
           "pytest_lsp", "record", "settings_for", "uri"]
