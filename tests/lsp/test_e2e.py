"""The real server as a subprocess, driven with VS Code's and Neovim's client capabilities."""

import asyncio
import copy
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from engine.ledger import Ledger
from tests.conftest import tool_processes
from tests.lsp.conftest import (
    BAD,
    CLIENTS,
    GOOD,
    LEDGER,
    SERVER,
    WRAP,
    fenced,
    initialize_params,
    make_workspace,
    pytest_lsp,
    record,
    settings_for,
    uri,
)
from tests.lsp.helpers import anvil_check, apply_action, code_actions, command, until


@pytest_lsp.fixture(config=SERVER, params=CLIENTS)
async def client(lsp_client: pytest_lsp.LanguageClient, request, tmp_path):
    folder = make_workspace(tmp_path)
    recording = await record(folder, [fenced(WRAP), fenced(GOOD)])
    lsp_client.folder = folder
    lsp_client.recording = recording
    lsp_client.name = request.param
    await lsp_client.initialize_session(initialize_params(request.param, folder, settings_for(recording)))
    yield
    await lsp_client.shutdown_session()


async def test_generate_shows_progress_and_diagnostics_and_offers_the_rtl(client):
    folder = client.folder
    spec, tb, out = folder / "counter4.md", folder / "counter4_tb.sv", folder / "counter4.sv"
    result = await command(client, "anvil.generate", {"uri": uri(spec)})
    assert result["status"] == "pass" and result["llm_calls"] == 2
    assert result["output_uri"] == uri(out) and result["job"].startswith("generate-")
    assert not out.exists()  # nothing is written without the user's action
    recorded = Ledger(LEDGER).run(result["run_id"])  # a run from the editor is in the ledger too
    assert recorded["status"] == "solved" and len(recorded["candidates"]) == 2

    begins = [r for r in client.progress_reports.values() if r and isinstance(r[0], lsp.WorkDoneProgressBegin)]
    assert begins and isinstance(begins[0][-1], lsp.WorkDoneProgressEnd)
    assert begins[0][0].cancellable and any(isinstance(r, lsp.WorkDoneProgressReport) for r in begins[0])

    spec_diags = [p.diagnostics for p in client.history if p.uri == uri(spec)]
    assert spec_diags[0] and spec_diags[0][0].source == "anvil" and spec_diags[0][0].code == "mismatch"
    assert "expected 4'ha, got 4'h0" in spec_diags[0][0].message
    assert list(spec_diags[-1]) == []  # cleared once a candidate passes

    for start in (spec, tb):
        actions = await code_actions(client, uri(start))
        assert actions[0].title.startswith("Anvil: Insert passing RTL (461/461 samples, round 1")
    await apply_action(client, actions[0])
    assert out.exists() and anvil_check(out, tb).returncode == 0

    checked = await command(client, "anvil.check", {"uri": uri(spec)})
    assert checked["status"] == "pass" and checked["uri"] == uri(out)
    await until(lambda: list(client.diagnostics.get(uri(out), [None])) == [], what="cleared RTL diagnostics")

    # once the testbench changes, the action is withdrawn (shown disabled where the client can)
    text = tb.read_text()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri(tb), language_id="systemverilog", version=1, text=text)))
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri(tb), version=2),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text + "\n// edited\n")]))
    actions = await code_actions(client, uri(spec))
    inserts = [a for a in actions if a.title.startswith("Anvil: Insert passing RTL")]
    assert all(a.disabled is not None and "testbench changed" in a.disabled.reason for a in inserts)
    assert inserts or client.name == "neovim"


