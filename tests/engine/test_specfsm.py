"""State machines a spec states outright (engine.specfsm): read, written, judged by real Icarus."""

import itertools
import re

import pytest

from engine.specfsm import machine_designs, read_machine
from oracle import Port
from tests.conftest import ROOT

EX = ROOT / "examples" / "turnstile"

TABLE = """A Moore machine:

  state | next state go=0, next state go=1 | output
  IDLE  | IDLE, RUN                        | 0
  RUN   | STOP, RUN                        | 1
  STOP  | IDLE, RUN                        | 0

It resets asynchronously to IDLE.
"""
CODED = """  Present state s[1:0] | Next state x=0, Next state x=1 | Output z
  00 | 00, 01 | 0
  01 | 10, 01 | 0
  10 | 00, 01 | 1
"""
DIAGRAM = """  S0 (0, 0) --0--> S0
  S0 (0, 0) --1--> S1
  S1 (0, 1) --0--> S2
  S1 (0, 1) --1--> S1
  S2 (1, 0) --0--> S0
  S2 (1, 0) --1--> S1

The outputs are given as (hit, miss).
"""


def test_a_state_table_and_a_diagram_read_as_the_same_kind_of_machine():
    m = read_machine(TABLE)
    assert m.states == ("IDLE", "RUN", "STOP") and m.input == "go"
    assert m.next[("RUN", 0)] == "STOP" and m.next[("STOP", 1)] == "RUN" and m.outputs["RUN"] == (1,)
    coded = read_machine(CODED)
    assert coded.states == ("00", "01", "10") and coded.input == "x" and coded.outputs["10"] == (1,)
    d = read_machine(DIAGRAM)
    assert d.states == ("S0", "S1", "S2") and d.input is None and d.outputs["S1"] == (0, 1)
    turnstile = read_machine((EX / "turnstile.md").read_text())
    assert turnstile.output_names == ("open",) and turnstile.guards == {"LOCKED": "coin", "UNLOCKED": "push"}


@pytest.mark.parametrize("text, why", [
    (DIAGRAM.replace("S2 (1, 0) --1--> S1", "S2 (1, 0) --0--> S1"), "an edge to two states"),
    (DIAGRAM.replace("S2 (1, 0) --1--> S1", "S2 (1, 1) --1--> S1"), "a state with two outputs"),
    (DIAGRAM.replace("  S2 (1, 0) --1--> S1\n", ""), "an edge missing"),
    ("no machine here\n  a | b | c\n", "no machine"),
])
def test_no_machine_where_the_spec_does_not_settle_it(text, why):
    assert read_machine(text) is None, why


def test_a_clocked_design_tries_each_reset_the_spec_leaves_open():
    ports = (Port("clk", "input", 1), Port("rst_n", "input", 1), Port("go", "input", 1), Port("busy", "output", 1))
    silent = TABLE.replace("It resets asynchronously to IDLE.", "")
    designs = machine_designs(silent, ports, "TopModule")
    assert len(designs) == 2  # asynchronous and synchronous, each to the first state
    assert "always @(posedge clk or negedge rst_n)" in designs[0].code and "if (!rst_n)" in designs[0].code
    assert "always @(posedge clk) begin" in designs[1].code
    (said,) = machine_designs(TABLE, ports, "TopModule")
    assert "asynchronous active-low reset to IDLE" in said.derivation[0]
    # the words: "the state machine" before the state, an active-low reset whatever its name
    worded = silent + "A synchronous, active-low reset resets the state machine to STOP.\n"
    (low,) = machine_designs(worded, (Port("clk", "input", 1), Port("reset", "input", 1), *ports[2:]), "TopModule")
    assert "synchronous active-low reset to STOP" in low.derivation[0] and "if (!reset) state <= S_STOP" in low.code
    # an interface that is not the machine's: nothing
    assert machine_designs(TABLE, (*ports, Port("extra", "output", 1)), "TopModule") == []


def evaluate(code: str, values: dict[str, int]) -> dict[str, int]:
    """The one-hot design's assigns, evaluated in Python over 0/1 bits."""
    out = {}
    for lhs, rhs in re.findall(r"assign (\S+) = (.+);", code):
        text = re.sub(r"(\w+)\[(\d+)\]", r"\1_\2", rhs).replace("1'b0", "0")
        text = re.sub(r"~(\w+)", r"(1^\1)", text)
        out[re.sub(r"(\w+)\[(\d+)\]", r"\1_\2", lhs)] = eval(text, {}, dict(values)) & 1  # our own 0/1 expression
    return out


def test_one_hot_logic_by_inspection_follows_every_transition():
    ports = (Port("x", "input", 1), Port("s", "input", 3), Port("ns", "output", 3), Port("hit", "output", 1),
             Port("miss", "output", 1))
    spec = DIAGRAM + "\nOne-hot: s[0] is S0, s[1] is S1, s[2] is S2.\n"
    m = read_machine(spec)
    (design,) = machine_designs(spec, ports, "TopModule")
    bit = {"S0": 0, "S1": 1, "S2": 2}
    for state, x in itertools.product(m.states, (0, 1)):
        values = {"x": x, **{f"s_{i}": int(i == bit[state]) for i in range(3)}}
        got = evaluate(design.code, values)
        assert {i for i in range(3) if got[f"ns_{i}"]} == {bit[m.next[(state, x)]]}, (state, x)
        assert (got["hit"], got["miss"]) == m.outputs[state]
    # several states at once (the next-state logic of each is ORed): S0 and S2 with x=1 both lead to S1
    both = evaluate(design.code, {"x": 1, "s_0": 1, "s_1": 0, "s_2": 1})
    assert (both["ns_0"], both["ns_1"], both["ns_2"], both["hit"]) == (0, 1, 0, 1)


def test_next_state_bits_over_the_state_codes():
    """An output named after the state vector and a bit (Y1 for y) is that bit of the next state."""
    ports = (Port("y", "input", 2), Port("x", "input", 1), Port("Y0", "output", 1), Port("Y1", "output", 1))
    m = read_machine(CODED)
    (design,) = machine_designs(CODED, ports, "TopModule")
    assert "over the state codes" in design.derivation[0]
    for state, x in itertools.product(m.states, (0, 1)):
        y = int(state, 2)
        text = design.code
        got = {}
        for lhs, rhs in re.findall(r"assign (\S+) = (.+);", text):
            rhs = re.sub(r"y == 2'b([01]+)", lambda c, y=y: str(int(int(c.group(1), 2) == y)), rhs)
            got[lhs] = eval(re.sub(r"~x", "(1^x)", rhs).replace("1'b0", "0"), {}, {"x": x}) & 1
        assert (got["Y1"], got["Y0"]) == tuple(int(b) for b in m.next[(state, x)]), (state, x)
