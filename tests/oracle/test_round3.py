"""Oracle trust, round 3: the compiler that runs the design decides what the design is.

Our own hostile candidates for each cause of round 3 (bytes that lex differently, Icarus's
``#line``, names declared where nothing is elaborated, constants the parsers evaluate differently,
work on candidate-controlled text that is not linear, inherited limits, kills that leave files).
None passes, with or without the sandbox; each gets a verdict within the timeout plus 2 s and
leaves nothing behind. tests/oracle/test_trust.py shows that Icarus alone (no screen, no lexical
check) stops the same tricks.
"""

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oracle import Bench, Oracle, SourceText, Status
from oracle.lexical import raw_problems
from oracle.vcd import agreement, scan
from tests.conftest import ROOT, run_anvil, tool_processes

TIMEOUT = 4.0
EXAMPLE = ROOT / "examples" / "counter4"
TB = EXAMPLE / "counter4_tb.sv"
HEAD = "module TopModule(input clk, input reset, input en, output reg [3:0] count);\n"
ZERO = "always @(posedge clk) count <= 0;\n"
VT = "\x0b"
#: a file a design must never be able to create, wherever it runs
MARK = "/tmp/anvil-round3-was-here"

CANDIDATES = {
    "vertical tab hides a line": HEAD + "wire \\a" + VT + "// ; assign count = tb.count_ref;\nendmodule\n",
    "vertical tab hides a block": HEAD + "wire \\a" + VT + "/* ; always @* count = tb.count_ref; wire \\b*/ ;\n"
                                        "endmodule\n",
    "#line hides a fake result": HEAD + ZERO + '#line "tb.sv" 1\nfinal begin $display("Mismatches: 0 in 461 samples"); '
                                               "$finish; end\nendmodule\n",
    "#line hides a counter reset": HEAD + ZERO + '#line "x.sv" 7\nalways @(negedge clk) tb.errors = 0;\nendmodule\n',
    "#line hides a file write": HEAD + ZERO + f'#line "y.sv" 1\ninteger fd;\ninitial begin fd = $fopen("{MARK}", "w"); '
                                             '$fdisplay(fd, "x"); $fclose(fd); end\nendmodule\n',
    "#line hides a file read": HEAD + '#line "y.sv" 1\ninteger fd; reg [7:0] b;\ninitial fd = $fopen("/proc/self/mountinfo",'
                                      ' "r");\nalways @(posedge clk) begin b = $fgetc(fd); count <= b[3:0]; end\nendmodule\n',
    "name of an uninstantiated module": HEAD + "always @* count = ref_model.count;\nendmodule\nmodule unused; "
                                               "wire [3:0] ref_model; endmodule\n",
    "zero-trip generate names the golden instance": HEAD + "genvar i;\ngenerate for (i = 0; i < 0; i = i + 1) begin : "
                                                           "ref_model wire [3:0] count; end endgenerate\n"
                                                           "always @* count = ref_model.count;\nendmodule\n",
    "inactive generate names the golden instance": HEAD + "generate if (0) begin : ref_model wire [3:0] count; end "
                                                          "endgenerate\nalways @* count = ref_model.count;\nendmodule\n",
    "32-bit overflow picks the branch": HEAD + "localparam integer BIG = 32'h7fffffff + 1;\ngenerate if (BIG < 0) "
                                               "begin : g always @* count = tb.count_ref; end else begin : g "
                                               "always @(posedge clk) count <= 0; end endgenerate\nendmodule\n",
    "unit-level variable named like the bench's": "logic [3:0] count_dut;\n" + HEAD + ZERO + "endmodule\n",
    "15,000-character names": HEAD + f"wire [3:0] {'n' * 15000};\nassign {'n' * 15000} = 4'd1;\n"
                                     f"always @(posedge clk) count <= {'n' * 15000};\nendmodule\n",
    "a flood of long lines": HEAD + ZERO + "initial repeat (2000) $display(\"%0s\", {4000{\"error expected 1 got \"}});\n"
                                           "endmodule\n",
}