async def test_failing_rtl_gets_diagnostics_on_its_driver_and_rechecks_on_change(client):
    folder = client.folder
    spec, tb, out, ref = (folder / n for n in ("counter4.md", "counter4_tb.sv", "counter4.sv", "counter4_ref.sv"))
    out.write_text(BAD)
    result = await command(client, "anvil.check", {"uri": uri(spec)})
    assert result["status"] == "functional_fail" and result["verdict"]["mismatched_samples"] == 10
    diags = await until(lambda: client.diagnostics.get(uri(out)), what="RTL diagnostics")
    assert len(diags) == 8 and all(d.code == "mismatch" and d.source == "anvil" for d in diags)
    assert diags[0].message.startswith("cycle 42: count expected 4'he, got 4'h0")
    driver = BAD.splitlines().index("      count <= 4'd0;")
    assert diags[0].range.start.line == driver

    # a fix on disk, announced as the editor would (didChangeWatchedFiles), clears them
    out.write_text(GOOD)
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        changes=[lsp.FileEvent(uri=uri(out), type=lsp.FileChangeType.Changed)]))
    await until(lambda: list(client.diagnostics.get(uri(out), [None])) == [], what="diagnostics cleared")

    # an unsaved edit to the reference re-checks against the edited text, without the model
    edited = ref.read_text().replace("count <= count + 4'd1;", "count <= count + 4'd2;")
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri(ref), language_id="systemverilog", version=1, text=ref.read_text())))
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri(ref), version=2),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=edited)]))
    diags = await until(lambda: client.diagnostics.get(uri(out)), what="re-check after the edit")
    assert diags[0].code == "mismatch" and "count expected" in diags[0].message


async def test_compile_errors_land_on_their_lines(client):
    folder = client.folder
    out = folder / "counter4.sv"
    out.write_text(GOOD.replace("count <= 4'd0;", "count <= 4'd0"))
    result = await command(client, "anvil.check", {"uri": uri(folder / "counter4_tb.sv")})
    assert result["status"] == "compile_error"
    diags = await until(lambda: client.diagnostics.get(uri(out)), what="compile diagnostics")
    assert diags[0].code == "compile-error"
    assert diags[0].range.start.line in (10, 11)


async def test_a_folder_with_a_spec_and_testbench_v_is_paired_without_anvil_toml(client):
    """A public-benchmark folder: design_description.txt beside testbench.v, the design named by
    the module the bench instantiates; failures printed by the bench become diagnostics."""
    import shutil

    folder = shutil.copytree(Path(__file__).resolve().parents[1] / "benches" / "banner_adder", client.folder / "adder")
    result = await command(client, "anvil.check", {"uri": uri(folder / "design_description.txt")})
    assert result["status"] == "pass" and result["uri"] == uri(folder / "add8.v")
    (folder / "add8.v").write_text((folder / "wrong_no_carry_in.v").read_text())
    result = await command(client, "anvil.check", {"uri": uri(folder / "testbench.v")})
    assert result["status"] == "functional_fail"
    diags = await until(lambda: client.diagnostics.get(uri(folder / "add8.v")), what="diagnostics on add8.v")
    assert "failures" in diags[0].message and diags[0].source == "anvil"


async def test_busy_design_refuses_a_second_generate_and_cancel_stops_it(client, tmp_path):
    async with SlowEndpoint() as endpoint:
        client.set_configuration({"provider": "openai", "model": "slow", "baseUrl": endpoint.url,
                                  "samples": 2, "rounds": 0}, section="anvil")
        client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
        await asyncio.sleep(0.5)
        spec = uri(client.folder / "counter4.md")
        first = asyncio.ensure_future(command(client, "anvil.generate", {"uri": spec}))
        await until(lambda: endpoint.open >= 2, what="two model calls in flight")
        second = await command(client, "anvil.generate", {"uri": spec})
        assert second["status"] == "busy"
        if client.name == "neovim":
            await command(client, "anvil.cancel", {"job": second["job"]})
        else:  # VS Code's cancel button: cancel the progress token
            token = next(t for t, r in client.progress_reports.items() if r and not isinstance(r[-1], lsp.WorkDoneProgressEnd))
            client.window_work_done_progress_cancel(lsp.WorkDoneProgressCancelParams(token=token))
        result = await asyncio.wait_for(first, 10)
        assert result["status"] == "cancelled"
        await until(lambda: endpoint.open == 0, timeout=5, what="model connections closed")
    assert tool_processes(f"anvil-runs-{client._server.pid}-") == []


