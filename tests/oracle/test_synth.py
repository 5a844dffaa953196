"""After the simulation: synthesis (real Yosys) and lint (real Verilator), on hostile input too."""

import json
import shutil
import time

import pytest

from engine.providers.base import CompletionRequest
from engine.run import Runtime
from engine.settings import RunSettings
from oracle import Oracle, SourceText
from oracle.bench import rename_module
from tests.conftest import DATASET, ROOT, processes_matching, run_anvil, shared_problems
from tests.engine.fakes import ScriptedProvider, fenced

EX = ROOT / "examples" / "counter4"
GOOD = (EX / "counter4_good.sv").read_text()
#: the same counter kept as a Gray code: it passes too, with more logic
GRAY = """module TopModule (input clk, input reset, input en, output [3:0] count);
  reg [3:0] g;
  wire [3:0] b = {g[3], g[3] ^ g[2], g[3] ^ g[2] ^ g[1], g[3] ^ g[2] ^ g[1] ^ g[0]};
  wire [3:0] n = b + 4'd1;
  always @(posedge clk) begin
    if (reset) g <= 4'd0;
    else if (en) g <= n ^ {1'b0, n[3:1]};
  end
  assign count = b;
endmodule
"""
LATCH = """module TopModule (input a, input en, input [3:0] x, output reg q, output [3:0] y);
  assign y = x + 4'd1;
  always @(*) begin
    if (en)
      q = a;
  end
endmodule
"""
LOOP = """module TopModule (input a, output y);
  wire b;
  assign b = a & y;
  assign y = ~b;
endmodule
"""
SIM_ONLY = """module TopModule (input clk, input a, output reg q, output [1:0] w);
  initial q = 1'b1;
  always @(posedge clk) q <= #1 a;
  assign w = {a, q, a};
  initial $display("hello");
endmodule
"""



