"""Candidates that try to pass without being right never pass, end within the timeout plus 2 s,
and leave no process or file behind (in the sandbox and, where there is none, without it)."""

import asyncio
import sys
import time

import pytest

from oracle import Bench, Oracle, SourceText, Status
from oracle.process import Limits, run_bounded
from tests.conftest import ROOT, processes_matching, tool_processes

TIMEOUT = 3.0
#: examples/counter4 (synchronous reset, enable): every cheat below is wrong, and tries to pass
TB = ROOT / "examples" / "counter4" / "counter4_tb.sv"
COUNTER = "module TopModule(input clk, input reset, input en, output reg [3:0] count);\n"

CHEATS = {
    "fake pass line": COUNTER + 'initial $display("Mismatches: 0 in 461 samples");\nalways @(posedge clk) count <= 0;\nendmodule\n',
    "early finish": COUNTER + "initial #20 $finish;\nalways @(posedge clk) count <= 0;\nendmodule\n",
    "stop": COUNTER + "initial #20 $stop;\nalways @(posedge clk) count <= 0;\nendmodule\n",
    "file write": COUNTER + 'integer f;\ninitial begin f = $fopen("wave.vcd", "w"); $fwrite(f, "x"); $fclose(f); end\n'
                            "always @(posedge clk) count <= 0;\nendmodule\n",
    "output flood": COUNTER + 'always @(posedge clk) begin count <= 0; repeat (100000) $display("Mismatches: 0 in 461 samples"); end\nendmodule\n',
    "copy the reference": COUNTER + "always @* count = tb.ref_model.count;\nendmodule\n",
    "reset the error count": COUNTER + "always @(posedge clk) begin count <= 0; tb.errors = 0; end\nendmodule\n",
    "hidden from other parsers": COUNTER + "`ifdef __ICARUS__\ninitial #30 $finish;\n`endif\nalways @(posedge clk) count <= 0;\nendmodule\n",
    "combinational loop": COUNTER + "wire t;\nassign t = ~t;\nalways @(posedge clk) count <= {3'b0, t};\nendmodule\n",
    "zero-delay loop": COUNTER + "reg t;\nalways @(clk) begin t = 0; while (clk) t = ~t; end\nalways @(posedge clk) count <= 0;\nendmodule\n",
    "busy loop at time zero": COUNTER + "integer i;\ninitial begin i = 0; while (1) i = i + 1; end\nalways @(posedge clk) count <= 0;\nendmodule\n",
    "time stands still": COUNTER + "reg t = 0;\nalways #0 t = ~t;\nalways @(posedge clk) count <= 0;\nendmodule\n",
    "memory bomb": COUNTER + "reg [31:0] mem [0:(1<<30)-1];\nalways @(posedge clk) begin mem[3] <= 1; count <= mem[3][3:0]; end\nendmodule\n",
    "undriven outputs": COUNTER + "endmodule\n",
}


async def leftovers(oracle: Oracle) -> tuple[list[str], int]:
    """Processes of the oracle's runs still alive, and files still in its runs' folder."""
    status = await oracle.runner.status()
    return tool_processes(oracle.runner.root), status["files"] + status["jobs"]


@pytest.mark.parametrize("sandbox", ["on", "off"])
@pytest.mark.parametrize("name", sorted(CHEATS))
async def test_cheating_candidates_never_pass(name, sandbox, tmp_path):
    oracle = Oracle(tmp_root=tmp_path, timeout_s=TIMEOUT, sandbox=sandbox)
    bench = Bench.for_testbench(TB)
    await oracle.check_bench(bench)  # the reference run is not part of the candidate's time
    start = time.monotonic()
    verdict = await oracle.simulate(SourceText(f"{name}.sv", CHEATS[name]), bench)
    elapsed = time.monotonic() - start
    assert verdict.status not in (Status.PASS, Status.ERROR), verdict
    assert elapsed < TIMEOUT + 2
    assert oracle.runner.sandboxed is (sandbox == "on")
    assert await leftovers(oracle) == ([], 0)


@pytest.mark.parametrize("name", ["zero-delay loop", "busy loop at time zero"])
async def test_hangs_are_timeouts_whatever_was_printed(name, tmp_path):
    verdict = await Oracle(tmp_root=tmp_path, timeout_s=TIMEOUT).simulate(
        SourceText("hang.sv", CHEATS[name]), Bench.for_testbench(TB))
    assert verdict.status is Status.TIMEOUT and "killed" in verdict.reason


async def test_cancelling_a_simulation_kills_it_at_once():
    oracle = Oracle(timeout_s=60)
    bench = Bench.for_testbench(TB)
    await oracle.check_bench(bench)
    task = asyncio.create_task(oracle.simulate(SourceText("hang.sv", CHEATS["busy loop at time zero"]), bench))
    root = oracle.runner.root
    for _ in range(200):  # the candidate's vvp (the reference ran before, in check_bench)
        await asyncio.sleep(0.05)
        if any("vvp" in p for p in tool_processes(root)):
            break
    assert any("vvp" in p for p in tool_processes(root)), "the simulation never started"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await leftovers(oracle) == ([], 0)


async def test_runner_caps_output_and_kills_the_whole_group(tmp_path):
    # a flood from a process that also leaves a child behind in its group
    script = "import os, sys\nif os.fork() == 0:\n    import time; time.sleep(60)\nwhile True:\n    sys.stdout.write('x' * 1000 + '\\n')\n"
    marker = tmp_path / "flood.py"
    marker.write_text(script)
    result = await run_bounded([sys.executable, str(marker)], cwd=tmp_path,
                               limits=Limits(timeout_s=1.0, output_head=4096, output_tail=1024))
    assert result.timed_out and result.truncated
    assert result.output_bytes > 100_000
    assert len(result.output) < 4096 + 1024 + 100
    await asyncio.sleep(0.1)
    assert processes_matching(str(marker)) == []


async def test_runner_reads_no_stdin(tmp_path):
    result = await run_bounded([sys.executable, "-c", "import sys; print(repr(sys.stdin.read()))"],
                               cwd=tmp_path, limits=Limits(timeout_s=5))
    assert result.output.strip() == "''" and not result.timed_out


async def test_a_run_cancelled_in_the_same_read_as_its_request_is_answered(tmp_path):
    """The search cancels runs it sent ahead as soon as a pass makes them moot; a cancel read with
    its run, before the run's task began, must still be answered (the host waits for it)."""
    import io
    import json

    from oracle.runner import Runner

    (tmp_path / "root").mkdir()
    runner = Runner(Oracle().tools, tmp_path / "root", 1 << 30)
    runner.out = io.BytesIO()
    try:
        runner.handle({"op": "run", "id": 7, "key": "no-such-bench", "design": [["a.sv", "a.sv", "module m; endmodule"]],
                       "timeout": 5, "limit": 8})
        runner.handle({"op": "cancel", "id": 7})
        for _ in range(100):
            await asyncio.sleep(0.01)
            if runner.out.getvalue():
                break
        assert [json.loads(line) for line in runner.out.getvalue().splitlines()] == [{"id": 7, "cancelled": True}]
        assert runner.jobs == {}
    finally:
        await runner.shutdown()