async def test_progress_on_the_clients_token_and_cancel_by_that_token(client):
    """The VS Code extension's way: the command carries a work-done token, the server reports on
    it without creating one, and cancelling names the token."""
    async with SlowEndpoint() as endpoint:
        client.set_configuration({"provider": "openai", "model": "slow", "baseUrl": endpoint.url,
                                  "samples": 2, "rounds": 0}, section="anvil")
        client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
        await asyncio.sleep(0.5)
        token = "anvil-vscode-test-1"
        client.progress_reports[token] = []  # the client's own token (pytest-lsp expects to know it)
        created = len(client.progress_reports)
        run = asyncio.ensure_future(command(client, "anvil.generate", {"uri": uri(client.folder / "counter4.md"),
                                                                         "workDoneToken": token}))
        await until(lambda: endpoint.open >= 2, what="two model calls in flight")
        begin = client.progress_reports[token][0]
        assert isinstance(begin, lsp.WorkDoneProgressBegin) and begin.title == "Anvil: generating counter4"
        assert len(client.progress_reports) == created  # no server-created token besides it
        assert (await command(client, "anvil.cancel", {"workDoneToken": "someone-else"}))["status"] == "not_found"
        assert (await command(client, "anvil.cancel", {"workDoneToken": [1]}))["status"] == "error"
        cancelled = await command(client, "anvil.cancel", {"workDoneToken": token})
        assert cancelled["status"] == "cancelled" and len(cancelled["cancelled"]) == 1
        result = await asyncio.wait_for(run, 10)
        assert result["status"] == "cancelled"
        await until(lambda: isinstance(client.progress_reports[token][-1], lsp.WorkDoneProgressEnd), what="progress end")


async def test_a_patched_pass_is_offered_with_its_edits(client):
    client.set_configuration(settings_for(client.recording, patch="on"), section="anvil")
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.5)
    spec = uri(client.folder / "counter4.md")
    result = await command(client, "anvil.generate", {"uri": spec})
    # the first sample wraps at 9: the patch search fixes it, no repair call is spent
    assert result["status"] == "pass" and result["llm_calls"] == 1, result
    assert result["edits"] and "replace literal" in result["edits"][0] and result["diff"].startswith("---")
    actions = await code_actions(client, spec)
    assert actions[0].title.startswith("Anvil: Insert passing RTL") and "patched: line" in actions[0].title
    await apply_action(client, actions[0])
    out = client.folder / "counter4.sv"
    assert anvil_check(out, client.folder / "counter4_tb.sv").returncode == 0
    assert "4'd15" in out.read_text()  # the model's code, with the one literal edited


async def test_bad_settings_fall_back_and_say_so(client):
    client.set_configuration({"samples": -3, "provider": "gpt", "timeout": 5}, section="anvil")
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    await until(lambda: len([m for m in client.messages if "anvil.samples" in m.message]) >= 1, what="a warning")
    doctor = await command(client, "anvil.doctor")
    assert doctor["settings"]["samples"] == 1 and doctor["settings"]["provider"] == "replay"
    assert doctor["settings"]["timeout"] == 5.0
    assert any(c["name"] == "simulator" and c["ok"] for c in doctor["checks"])


async def test_unpaired_files_get_a_clear_message(client):
    lonely = client.folder / "lonely.md"
    lonely.write_text("A spec without a testbench.")
    result = await command(client, "anvil.generate", {"uri": uri(lonely)})
    assert result["status"] == "error" and "lonely_tb.sv" in result["message"]
    assert "spec-only mode cannot run: the spec lists no ports" in result["message"]
    await until(lambda: any("lonely" in m.message for m in client.messages), what="a message")
    result = await command(client, "anvil.check", {"uri": uri(client.folder / "counter4.md")})
    assert result["status"] == "error" and "does not exist" in result["message"]


class SlowEndpoint:
    """A hosted API that accepts requests and never answers (what a stuck provider looks like)."""

    def __init__(self):
        self.open = 0
        self.server = None

    async def __aenter__(self):
        async def handle(reader, writer):
            self.open += 1
            try:
                while await reader.read(65536):
                    pass
            finally:
                self.open -= 1
                writer.close()

        self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc):
        self.server.close()


