"""Mutant schemata: many edits judged with one compilation, each verdict the one the oracle gives
the edited design alone (held side by side here), and the oracle's guarantees kept for every
variant of a schema."""

import asyncio
import re

import pytest

from engine import Problem
from engine.designs import design_for
from engine.patch.edits import apply, candidate_edits
from engine.patch.fitness import weights
from engine.patch.judging import EditJudge
from engine.patch.schema import build
from engine.patch.source import parse
from oracle import Oracle, Selector, SourceText, Status, Verdict
from oracle.icarus import select_choice
from tests.conftest import ROOT

EX = ROOT / "examples"
GOOD = (EX / "counter4" / "counter4_good.sv").read_text()
PARITY = (EX / "parity8" / "parity8_ref.sv").read_text().replace("module RefModule", "module TopModule")


def figures(v: Verdict) -> tuple[object, ...]:
    a = v.agreement
    return (v.status, v.samples, v.mismatched_samples, v.score, v.reason if v.status is not Status.FUNCTIONAL_FAIL else "",
            tuple((m.time, m.signal, m.expected, m.actual, tuple(sorted(m.inputs.items()))) for m in v.mismatches),
            a.to_wire() if a else None)


@pytest.fixture(scope="module")
def oracle():
    return Oracle()


# -- the schema's text ---------------------------------------------------------------------------

MIXED = """module TopModule (input clk, input a, input b, output reg q, output y, output reg z, output logic w, output v);
  assign y = a & b; assign w = a | b;
  always @(posedge clk) begin
    if (a)
      q <= b;
    else
      q <= 1'b0;
  end
  always @(posedge clk) begin : named
    z <= a;
  end
endmodule
"""


def test_edits_in_always_statements_are_placed_the_rest_are_left():
    source = parse(MIXED)
    edits = candidate_edits(source, {"q": 0.4, "y": 0.2, "z": 0.2, "w": 0.2})
    selector = Selector.fresh()
    schema, rest = build(source, edits, selector)
    assert schema is not None
    placed = {e.line for e in schema.edits}
    # statements in always blocks, a named block's statements included (not the block: names would
    # clash), continuous assignments (their variants are drivers of a net)
    assert placed == {2, 4, 5, 7, 10}, placed
    assert {e.line for e in rest} == {2, 3, 9}  # another target (v, undriven); both blocks' sensitivity lists
    assert {e.text for e in rest if e.line == 2} == {"v"}
    assert schema.text.count(selector.declaration()) == 1
    # every choice's variant is the statement with its edit, on the lines the schema says
    lines = schema.text.splitlines()
    for k, e in enumerate(schema.edits, start=1):
        first, last = schema.lines[k - 1]
        variant = "\n".join(lines[first - 1:last])
        assert variant.startswith(f"32'd{k}: begin ") or f"{selector.name} == 32'd{k})" in variant
        # a continuous assignment's variant reads its signals through gates of its own (drivers)
        assert e.text in re.sub(rf"\b{selector.name}_n\d+_{k}_", "", variant)
        assert schema.choices_at(first) == [k]
    assert parse(schema.text) is not None  # it parses


def test_anchors_inside_anchors_sit_in_the_default_arm():
    source = parse(GOOD)
    edits = candidate_edits(source, {"count": 1.0})
    schema, _ = build(source, edits, Selector.fresh())
    assert schema is not None and len(schema.edits) > 10
    # the original statement appears once as every case's default, not copied per edit of an inner one
    assert schema.text.count("default: begin ") >= 2
    assert len(schema.text) < 40 * len(GOOD)


def test_the_image_selects_a_choice_only_where_the_marker_is():
    image = b"T_0 ;\n    %pushi/vec4 1234567890, 0, 32;\n    %store/vec4 v0x1_0, 0, 32;\n"
    assert select_choice(image, 1234567890, 7) == image.replace(b"1234567890", b"7")
    assert select_choice(image, 1234567891, 7) is None  # no marker: no run
    assert select_choice(image, 1234567890, 1234567890) is None  # a choice is below the marker


# -- every verdict as the oracle gives it alone ---------------------------------------------------


