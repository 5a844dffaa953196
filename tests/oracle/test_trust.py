"""Hostile candidates, one or more per class of attack: none passes, none reads, writes or leaks a
file of the machine, none outlives its deadline, and each gets a verdict, never a traceback.

The bench is the project's counter4 example (a 4-bit counter with synchronous reset and
enable, in the VerilogEval convention): ``STUCK`` is a wrong design that fails it; each attack
tries to make something like it pass.
"""

import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from oracle import Bench, Oracle, SourceText, Status
from oracle.alone import alone_problems, neutral_top
from oracle.icarus import find_tools
from tests.conftest import KNOWN_BROKEN, ROOT, run_anvil, simulation_running, tool_processes

HEAD = "module TopModule(input clk, input reset, input en, output reg [3:0] count);\n"
STUCK = HEAD + "always @(posedge clk) count <= 4'd1;\nendmodule\n"
TIMEOUT = 4.0
EXAMPLE = ROOT / "examples" / "counter4"
TB = "counter4_tb.sv"


@pytest.fixture
def bench_dir(tmp_path) -> Path:
    """A private copy of the bench's files, so a test can prove that none of them changed."""
    folder = tmp_path / "bench"
    folder.mkdir()
    for name in (TB, "counter4_ref.sv"):
        shutil.copy(EXAMPLE / name, folder / name)
    return folder