@pytest_lsp.fixture(config=SERVER)
async def plain_client(lsp_client: pytest_lsp.LanguageClient, tmp_path):
    """A client that cannot watch files and has no progress UI (watchdog and log messages)."""
    folder = make_workspace(tmp_path)
    caps = copy.deepcopy(initialize_params("visual_studio_code", folder, None).capabilities)
    caps.workspace.did_change_watched_files = None
    caps.window.work_done_progress = False
    params = initialize_params("visual_studio_code", folder, {"provider": "replay", "model": "none.jsonl"})
    params.capabilities = caps
    lsp_client.folder = folder
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def test_changes_on_disk_are_seen_without_the_client(plain_client):
    folder = plain_client.folder
    out = folder / "counter4.sv"
    out.write_text(GOOD)
    await command(plain_client, "anvil.check", {"uri": uri(out)})
    await until(lambda: list(plain_client.diagnostics.get(uri(out), [None])) == [], what="a passing check")
    ref = folder / "counter4_ref.sv"
    ref.write_text(ref.read_text().replace("count <= 4'd0;", "count <= 4'd5;"))  # outside the editor
    diags = await until(lambda: plain_client.diagnostics.get(uri(out)), timeout=20, what="a watchdog re-check")
    assert diags[0].code == "mismatch"


@pytest_lsp.fixture(config=SERVER)
async def local_client(lsp_client: pytest_lsp.LanguageClient, tmp_path):
    folder = make_workspace(tmp_path)
    lsp_client.folder = folder
    await lsp_client.initialize_session(initialize_params(
        "neovim", folder, {"provider": "local", "model": "qwen2.5-coder-0.5b", "samples": 1, "rounds": 0}))
    yield


@pytest.mark.slow
async def test_the_local_model_runs_in_the_server_and_stops_with_it(local_client):
    spec = uri(local_client.folder / "counter4.md")
    result = await command(local_client, "anvil.generate", {"uri": spec}, timeout=600)
    assert result["status"] in ("pass", "fail") and result["llm_calls"] == 1
    server_pid = local_client._server.pid
    children = children_of(server_pid)
    assert any("engine.providers.llama_server" in cmd for cmd in children.values())  # the model server
    await local_client.shutdown_session()
    await until(lambda: not any(_alive(pid) for pid in children), timeout=10, what="the model server to stop")