async def same_verdicts(oracle: Oracle, problem: Problem, text: str, limit: int = 60) -> tuple[int, int]:
    """(edits judged in schemata, edits whose verdicts differ) for ``text``'s first edits."""
    verdict = await oracle.simulate(SourceText("bug.sv", text), problem.bench, agreement=True,
                                    interface=problem.interface or None)
    assert verdict.status is Status.FUNCTIONAL_FAIL, verdict.reason
    source = parse(text)
    edits = candidate_edits(source, weights(verdict), verdict=verdict)[:limit]
    pairs = [(e, apply(text, [e])) for e in edits]

    async def single(t: str) -> Verdict:
        return await oracle.simulate(SourceText("patch.sv", t), problem.bench, timeout_s=10,
                                     interface=problem.interface or None, exact=problem.exact, agreement=True)

    alone = await asyncio.gather(*(single(t) for _, t in pairs))
    judge = EditJudge(oracle, problem, single, lambda: 10.0, "patch.sv")
    many = await judge.many(source, pairs)
    differ = [(e.describe(), figures(a), figures(m.verdict)) for (e, _), a, m in zip(pairs, alone, many)
              if figures(a) != figures(m.verdict)]
    assert not differ, differ[:2]
    assert judge.failed == 0 or judge.schemata > judge.failed
    return sum(1 for m in many if not m.exact), len(differ)


async def test_continuous_assignments_are_drivers_with_the_oracles_verdicts(oracle):
    problem = Problem.from_design(design_for(EX / "parity8" / "parity8.md"), oracle=oracle)
    broken = PARITY.replace("~|data", "|data")
    placed, differ = await same_verdicts(oracle, problem, broken, limit=30)
    assert placed >= 8 and differ == 0


async def test_schema_verdicts_are_the_oracles_on_an_example(oracle):
    problem = Problem.from_design(design_for(EX / "counter4" / "counter4.md"), oracle=oracle)
    placed, differ = await same_verdicts(oracle, problem, GOOD.replace("count + 4'd1", "count - 4'd1"), limit=30)
    assert placed >= 12 and differ == 0  # more edits and designs: tests/engine/test_schema_exact.py


# -- the oracle's guarantees for every variant ---------------------------------------------------


def counter_schema(selector: Selector, arms: list[str]) -> str:
    """counter4's good design with its increment statement given ``arms`` as choices 1..n."""
    statement = "count <= count + 4'd1;"
    cases = "".join(f"32'd{k}: begin {arm} end\n" for k, arm in enumerate(arms, start=1))
    body = f"begin case ({selector.name})\n{cases}default: begin {statement} end\nendcase end"
    text = GOOD.replace(statement, body).replace(");\n", f");\n{selector.declaration()}\n", 1)
    assert text.count(selector.name) == 2
    return text


async def test_a_forbidden_construct_in_any_variant_rejects_the_whole_schema(oracle):
    problem = Problem.from_design(design_for(EX / "counter4" / "counter4.md"), oracle=oracle)
    for hostile in ("begin $finish; end", "count <= $fopen(\"/etc/passwd\", \"r\");",
                    "count <= tb.count_ref;", "force count = 4'd0;"):
        selector = Selector.fresh()
        text = counter_schema(selector, ["count <= count + 4'd1;", hostile])
        result = await oracle.simulate_variants(SourceText("s.sv", text), problem.bench, selector, 2,
                                                interface=problem.interface)
        assert isinstance(result, Verdict), hostile
        assert result.status in (Status.COMPILE_ERROR, Status.ERROR), (hostile, result.status, result.reason)


async def test_each_choice_has_its_own_deadline_and_verdict(oracle):
    problem = Problem.from_design(design_for(EX / "counter4" / "counter4.md"), oracle=oracle)
    selector = Selector.fresh()
    hang = "begin while (1) count = count; end"  # a variant that never returns
    text = counter_schema(selector, ["count <= count + 4'd1;", hang, "count <= count - 4'd1;"])
    result = await oracle.simulate_variants(SourceText("s.sv", text), problem.bench, selector, 3, timeout_s=2,
                                            interface=problem.interface)
    assert isinstance(result, list), result
    assert [v.status for v in result] == [Status.PASS, Status.TIMEOUT, Status.FUNCTIONAL_FAIL]


async def test_a_schema_whose_selector_is_lost_gives_no_verdicts(oracle):
    problem = Problem.from_design(design_for(EX / "counter4" / "counter4.md"), oracle=oracle)
    selector = Selector.fresh()
    other = Selector(selector.name, selector.marker + 1)  # the oracle looks for a marker the image lacks
    text = counter_schema(selector, ["count <= count + 4'd1;"])
    result = await oracle.simulate_variants(SourceText("s.sv", text), problem.bench, other, 1,
                                            interface=problem.interface)
    assert isinstance(result, Verdict) and result.status is Status.ERROR and "selector" in result.reason


FSM_STAR = """module TopModule (input clk, input reset, input s, input w, output reg z);
  reg [1:0] state, next;
  always @(posedge clk) if (reset) state <= 2'd0; else state <= next;
  always @(*) begin
    case (state)
      2'd0: next = s ? 2'd1 : 2'd0;
      2'd1: next = w ? 2'd2 : 2'd0;
      default: next = 2'd0;
    endcase
    z = state == 2'd2;
  end
endmodule
"""