@pytest.mark.parametrize("sandbox", ["on", "off"])
@pytest.mark.parametrize("name", sorted(CANDIDATES))
async def test_round3_candidates_never_pass(name, sandbox, tmp_path):
    oracle = Oracle(tmp_root=tmp_path, timeout_s=TIMEOUT, sandbox=sandbox)
    bench = Bench.for_testbench(TB)
    await oracle.check_bench(bench)
    start = time.monotonic()
    verdict = await oracle.simulate(SourceText(f"{name}.sv", CANDIDATES[name]), bench)
    assert verdict.status not in (Status.PASS, Status.ERROR), verdict
    assert time.monotonic() - start < TIMEOUT + 2
    assert not os.path.exists(MARK)
    status = await oracle.runner.status()
    assert tool_processes(oracle.runner.root) == [] and status["files"] + status["jobs"] == 0


@pytest.mark.parametrize("text, words", [
    ("module m;\n wire \\a" + VT + "// x;\nendmodule\n", "control character 0x0B"),
    ('module m;\n#line "x" 3\nendmodule\n', "#line is not allowed"),
    ("module m;\n\x1b[31m\nendmodule\n", "control character 0x1B"),
    ("module m;\n\ufeff\nendmodule\n", "byte order mark"),
])
def test_bytes_the_tools_read_differently_are_refused_on_their_line(text, words):
    problems = raw_problems("d.sv", text)
    assert problems and problems[0].line == 2 and words in problems[0].message


async def test_a_byte_order_mark_at_the_start_is_not_the_design_s_fault():
    text = "\ufeff" + (EXAMPLE / "counter4_good.sv").read_text()
    verdict = await Oracle(timeout_s=TIMEOUT).simulate(SourceText("bom.sv", text), Bench.for_testbench(TB))
    assert verdict.status is Status.PASS, verdict


def test_waveform_reading_stops_at_its_time_limit(tmp_path):
    dump = tmp_path / "wave.vcd"
    header = ("$scope module tb $end\n$var wire 1 ! clk $end\n$var wire 4 \" count_ref $end\n"
              "$var wire 4 # count_dut $end\n$upscope $end\n$enddefinitions $end\n")
    body = "".join(f"#{t * 5}\n{t % 2}!\nb{t % 16:b} \"\nb0 #\n" for t in range(20000))
    dump.write_text(header + body)
    assert agreement(dump).samples > 1000
    assert len(scan(dump, 8)[0]) == 8
    past = time.monotonic() - 1
    assert agreement(dump, until=past) is None  # cut: no partial figures
    assert scan(dump, 8, until=past)[0] == []


def test_a_correct_design_passes_under_a_low_inherited_address_space_limit():
    def low() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3_000_000 * 1024, 3_000_000 * 1024))

    done = subprocess.run([sys.executable, "-m", "anvil", "check", str(EXAMPLE / "counter4_good.sv"), "--tb", str(TB)],
                          capture_output=True, text=True, preexec_fn=low, cwd=ROOT, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stdout + done.stderr


def test_too_low_a_limit_is_named_not_blamed_on_the_design():
    def tiny() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (60_000 * 1024, 60_000 * 1024))

    done = subprocess.run([sys.executable, "-m", "anvil", "check", str(EXAMPLE / "counter4_good.sv"), "--tb", str(TB)],
                          capture_output=True, text=True, preexec_fn=tiny, cwd=ROOT, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 2 and "ulimit -v" in done.stderr, done.stderr


def test_a_kill_at_any_moment_leaves_nothing_once_the_next_run_starts(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(scratch), ANVIL_SANDBOX="off")
    for delay in (0.05, 0.1, 0.2, 0.3, 0.5):
        child = subprocess.Popen([sys.executable, "-m", "anvil", "check", str(EXAMPLE / "counter4_good.sv"), "--tb",
                                  str(TB)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait()
    def designs_left() -> list[Path]:
        return [p for p in scratch.rglob("*") if p.is_file() and p.name != ".owner"
                and ("counter4" in p.name or p.suffix == ".sv")]

    # the runners of the killed processes notice and clean up (within a few seconds on busy cores)
    deadline = time.monotonic() + 10
    while designs_left() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert designs_left() == []
    assert run_anvil("check", EXAMPLE / "counter4_good.sv", "--tb", TB, env=env).returncode == 0
    assert list(scratch.iterdir()) == []