@pytest.fixture(autouse=True)
def tools():
    missing = [t for t in ("yosys", "verilator") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: scripts/setup.sh installs them")  # not a skip


def synth(code: str, **kw):
    import asyncio

    return asyncio.run(Oracle().synthesise(SourceText("design.sv", code), "TopModule", **kw))


@pytest.mark.skipif(not DATASET.is_dir(), reason="the shared VerilogEval problems are not on this machine")
@pytest.mark.parametrize("name", shared_problems(every=13)[1:])  # the first drives a constant: no cell
def test_a_clean_reference_has_cells_and_no_latch(name):
    reference = rename_module((DATASET / f"{name}_ref.sv").read_text(), "RefModule", "TopModule")
    found = synth(reference)
    assert found.status == "ok" and found.cells > 0 and found.latches == () and found.loops == (), found
    assert found.tools.startswith("Yosys 0.") and "Verilator 5." in found.tools
    assert found.summary().startswith(f"{found.cells} cells, ") and "no latch, no loop" in found.summary()


def test_an_incomplete_if_is_a_latch_with_its_signal_and_line():
    found = synth(LATCH)
    assert found.status == "ok" and not found.clean
    [latch] = found.latches
    assert (latch.signal, latch.line, latch.file) == ("q", 3, "design.sv"), latch
    assert any(f.code == "LATCH" and f.line == 3 for f in found.lint)  # Verilator agrees
    assert "1 latch (q line 3)" in found.summary()
    comb = synth(LATCH.replace("always @(*)", "always_comb"))  # yosys refuses to build it: said as a latch
    assert comb.status == "error" and [f.signal for f in comb.latches] == ["q"] and "latch on q" in comb.reason


def test_a_combinational_loop_and_what_only_a_simulator_honours():
    loop = synth(LOOP)
    assert [f.line for f in loop.loops] == [3] and "line 4" in loop.loops[0].message
    odd = synth(SIM_ONLY)
    dropped = {f.message.split(":")[0]: f.line for f in odd.warnings if f.kind == "dropped"}
    assert dropped == {"initial": 2, "#1": 3, "$display": 5}, odd.warnings
    assert any(f.code == "WIDTH" and f.line == 4 for f in odd.lint), odd.lint  # 3 bits into 2


def test_check_synth_reports_beside_the_verdict_and_never_changes_it(tmp_path):
    rtl = tmp_path / "counter4.sv"
    rtl.write_text(GOOD.replace("    else if (en)\n      count <= count + 4'd1;",
                                "    else if (en)\n      count <= count + 4'd1;\n    else count <= count;"))
    plain = run_anvil("check", rtl, "--tb", EX / "counter4_tb.sv")
    synthesised = run_anvil("check", rtl, "--tb", EX / "counter4_tb.sv", "--synth", "--json")
    assert plain.returncode == synthesised.returncode == 0
    verdict = json.loads(synthesised.stdout)
    assert verdict["status"] == "pass" and verdict["synthesis"]["flops"] == 4 and verdict["synthesis"]["latches"] == []
    latch = tmp_path / "latch.sv"
    latch.write_text(LATCH)
    tb = tmp_path / "latch_tb.sv"
    tb.write_text("module tb; reg a, en; reg [3:0] x; wire q; wire [3:0] y;\n"
                  "  TopModule dut(.a(a), .en(en), .x(x), .q(q), .y(y));\n"
                  "  initial begin a = 0; en = 1; x = 0; #1 if (q !== 0 || y !== 1) $display(\"ERROR\");\n"
                  "    $display(\"Mismatches: 0 in 1 samples\"); $finish; end\nendmodule\n")
    human = run_anvil("check", latch, "--tb", tb, "--synth", "-v")
    assert human.returncode == 0 and human.stdout.startswith("PASS"), human.stdout + human.stderr
    assert "1 latch (q line 3)" in human.stdout and f"{latch}:3: latch: latch inferred for q" in human.stdout


def test_a_hostile_design_reads_nothing_and_ends_at_its_deadline(tmp_path):
    secret = tmp_path / "secret.hex"
    secret.write_text("c0ffee\n" * 4)
    reads = f"""module TopModule (input [1:0] a, output [23:0] y);
  reg [23:0] mem [0:3];
  initial $readmemh("{secret}", mem);
  assign y = mem[a];
endmodule
"""
    found = synth(reads)
    # the sandbox shows Yosys no file of the machine (unsandboxed it reads the ROM and folds it away)
    assert found.status == "error" and "Can not open file" in found.reason, found
    assert "c0ffee" not in json.dumps(found.to_dict())
    assert synth('`include "/etc/passwd"\nmodule TopModule(output y); assign y = 1; endmodule\n').status == "error"
    written = tmp_path / "written.hex"
    writes = f"""module TopModule (input a, output y);
  reg [7:0] mem [0:1];
  initial begin mem[0] = 8'h5a; mem[1] = 8'ha5; $writememh("{written}", mem); end
  assign y = a ^ mem[0][0];
endmodule
"""
    synth(writes)
    assert not written.exists()  # neither tool writes a file of the machine
    spins = """module TopModule (input [31:0] a, output [31:0] y);
  genvar i;
  wire [31:0] s [0:200000];
  assign s[0] = a;
  generate for (i = 0; i < 200000; i = i + 1) begin : g
    assign s[i + 1] = s[i] * s[i] + i;
  end endgenerate
  assign y = s[200000];
endmodule
"""
    started = time.monotonic()
    found = synth(spins, timeout_s=3)
    assert found.status == "timeout" and time.monotonic() - started < 15, found
    deadline = time.monotonic() + 5  # the sandbox's init dies with bubblewrap (--die-with-parent)
    while processes_matching("yosys -Q -T") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_matching("yosys -Q -T") == []


async def test_prefer_area_returns_the_smaller_of_two_passing_designs(tmp_path, monkeypatch):
    """Both pass the testbench; the Gray-code one, first, is larger: --prefer area answers the
    plain counter and records both candidates' figures."""
    from engine.designs import design_for
    from engine.ledger import Ledger

    monkeypatch.setenv("ANVIL_LEDGER", str(tmp_path / "ledger.sqlite"))
    for name in ("counter4.md", "counter4_tb.sv", "counter4_ref.sv"):
        shutil.copy(EX / name, tmp_path / name)
    answers = [GRAY, GOOD]

    def answer(request: CompletionRequest, i: int) -> str:
        return fenced(answers[i % 2])

    settings = RunSettings(samples=2, rounds=0, patch="off", prefer="area", ledger=tmp_path / "ledger.sqlite")
    async with Runtime(settings, provider=ScriptedProvider(answer)) as runtime:
        result = await runtime.run(runtime.problem(design_for(tmp_path / "counter4.md")))
    assert result.solved and result.calls == 2
    passing = [c for c in result.candidates if c.passed]
    gray = next(c for c in passing if "reg [3:0] g;" in c.code)
    plain = next(c for c in passing if c is not gray)
    assert plain.verdict.synthesis.cells < gray.verdict.synthesis.cells, (plain.verdict.synthesis, gray.verdict.synthesis)
    assert result.best.id == plain.id and "cells, 4 flip-flops, no latch" in result.reason
    recorded = Ledger(tmp_path / "ledger.sqlite").run(result.run_id)
    assert all(c["verdict"]["synthesis"]["cells"] > 0 for c in recorded["candidates"])

    # without it, the first pass is the answer
    first = RunSettings(samples=2, rounds=0, patch="off", ledger=tmp_path / "ledger.sqlite")
    async with Runtime(first, provider=ScriptedProvider(answer)) as runtime:
        first_pass = await runtime.run(runtime.problem(design_for(tmp_path / "counter4.md")))
    assert first_pass.solved and first_pass.best.verdict.synthesis is None