def children_of(pid: int) -> dict[int, str]:
    """Live child processes of ``pid`` and their command lines."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == pid and stat[0] != "Z":
                out[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
    return out


def _alive(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


async def test_without_progress_support_the_job_is_reported_in_log_messages(plain_client):
    recording = await record(plain_client.folder, [fenced(WRAP), fenced(GOOD)])
    plain_client.set_configuration(settings_for(recording), section="anvil")
    plain_client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    await asyncio.sleep(0.5)
    result = await command(plain_client, "anvil.generate", {"uri": uri(plain_client.folder / "counter4.md")})
    assert result["status"] == "pass"
    assert plain_client.progress_reports == {}
    logs = [m.message for m in plain_client.log_messages]
    assert any("Anvil: generating counter4: started" in m for m in logs)
    assert any("model calls" in m for m in logs) and any(m.endswith("passes") for m in logs)


async def test_without_a_testbench_the_reference_beside_the_spec_judges(client):
    """Reference mode in the editor: gray.md and the old gray_ref.sv, no testbench."""
    from scripts.support.faults import FaultServer
    from tests.engine.test_reference import OLD, RIGHT, SPEC, WRONG_RESET

    folder = client.folder
    spec, ref, out = folder / "gray.md", folder / "gray_ref.sv", folder / "gray.sv"
    spec.write_text(SPEC)
    ref.write_text(OLD)
    async with FaultServer("ok", [fenced(WRONG_RESET), fenced(RIGHT)]) as endpoint:
        await use_endpoint(client, endpoint, samples=2)
        result = await command(client, "anvil.generate", {"uri": uri(spec)})
    assert result["status"] == "pass" and result["verdict"]["samples"] > 1000, result
    for start in (spec, ref):
        actions = await code_actions(client, uri(start))
        assert actions[0].title.startswith("Anvil: Insert passing RTL (")
    await apply_action(client, actions[0])
    assert out.read_text().strip() == RIGHT.strip() and ref.read_text() == OLD
    checked = await command(client, "anvil.check", {"uri": uri(spec)})
    assert checked["status"] == "pass" and checked["uri"] == uri(out)

    # an unsaved edit of the reference: the check judges against it as the editor shows it
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri(ref), language_id="systemverilog", version=1, text=OLD)))
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri(ref), version=2),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=OLD.replace("if (!rst_n)", "if (rst_n)"))]))
    checked = await command(client, "anvil.check", {"uri": uri(spec)})
    assert checked["status"] == "functional_fail" and ref.read_text() == OLD
    actions = await code_actions(client, uri(spec))
    inserts = [a for a in actions if a.title.startswith("Anvil: Insert passing RTL")]
    assert all(a.disabled is not None and "reference changed" in a.disabled.reason for a in inserts)
    assert inserts or client.name == "neovim"


async def use_endpoint(client, endpoint, samples: int) -> None:
    """Point the server at a scripted endpoint: ``samples`` calls, no repair, no patch search."""
    client.set_configuration({"provider": "openai", "model": "scripted", "baseUrl": endpoint.url,
                              "samples": samples, "rounds": 0, "patch": "off"}, section="anvil")
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    await until(lambda: any(f"{samples} samples, 0 rounds" in m.message for m in client.log_messages[-3:]),
                what="the server to use the endpoint")


def waiting_question(client, spec) -> lsp.Diagnostic | None:
    found = [d for d in client.diagnostics.get(uri(spec), []) if d.code == "anvil-question"]
    return found[0] if found else None


async def test_with_only_a_spec_the_questions_wait_on_it_and_each_answer_grows_a_testbench(client):
    """Spec-only mode in the editor: gray.md alone. The question waits on the spec as a diagnostic
    with one quick fix per value; each answer is kept in gray_questions_tb.sv and the run goes on;
    the answer is offered as unverified RTL, never as a pass."""
    from scripts.support.faults import FaultServer
    from tests.engine.test_reference import OLD, RIGHT, WRONG_RESET
    from tests.engine.test_speconly import FIVE, SPEC, behaves_like

    folder = client.folder
    spec, kept, out = folder / "gray.md", folder / "gray_questions_tb.sv", folder / "gray.sv"
    spec.write_text(SPEC)
    async with FaultServer("ok", [fenced(a) for a in FIVE]) as endpoint:
        await use_endpoint(client, endpoint, samples=5)
        running = asyncio.ensure_future(command(client, "anvil.generate", {"uri": uri(spec)}, timeout=300))
        answered: list[str] = []
        while True:
            await until(lambda: running.done() or (waiting_question(client, spec) is not None and
                                                   waiting_question(client, spec).data["key"] not in answered),
                        timeout=200, what="a question on the spec or the end of the run")
            if running.done():
                break
            question = waiting_question(client, spec)
            key = question.data["key"]
            assert question.severity == lsp.DiagnosticSeverity.Information and "gray.md" not in question.message
            assert "code =" in question.message and "(3 candidates)" in question.message
            if not answered:  # what a client could send wrongly is one clear answer each
                bad = await command(client, "anvil.answer", {"uri": uri(spec), "key": key, "value": "maybe"})
                assert bad["status"] == "error" and "is not a value" in bad["message"]
                stale = await command(client, "anvil.answer", {"uri": uri(spec), "key": "0000000000", "value": "1"})
                assert stale["status"] == "not_found"
            actions = await code_actions(client, uri(spec))
            answers = [a for a in actions if a.title.startswith("Anvil: answer code = ")]
            assert len(answers) == 2 and any(a.title.startswith("Anvil: stop asking") for a in actions)
            assert all(a.command.command == "anvil.answer" for a in answers)
            right = next(a for a in answers if a.title.endswith("(3 candidates)"))  # the right design's value
            await apply_action(client, right)
            answered.append(key)
            await until(lambda: kept.exists() and kept.read_text().count("// anvil-answer ") == len(answered),
                        what="the answer kept beside the spec")
        result = running.result()
    assert result["status"] == "unverified" and result["agree"] == 3 and result["usable"] == 5, result
    assert result["answers"] == len(answered) == 2 and [len(g) for g in result["groups"]] == [3]
    assert result["answers_uri"] == uri(kept) and not out.exists()
    assert waiting_question(client, spec) is None  # no question is left on the spec
    messages = [m.message for m in client.messages]
    assert any("unverified: 3 of 5 candidates agree" in m and "No testbench judged it" in m for m in messages), messages
    assert not any("passes" in m for m in messages)

    actions = await code_actions(client, uri(spec))
    insert = [a for a in actions if a.title.startswith("Anvil: Insert unverified RTL (")]
    assert insert and not any("passing" in a.title for a in actions)
    await apply_action(client, insert[0])
    assert await behaves_like(out.read_text(), OLD, folder)
    # the answers are an ordinary testbench: the right design passes it, a wrong one fails it
    assert anvil_check(out, kept).returncode == 0
    (folder / "wrong.sv").write_text(WRONG_RESET)
    assert anvil_check(folder / "wrong.sv", kept).returncode == 1 and RIGHT


async def test_a_question_can_be_left_unanswered_or_the_run_cancelled_while_it_waits(client):
    from scripts.support.faults import FaultServer
    from tests.engine.test_speconly import FIVE, SPEC

    folder = client.folder
    spec, kept = folder / "gray.md", folder / "gray_questions_tb.sv"
    spec.write_text(SPEC)
    async with FaultServer("ok", [fenced(a) for a in FIVE]) as endpoint:
        await use_endpoint(client, endpoint, samples=5)
        running = asyncio.ensure_future(command(client, "anvil.generate", {"uri": uri(spec)}, timeout=300))
        await until(lambda: waiting_question(client, spec), timeout=200, what="a question")
        stop = next(a for a in await code_actions(client, uri(spec)) if a.title.startswith("Anvil: stop asking"))
        await apply_action(client, stop)
        result = await running
        assert result["status"] == "unverified" and result["answers"] == 0 and result["agree"] == 3, result
        assert not kept.exists() and waiting_question(client, spec) is None

        running = asyncio.ensure_future(command(client, "anvil.generate", {"uri": uri(spec)}, timeout=300))
        await until(lambda: waiting_question(client, spec), timeout=200, what="the question again")
        assert (await command(client, "anvil.cancel"))["cancelled"]
        result = await running
    assert result["status"] == "cancelled" and result["llm_calls"] == 5
    await until(lambda: waiting_question(client, spec) is None, what="the question to leave the spec")
    assert not kept.exists() and not (folder / "gray.sv").exists()


LATCHED = GOOD.replace("  always @(posedge clk) begin", """  reg [3:0] next;
  always @(*) begin
    if (en)
      next = count + 4'd1;
  end
  always @(posedge clk) begin""").replace("count <= count + 4'd1;", "count <= next;")


async def test_with_synth_on_the_figures_are_in_the_title_and_a_latch_is_a_warning_on_its_line(client):
    folder = client.folder
    spec, out = folder / "counter4.md", folder / "counter4.sv"
    client.set_configuration({**settings_for(client.recording), "synth": "on"}, section="anvil")
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))
    await until(lambda: any("1 samples" in m.message for m in client.log_messages), what="the settings")
    result = await command(client, "anvil.generate", {"uri": uri(spec)})
    synthesis = result["verdict"]["synthesis"]
    assert result["status"] == "pass" and synthesis["flops"] == 4 and synthesis["latches"] == [], synthesis
    titles = [a.title for a in await code_actions(client, uri(spec))]
    assert any(t.startswith("Anvil: Insert passing RTL (") and f"{synthesis['cells']} cells, no latch)" in t
               for t in titles), titles

    out.write_text(LATCHED)  # passes its testbench, with a latch on `next`
    checked = await command(client, "anvil.check", {"uri": uri(spec)})
    assert checked["status"] == "pass" and checked["verdict"]["synthesis"]["latches"][0]["signal"] == "next"
    diags = client.diagnostics[uri(out)]
    latch = [d for d in diags if d.code == "latch"]
    assert latch and latch[0].severity == lsp.DiagnosticSeverity.Warning
    assert LATCHED.splitlines()[latch[0].range.start.line].strip() == "always @(*) begin"
    assert any(d.code == "lint-LATCH" for d in diags) and not any(d.code == "mismatch" for d in diags)