def checksums(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


async def judge(bench_dir: Path, text: str, *, oracle: Oracle | None = None, name: str = "cand.sv"):
    oracle = oracle or Oracle(timeout_s=TIMEOUT)
    bench = Bench.for_testbench(bench_dir / TB)
    await oracle.check_bench(bench)
    start = time.monotonic()
    verdict = await oracle.simulate(SourceText(name, text), bench)
    assert time.monotonic() - start < TIMEOUT + 2, verdict
    assert verdict.status is not Status.PASS, verdict
    return verdict


def rejected(verdict, words: str) -> bool:
    return verdict.status is Status.COMPILE_ERROR and any(words in e.message for e in verdict.compile_errors)


# -- 1. the screen and the compiler see one program --------------------------------------------

async def test_the_sandbox_is_active_here():
    info = await Oracle().sandbox()
    assert info["active"], info
    assert info["probe"]["interfaces"] == ["lo"]  # no network
    assert info["probe"]["sees"] == {"/etc/passwd": False, os.getcwd(): False, "/proc/self/mountinfo": False}


@pytest.mark.parametrize("guard", ["`ifdef __ICARUS__", "`ifndef __slang__", "`ifndef SV_COV_START"])
async def test_code_hidden_behind_predefined_macros_is_screened(bench_dir, guard):
    text = f"{guard}\n{HEAD}initial #20 $finish;\nalways @(posedge clk) count <= 1;\nendmodule\n`else\n{STUCK}`endif\n"
    assert rejected(await judge(bench_dir, text), "$finish")


async def test_a_macro_named_like_a_directive_cannot_reach_the_bench(bench_dir):
    # compiled first, `timescale would expand inside the bench and print a fake result
    inject = ('`define timescale module fake; initial begin #1 $display("Mismatches: 0 in 461 samples"); '
              '$finish; end endmodule //\n')
    verdict = await judge(bench_dir, inject + STUCK)
    plain = await judge(bench_dir, STUCK)
    assert verdict.status is Status.FUNCTIONAL_FAIL
    assert (verdict.mismatched_samples, verdict.mismatches) == (plain.mismatched_samples, plain.mismatches)


async def test_macros_shared_by_several_design_files_are_screened(bench_dir):
    oracle = Oracle(timeout_s=TIMEOUT)
    bench = Bench.for_testbench(bench_dir / TB)
    first = SourceText("defs.sv", "`define CLEAR tb.errors = 0\nmodule helper; endmodule\n")
    second = SourceText("top.sv", HEAD + "always @(posedge clk) begin count <= 1; `CLEAR; end\nendmodule\n")
    verdict = await oracle.simulate([first, second], bench)
    assert verdict.status is Status.COMPILE_ERROR
    assert any(e.file == "top.sv" and "'tb'" in e.message for e in verdict.compile_errors), verdict.compile_errors


async def test_file_and_line_macros_name_only_the_run(bench_dir):
    text = HEAD + "localparam L = `__LINE__;\nlocalparam [8*64:1] F = `__FILE__;\n" \
                  "always @(posedge clk) count <= reset ? 4'd0 : (en ? count + L[3:0] - 4'd1 : count);\nendmodule\n"
    oracle = Oracle(timeout_s=TIMEOUT)
    bench = Bench.for_testbench(bench_dir / TB)
    verdict = await oracle.simulate(SourceText("lines.sv", text), bench)
    assert verdict.passed, verdict.reason  # L is 2: a correct counter written oddly


async def test_directives_built_from_macro_pieces_are_rejected(bench_dir):
    text = "`define B `\n`define T begin_keywords\n`B`T \"1364-1995\"\n" + STUCK
    assert rejected(await judge(bench_dir, text), "begin_keywords")


# -- 2. force / release / procedural assign on the bench's nets --------------------------------

@pytest.mark.parametrize("statement", ["initial force reset = 1'b1;", "always @* assign count = 4'd0;",
                                       "initial begin #1 release reset; end", "initial deassign count;"])
async def test_overriding_the_benchs_nets_is_rejected(bench_dir, statement):
    # with reset forced high, the reference and a constant 0 agree on every sample
    text = HEAD + statement + "\nalways @(posedge clk) count <= 4'd0;\nendmodule\n"
    verdict = await judge(bench_dir, text)
    assert verdict.status is Status.COMPILE_ERROR
    assert any(w in verdict.reason for w in ("force", "release", "assign", "deassign"))


# -- 3. instances of modules the design does not define --------------------------------------

async def test_instantiating_the_golden_reference_is_rejected(bench_dir):
    text = HEAD + "RefModule r(.clk(clk), .reset(reset), .en(en), .count(count));\nendmodule\n"
    assert rejected(await judge(bench_dir, text), "golden reference")


async def test_instantiating_a_bench_module_is_rejected(bench_dir):
    text = HEAD + "tb copy();\nalways @(posedge clk) count <= 1;\nendmodule\n"
    assert rejected(await judge(bench_dir, text), "module tb")


# -- 4. compile-time file access ---------------------------------------------------------------

@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("module leaked; wire SECRET_7f3a9c = 1; endmodule\nTOP-SECRET-7f3a9c\n")
    return path


def attacks_on(secret: Path) -> dict[str, str]:
    return {
        "include": f'`include "{secret}"\n' + STUCK,
        "include by macro": f'`define INC `include "{secret}"\n`INC\n' + STUCK,
        "include built from pieces": f'`define B `\n`define T include\n`B`T "{secret}"\n' + STUCK,
        "line": f'`line 1 "{secret}" 0\n' + HEAD + "syntax error here\nendmodule\n",
        "device": '`include "/dev/stdin"\n' + STUCK,
    }


@pytest.mark.parametrize("attack", ["include", "include by macro", "include built from pieces", "line", "device"])
async def test_no_file_of_the_machine_is_read_or_named(bench_dir, secret, attack):
    verdict = await judge(bench_dir, attacks_on(secret)[attack])
    assert verdict.status is Status.COMPILE_ERROR
    wire = json.dumps(verdict.to_wire())
    assert "7f3a9c" not in wire
    assert str(secret) not in json.dumps(verdict.to_dict()["compile_errors"]) or attack == "include built from pieces"


def test_the_command_line_never_shows_the_contents_either(bench_dir, secret, tmp_path):
    for name, text in attacks_on(secret).items():
        rtl = tmp_path / f"{name.replace(' ', '_')}.sv"
        rtl.write_text(text)
        for json_flag in ((), ("--json",)):
            run = run_anvil("check", rtl, "--tb", bench_dir / TB, *json_flag,
                            "--timeout", str(TIMEOUT), input="")
            assert run.returncode == 1, (name, run.stderr)
            assert "7f3a9c" not in run.stdout + run.stderr, name


# -- 5. the screen is bounded like the simulation --------------------------------------------

BOMBS = {
    "macro expansion": "".join(f"`define A{i + 1} `A{i} `A{i}\n" for i in range(40)).replace("`A0 `A0", "x x")
                       + HEAD + "wire w = `A40;\nalways @(posedge clk) count <= 1;\nendmodule\n",
    "constant function": HEAD + "function integer spin(input integer n); integer i; begin spin = 0; "
                         "for (i = 0; i < n; i = i + 1) spin = spin + 1; end endfunction\n"
                         "localparam integer N = spin(2000000000);\nalways @(posedge clk) count <= N[3:0];\nendmodule\n",
    "replication": HEAD + "wire [3:0] w = {1000000000{4'b1}};\nalways @(posedge clk) count <= w;\nendmodule\n",
    "deep nesting": HEAD + "wire [3:0] w = " + "(" * 20000 + "4'd1" + ")" * 20000 + ";\n"
                    "always @(posedge clk) count <= w;\nendmodule\n",
    "lone surrogate": HEAD + "// \udc80 not UTF-8\nalways @(posedge clk) count <= 1;\nendmodule\n",
}


@pytest.mark.parametrize("bomb", sorted(BOMBS))
async def test_bombs_end_in_a_verdict_within_the_deadline_and_outside_this_process(bench_dir, bomb):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    verdict = await judge(bench_dir, BOMBS[bomb])
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert verdict.status in (Status.COMPILE_ERROR, Status.TIMEOUT, Status.FUNCTIONAL_FAIL), verdict
    assert grown_mb < 100, f"the oracle's own process grew by {grown_mb:.0f} MB"


def test_a_run_with_stdin_held_open_does_not_wait_for_it(bench_dir, tmp_path):
    rtl = tmp_path / "stdin.sv"
    rtl.write_text('`include "/dev/stdin"\n' + HEAD + "integer c;\ninitial c = $fgetc(32'h8000_0000);\n"
                   "always @(posedge clk) count <= 1;\nendmodule\n")
    proc = subprocess.Popen([sys.executable, "-m", "anvil", "check", str(rtl), "--tb",
                             str(bench_dir / TB), "--timeout", str(TIMEOUT)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        code = proc.wait(timeout=TIMEOUT + 20)  # stdin stays open the whole time
    finally:
        proc.kill()
    assert code == 1
    assert b"COMPILE ERROR" in proc.stdout.read()


# -- 5b. a pass by an accident of scheduling -----------------------------------------------------

GOOD_BLOCK = "always @(posedge clk) begin if (reset) count <= 4'd0; else if (en) count <= count + 4'd1; end\n"
RACES = {
    # a second writer on the other edge, for inputs the bench never gives: Icarus passes it
    "a second writer the bench never wakes": HEAD + GOOD_BLOCK
    + "always @(negedge clk) if (count == 4'd15 && en && reset) count <= 4'd9;\nendmodule\n",
    # a second writer on a line never reached (Prob041's answer): Icarus passes it
    "a second writer in a state never entered": HEAD + "reg [1:0] s = 0;\n" + GOOD_BLOCK
    + "always @* if (s == 2'd3) count = 4'd9;\nendmodule\n",
}


def raw_icarus(folder: Path, design: str) -> str:
    """The bench's last line with the design, by plain iverilog and vvp (no oracle)."""
    (folder / "race.sv").write_text(design)
    tools = find_tools()
    subprocess.run([tools.iverilog, "-g2012", "-o", "race.vvp", TB, "counter4_ref.sv", "race.sv"], cwd=folder,
                   check=True, capture_output=True)
    out = subprocess.run([tools.vvp, "-n", "race.vvp"], cwd=folder, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("design", RACES.values(), ids=RACES)
async def test_a_variable_two_always_blocks_write_does_not_pass(bench_dir, design):
    assert raw_icarus(bench_dir, design).startswith("Mismatches: 0 ")  # a way in: the bench alone passes it
    verdict = await judge(bench_dir, design)
    assert rejected(verdict, "'count' is written by two always blocks"), verdict


# -- 6. nothing of a run is left behind; nothing outside it changes ------------------------------

FILE_WRITERS = [
    HEAD + 'integer f;\ninitial begin f = $fopen("../bench/counter4_ref.sv", "w"); '
           '$fdisplay(f, "module RefModule(input clk, input reset, input en, output [3:0] count); assign count = 1; '
           'endmodule"); $fclose(f); end\nalways @(posedge clk) count <= 1;\nendmodule\n',
    HEAD + 'initial begin $dumpfile("/tmp/anvil-pwned.vcd"); $dumpvars; end\nalways @(posedge clk) count <= 1;\nendmodule\n',
    HEAD + 'initial $system("touch /tmp/anvil-pwned");\nalways @(posedge clk) count <= 1;\nendmodule\n',
]


async def test_no_file_outside_the_run_changes(bench_dir, tmp_path):
    before = checksums(bench_dir)
    oracle = Oracle(timeout_s=TIMEOUT)
    for text in FILE_WRITERS:
        assert (await judge(bench_dir, text, oracle=oracle)).status is Status.COMPILE_ERROR
    bench = Bench.for_testbench(bench_dir / TB)
    prepared = oracle._prepare(bench)
    # past the screen (as if it had a hole), the sandbox still keeps the bench and /tmp safe
    for i, text in enumerate(FILE_WRITERS[:2]):
        await oracle._run([SourceText(f"writer{i}.sv", text)], prepared, None, TIMEOUT, 8, screen=False)
    assert checksums(bench_dir) == before
    assert not Path("/tmp/anvil-pwned.vcd").exists() and not Path("/tmp/anvil-pwned").exists()
    # and the next honest candidate is judged against the real reference
    wrong = await judge(bench_dir, STUCK, oracle=oracle)
    assert wrong.status is Status.FUNCTIONAL_FAIL


async def test_past_the_screen_a_design_cannot_read_files_of_the_machine(bench_dir, secret):
    oracle = Oracle(timeout_s=TIMEOUT)
    bench = Bench.for_testbench(bench_dir / TB)
    await oracle.check_bench(bench)
    reader = HEAD + f'integer f, c;\ninitial begin f = $fopen("{secret}", "r"); $display("fd=%0d", f); ' \
                    'c = $fgetc(f); $display("got=%0d", c); end\nalways @(posedge clk) count <= 1;\nendmodule\n'
    verdict = await oracle._run([SourceText("reader.sv", reader)], oracle._prepare(bench), None, TIMEOUT, 8,
                                screen=False)
    assert "fd=0" in verdict.log_tail and "7f3a9c" not in verdict.log_tail


@pytest.mark.parametrize("sandbox", ["on", "off"])
def test_killing_anvil_check_leaves_no_process(bench_dir, tmp_path, sandbox):
    hang = tmp_path / "hang.sv"
    hang.write_text(HEAD + "integer i;\ninitial begin i = 0; while (1) i = i + 1; end\n"
                           "always @(posedge clk) count <= 1;\nendmodule\n")
    env = dict(os.environ, ANVIL_SANDBOX=sandbox, TMPDIR=str(tmp_path))
    log = (tmp_path / "stderr.txt").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "anvil", "check", str(hang), "--tb",
                             str(bench_dir / TB), "--timeout", "60"],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=ROOT, env=env)
    marker = f"anvil-runs-{proc.pid}-"
    try:
        assert simulation_running(marker, alive=lambda: proc.poll() is None), \
            f"the simulation never started ({proc.poll()}): {(tmp_path / 'stderr.txt').read_text()}"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    for _ in range(40):
        if not tool_processes(marker):
            break
        time.sleep(0.05)
    assert tool_processes(marker) == []
    def left() -> list[str]:  # the killed process's own folder holds only its lock once the runner is gone
        return sorted(str(p.relative_to(tmp_path)) for folder in tmp_path.glob("anvil-*") for p in folder.rglob("*")
                      if p.is_file() and p.name != ".owner")

    for _ in range(40):  # without a sandbox the runner removes its folder as it ends
        if not left():
            break
        time.sleep(0.05)
    assert left() == [] and not any(p.name.startswith("ivrl") for p in tmp_path.iterdir())
    # the next run removes the folder of the process that was killed
    check = subprocess.run([sys.executable, "-m", "anvil", "check", str(ROOT / "examples" / "counter4" /
                            "counter4_good.sv"), "--tb", str(bench_dir / TB)], cwd=ROOT, env=env, capture_output=True)
    assert check.returncode == 0, check.stderr
    assert not any(p.name.startswith(("anvil", "ivrl")) for p in tmp_path.iterdir())


def test_rejected_and_timed_out_compiles_leave_no_temp_files(bench_dir, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    slow = HEAD + "genvar i;\ngenerate for (i = 0; i < 2000000; i = i + 1) begin : g\n  wire [3:0] w = i;\n" \
                  "end endgenerate\nalways @(posedge clk) count <= 1;\nendmodule\n"
    for sandbox in ("on", "off"):
        for name, text in {"rejected": HEAD + "initial $finish;\nendmodule\n", "slow": slow}.items():
            rtl = tmp_path / f"{name}.sv"
            rtl.write_text(text)
            run = run_anvil("check", rtl, "--tb", bench_dir / TB, "--timeout", "2",
                            env=dict(os.environ, TMPDIR=str(scratch), ANVIL_SANDBOX=sandbox))
            assert run.returncode == 1, run.stderr
    assert list(scratch.iterdir()) == []


# -- the design elaborated alone, judged by what Icarus compiled -----------------------------------

def compile_alone(tmp_path: Path, design: str, top: str = "TopModule") -> tuple[int, str, list[str]]:
    """The design compiled alone under the neutral top, as the runner does it (no screen, no
    lexical check): (exit code, the compiler's output, the image's lines)."""
    name, neutral = neutral_top(top, {}, "t3st")
    (tmp_path / "cand.sv").write_text(design + neutral)
    tools = find_tools()
    done = subprocess.run([tools.iverilog, "-g2012", "-s", name, "-o", "alone.vvp", "cand.sv"], cwd=tmp_path,
                          capture_output=True, text=True)
    image = tmp_path / "alone.vvp"
    return done.returncode, done.stdout + done.stderr, image.read_text().splitlines() if image.exists() else []


@pytest.mark.parametrize("body, words", [
    ('initial $display("Mismatches: 0 in 461 samples");', "$display"),
    ('#line "elsewhere.sv" 1\nfinal begin $display("Mismatches: 0 in 461 samples"); $finish; end', "$display"),
    ('#line "x.sv" 1\ninteger fd; initial fd = $fopen("/proc/self/mountinfo", "r");', "$fopen"),
    ("initial force count = 1;", "force"),
    ("always @(posedge clk) assign count = 0;", "procedural assign"),
    ("always @(posedge clk) tb.errors = 0;", "tb.errors"),
    ("always @* count = $root.tb.count_ref;", "error"),  # Icarus 11 does not even parse $root
    ("wire [3:0] r; RefModule g(.clk(clk), .reset(reset), .en(en), .count(r));", "RefModule"),
    ("wire \\a\x0b// ; assign count = tb.count_ref;", "Unable to bind"),
    ("generate if (0) begin : ref_model wire [3:0] count; end endgenerate\nalways @* count = ref_model.count;",
     "Unable to bind"),
])
def test_icarus_alone_stops_what_a_screen_might_miss(tmp_path, body, words):
    code, output, image = compile_alone(tmp_path, HEAD + body + "\nalways @(posedge clk) count <= 1;\nendmodule\n")
    if code != 0:  # the design cannot be elaborated on its own
        assert words in output and "error" in output, output
        return
    problems = alone_problems(image, output, {"cand.sv": "cand.sv"})
    assert any(words in p.message for p in problems), problems


def test_unit_level_items_may_not_share_the_bench_s_names(tmp_path):
    design = ("logic [3:0] shared;\nlocalparam int errors = 3;\nfunction automatic [3:0] f(input [3:0] x); f = x; "
              "endfunction\n" + HEAD + "always @(posedge clk) count <= f(4'd1) + errors;\nendmodule\n")
    code, output, image = compile_alone(tmp_path, design)
    assert code == 0, output
    messages = [p.message for p in alone_problems(image, output, {"cand.sv": "cand.sv"}, frozenset({"errors"}))]
    assert any("variables and nets outside a module" in m for m in messages)
    assert any("'errors'" in m for m in messages) and not any("'f'" in m for m in messages)


def test_the_alone_check_accepts_every_reference(dataset, tmp_path):
    for ref_path in sorted(dataset.glob("*_ref.sv")):
        name = ref_path.name[: -len("_ref.sv")]
        folder = tmp_path / name
        folder.mkdir()
        code, output, image = compile_alone(folder, ref_path.read_text().replace("module RefModule", "module TopModule"))
        if name in KNOWN_BROKEN and code != 0:
            continue
        assert code == 0, (name, output)
        assert alone_problems(image, output, {"cand.sv": "cand.sv"}) == [], name