def test_an_edit_changing_what_an_always_star_block_reads_goes_to_a_guarded_copy_of_it():
    source = parse(FSM_STAR)
    edits = candidate_edits(source, {"z": 1.0})
    selector = Selector.fresh()
    schema, rest = build(source, edits, selector)
    assert schema is not None
    block = FSM_STAR.index("always @(*)")
    copied = [k for k, e in enumerate(schema.edits, start=1) if e.start > block
              and f"if ({selector.name} == 32'd{k}) begin" in schema.text]
    new_name = [e for e in schema.edits if e.start > block and "s ? 2'd1 : 2'd0" in FSM_STAR[e.start - 20:e.end + 20]
                and "w" in e.text]
    assert copied and new_name  # e.g. s -> w in the first arm: now the block reads w there
    for k in copied:
        e = schema.edits[k - 1]
        first, last = schema.lines[k - 1]
        copy = "\n".join(schema.text.splitlines()[first - 1:last])
        assert copy.lstrip().startswith("always @(*)") and e.text in copy
    # the block itself runs in every other choice, declared after its copies (a process declared
    # after another one sensitive to the same signal can change the order Icarus wakes them in)
    itself = schema.text.index(f"if (!({selector.name} >= 32'd")
    assert all(schema.text.index(f"if ({selector.name} == 32'd{k}) begin") < itself for k in copied)
    same = [e for e in schema.edits if e.start > block and e.text in ("2'd3",)]
    assert all(f"32'd{schema.edits.index(e) + 1}: begin" in schema.text for e in same)  # reads nothing new: in place


def test_an_edit_dropping_the_last_use_of_a_name_in_an_always_star_block_is_not_placed_in_place():
    latch = "module TopModule (input clock, input a, output reg p);\n  always @(*)\n    if (clock)\n      p = a;\nendmodule\n"
    source = parse(latch)
    edits = [e for e in candidate_edits(source, {"p": 1.0}) if e.text in ("'0", "'1")]
    assert edits
    selector = Selector.fresh()
    schema, _ = build(source, edits, selector)
    assert schema is not None
    for k in range(1, len(schema.edits) + 1):
        assert f"if ({selector.name} == 32'd{k}) begin" in schema.text  # a copy, not an arm in place
        assert f"32'd{k}: begin" not in schema.text


async def test_the_race_check_lets_guarded_copies_write_a_port_and_nothing_else(oracle):
    problem = Problem.from_design(design_for(EX / "counter4" / "counter4.md"), oracle=oracle)
    selector = Selector.fresh()
    name = selector.name
    body = "begin if (reset) count <= 4'd0; else if (en) count <= count + 4'd1; end"
    blocks = (f"{selector.declaration()}\n"
              f"always @(posedge clk) if (!({name} >= 32'd1 && {name} <= 32'd2)) {body}\n"
              f"always @(posedge clk) if ({name} == 32'd1) {body}\n"
              f"always @(posedge clk) if ({name} == 32'd2) {body.replace('+', '-')}\n")
    start, end = GOOD.index("  always"), GOOD.index("endmodule")
    text = GOOD[:start] + blocks + GOOD[end:]
    result = await oracle.simulate_variants(SourceText("s.sv", text), problem.bench, selector, 2,
                                            interface=problem.interface)
    assert isinstance(result, list), result
    assert [v.status for v in result] == [Status.PASS, Status.FUNCTIONAL_FAIL]
    # the same blocks are two writers of a port when the guards overlap, or outside a schema
    overlapping = text.replace(f"{name} == 32'd2", f"{name} >= 32'd2")
    result = await oracle.simulate_variants(SourceText("s.sv", overlapping), problem.bench, selector, 2,
                                            interface=problem.interface)
    assert isinstance(result, Verdict) and "two always blocks" in result.reason
    alone = await oracle.simulate(SourceText("d.sv", text), problem.bench, interface=problem.interface)
    assert alone.status is Status.COMPILE_ERROR and "two always blocks" in alone.reason


def test_one_bit_of_a_vector_is_an_anchor_and_a_word_of_an_array_is_not():
    from engine.patch.schema import anchors

    text = ("module TopModule(input [3:0] a, output [3:0] y, output [7:0] z);\n"
            "parameter B = 2;\nwire [7:0] m [0:3];\n"
            "assign y[B] = a[0] & a[1];\nassign y[1:0] = a[1:0];\nassign m[1] = {a, a};\nassign z = m[1];\n"
            "assign y[3] = 1'b0;\nendmodule\n")
    found = {(a.target, a.width) for a in anchors(parse(text)) if a.assign}
    assert found == {("y[B]", ""), ("z", "[7:0]"), ("y[3]", "")}
