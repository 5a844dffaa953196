"""The real server under malformed input and lifecycle races: every request gets an answer,
nothing reaches a traceback, the process stays up, and it ends with the code LSP prescribes."""

import json
import time

import pytest

from scripts.support.lspclient import make_workspace
from scripts.support.lspfuzz import RawServer, frame, fuzz
from tests.conftest import ROOT


@pytest.mark.parametrize("seed", [1, 2])
def test_every_malformed_request_is_answered_and_nothing_breaks(tmp_path, seed):
    result = fuzz(make_workspace(tmp_path), seed, 300)
    assert result["answered"] == result["expected"], result["missing"]
    assert result["alive"] and result["shutdown"] and result["exit_code"] == 0, result
    assert result["tracebacks"] == 0, result
    assert set(result["codes"]) <= {"result", "-32700", "-32600", "-32601", "-32602"}, result["codes"]


def test_oversized_messages_are_refused_and_the_stream_goes_on(tmp_path):
    server = RawServer()
    server.initialize(make_workspace(tmp_path))
    too_big = b"x" * (65 << 20)
    server.send(b"Content-Length: %d\r\n\r\n" % len(too_big) + too_big)
    refused = server.response(None, timeout=60)
    assert refused["error"]["code"] == -32600 and "over the limit" in refused["error"]["message"]
    server.request(5, "workspace/executeCommand", {"command": "anvil.doctor", "arguments": []})
    assert "result" in server.response(5, timeout=60)
    server.send(b"Content-Length: 100000000000\r\n\r\n")  # a lie: the server waits for it, alive
    time.sleep(0.5)
    assert server.proc.poll() is None
    assert server.close() == 1  # the stream ended without shutdown and exit


def test_invalid_params_get_invalid_params_with_a_reason(tmp_path):
    server = RawServer()
    server.initialize(make_workspace(tmp_path))
    server.request(7, "textDocument/codeAction", {"textDocument": 5})
    answer = server.response(7)
    assert answer["error"]["code"] == -32602 and "textDocument/codeAction" in answer["error"]["message"]
    for args, words in (([{"uri": 5}], "as a string"), ([{"uri": "x" * 5000}], "over 4096"), ([{"job": 3}], None)):
        command = "anvil.cancel" if words is None else "anvil.check"
        server.request(8, "workspace/executeCommand", {"command": command, "arguments": args})
        result = server.response(8)["result"]
        assert result["status"] == "error" and (words is None or words in result["message"]), result
    server.close()


def test_a_lone_surrogate_in_a_document_breaks_nothing(tmp_path):
    folder = make_workspace(tmp_path)
    (folder / "counter4.sv").write_text((ROOT / "examples" / "counter4" / "counter4_good.sv").read_text())
    server = RawServer()
    server.initialize(folder)
    uri = (folder / "counter4.sv").as_uri()
    text = (folder / "counter4.sv").read_text().replace("// A correct", "// \\udc80 A correct")
    server.send(frame(('{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": '
                       f'{{"uri": "{uri}", "languageId": "systemverilog", "version": 1, "text": '
                       f'{json.dumps(text)}}}}}}}').encode()))
    server.request(9, "workspace/executeCommand", {"command": "anvil.check", "arguments": [{"uri": uri}]})
    assert server.response(9, timeout=60)["result"]["status"] == "pass"
    spec = (folder / "counter4.md").as_uri()
    server.request(10, "textDocument/codeAction", {"textDocument": {"uri": spec}, "range": {
        "start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "context": {"diagnostics": []}})
    assert "result" in server.response(10)
    server.close()
    assert "Traceback" not in server.stderr()


def test_shutdown_during_a_check_then_only_exit_is_accepted(tmp_path):
    folder = make_workspace(tmp_path)
    (folder / "counter4.sv").write_text((ROOT / "examples" / "counter4" / "counter4_good.sv").read_text())
    server = RawServer()
    server.initialize(folder)
    for _ in range(3):
        server.notify("initialized", {})  # again: ignored, no extra watcher
    tb = (folder / "counter4_tb.sv").as_uri()
    server.request(20, "workspace/executeCommand", {"command": "anvil.check", "arguments": [{"uri": tb}]})
    server.request(21, "shutdown")
    assert server.response(21, timeout=30)["result"] is None
    assert server.response(20, timeout=30) is not None  # the check's answer (a result or cancelled)
    server.request(22, "workspace/executeCommand", {"command": "anvil.doctor", "arguments": []})
    assert server.response(22)["error"]["code"] == -32600
    server.notify("exit")
    assert server.close() == 0
    log = server.stderr()
    assert "Traceback" not in log and log.count("initialized received again") == 3


def test_exit_without_shutdown_exits_1_and_writes_no_tracebacks(tmp_path):
    server = RawServer()
    server.initialize(make_workspace(tmp_path))
    server.notify("exit")
    assert server.close() == 1
    assert "Traceback" not in server.stderr()



@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGKILL"])
def test_a_killed_server_leaves_no_simulation_behind(tmp_path, signal_name):
    import signal

    from tests.conftest import simulation_running, tool_processes

    folder = make_workspace(tmp_path)
    (folder / "counter4.sv").write_text("module TopModule(input clk, input reset, input en, output reg [3:0] count);\n"
                                        "integer i;\ninitial begin i = 0; while (1) i = i + 1; end\nendmodule\n")
    server = RawServer()
    server.initialize(folder)
    server.notify("workspace/didChangeConfiguration", {"settings": {"anvil": {"timeout": 120}}})
    tb = (folder / "counter4_tb.sv").as_uri()
    server.request(30, "workspace/executeCommand", {"command": "anvil.check", "arguments": [{"uri": tb}]})
    marker = f"anvil-runs-{server.proc.pid}-"
    assert simulation_running(marker, alive=lambda: server.answer_server_requests() or True), \
        "the simulation never started"
    server.proc.send_signal(getattr(signal, signal_name))
    server.proc.wait(timeout=10)
    for _ in range(40):
        if not tool_processes(marker):
            break
        time.sleep(0.05)
    assert tool_processes(marker) == []


def test_deeply_nested_json_is_refused_and_the_server_answers_the_next_request(tmp_path):
    server = RawServer()
    server.initialize(make_workspace(tmp_path))
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000):
        server.send(frame(body))
        refused = server.response(None, timeout=30)
        assert refused["error"]["code"] == -32700 and "nested too deeply" in refused["error"]["message"]
    server.request(11, "workspace/executeCommand", {"command": "anvil.doctor", "arguments": []})
    assert "result" in server.response(11, timeout=60)
    assert server.proc.poll() is None and "Traceback" not in server.stderr()
    server.close()


def test_a_null_method_is_an_invalid_request(tmp_path):
    server = RawServer()
    server.initialize(make_workspace(tmp_path))
    server.send(frame(b'{"jsonrpc": "2.0", "id": 12, "method": null}'))
    assert server.response(12)["error"]["code"] == -32600
    server.close()
