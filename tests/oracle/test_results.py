"""The result-line rule (oracle.results): what a printed line says and what values it carries."""

import re

import pytest

from oracle.results import Rule, Said, read_line, recognisable, values_in

PASS, FAIL, NOTHING = Said.PASS, Said.FAIL, Said.NOTHING


@pytest.mark.parametrize("line, said", [
    ("===========Your Design Passed===========", PASS),
    ("=========== Your Design Passed ===========", PASS),
    ("TEST PASSED", PASS),
    ("All tests passed", PASS),
    ("PASS", PASS),
    ("*** SUCCESS ***", PASS),
    ("Simulation finished with 0 errors", PASS),
    ("===========Test completed with           0 /100 failures===========", PASS),
    ("no errors found", PASS),
    ("mismatches: 0", PASS),
    ("===========Error===========", FAIL),
    ("===========Failed===========          3", FAIL),
    ("=========== Test completed with          20 failures ===========", FAIL),
    ("Test completed with 3 errors.", FAIL),
    ("3 of 40 vectors failed", FAIL),
    ("Passed: 98, Failed: 2", FAIL),
    ("Error: dividend=156, divisor= 10, expected=00f6, got=faf1", FAIL),
    ("Failed at i=3, out=0101, expected=1010", FAIL),
    ("Test failed: A = 3, B = 4 | Expected = 7, Got = 8", FAIL),
    ("ERROR: tb.sv:12: count is 3, expected 4", FAIL),
    ("FATAL: tb.v:11: data=0000 parity=1", FAIL),
    ("vector sel=2: FAIL y exp 1a act 09", FAIL),
    ("q expected 4'h3 got 4'h5", FAIL),
    ("t=49 dout=50a expected 923", FAIL),
    ("Output does not match the model", FAIL),
    ("q expected 4'h3 got 4'h3", NOTHING),
    ("mul_a = 3, mul_b = 4, mul_out = 12, expected = 12", NOTHING),
    ("A = 3, B = 5, Expected Product = 15", NOTHING),
    ("Starting ROM Testbench...", NOTHING),
    ("bypass", NOTHING),
    ("FIFO is full (wfull=1) at depth 3", NOTHING),
    ("", NOTHING),
])
def test_what_a_line_says(line, said):
    assert read_line(line).said is said


def test_counts_and_totals():
    reading = read_line("=== Test completed with 3 /100 failures ===")
    assert (reading.said, reading.count, reading.total) == (FAIL, 3, 100)
    assert read_line("errors = 2").count == 2


def test_a_design_s_own_patterns_replace_the_built_in_ones():
    rule = Rule(passes=("^ALL GOOD$",), fails=("^BAD VECTOR",))
    assert read_line("ALL GOOD", rule).said is PASS
    assert read_line("BAD VECTOR abc=011", rule).said is FAIL
    assert read_line("TEST PASSED", rule).said is NOTHING  # the built-in pass words no longer count
    assert read_line("2 errors", rule).said is FAIL  # counts always do
    with pytest.raises(re.error):
        Rule(passes=("(unclosed",))


@pytest.mark.parametrize("line, ports, want", [
    ("Error: dividend=156, divisor= 10, expected=00f6, got=faf1",
     {"dividend": "input", "divisor": "input", "result": "output"}, ("result", "00f6", "faf1", {"dividend": "156", "divisor": "10"})),
    ("Failed at i=3, out=0101, expected=1010", None, ("out", "1010", "0101", {"i": "3"})),
    ("Failed: out=1100 (expected 1101)", {"out": "output", "clk": "input"}, ("out", "1101", "1100", {})),
    ("FAIL at time 70: out expected 1 got 0", None, ("out", "1", "0", {})),
    ("sum exp=3 act=5", None, ("sum", "3", "5", {})),
    ("Mismatch: got 4'b0011 expected 4'b0101", None, (None, "4'b0101", "4'b0011", {})),
    ("q[3] expected 4'h3 got 4'h5 at time 30", None, ("q[3]", "4'h3", "4'h5", {})),
])
def test_values_in_failure_lines(line, ports, want):
    v = values_in(line, ports)
    assert (v.signal, v.expected, v.actual, v.inputs) == want


def test_time_in_a_failure_line():
    assert values_in("FAIL at time 70: out expected 1 got 0").time == 70
    assert values_in("out: expected 1, but got 0 @ 35").time == 35


def test_what_a_bench_can_print():
    assert recognisable('$display("TEST PASSED");')
    assert recognisable('$display("%0d errors", e);')
    assert recognisable('if (x) $error("bad");')
    assert recognisable("Mismatches: %1d in %1d samples")
    assert not recognisable('$display("value is %d", v);')
    assert recognisable('$display("value is %d", v);', Rule(passes=("value",)))
