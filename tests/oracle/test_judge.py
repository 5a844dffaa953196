"""The judgement rules on canned simulator output (no simulator needed)."""

from pathlib import Path

from oracle.judge import judge as judge_run
from oracle.verdict import Status

NO_DUMP = Path("/nonexistent/wave.vcd")


def judge(log, expected=None, rc=0):
    return judge_run(log, rc, NO_DUMP, expected, 8, "Icarus Verilog 11.0")


def test_pass_needs_the_reference_sample_count():
    assert judge("Mismatches: 0 in 439 samples\n", 439).status is Status.PASS
    early = judge("Mismatches: 0 in 20 samples\n", 439)
    assert early.status is Status.FUNCTIONAL_FAIL and "after 20 samples" in early.reason


def test_last_result_line_wins_over_a_printed_one():
    v = judge("Mismatches: 0 in 439 samples\nMismatches: 5 in 439 samples\n", 439)
    assert v.status is Status.FUNCTIONAL_FAIL and v.mismatched_samples == 5 and v.score == 0.989


def test_testbench_timeout_line_is_a_timeout():
    v = judge("TIMEOUT\nMismatches: 0 in 100 samples\n", 100)
    assert v.status is Status.TIMEOUT


def test_a_run_without_a_result_line_is_a_failure_and_any_failure_beats_a_pass():
    # a bench that can never print a result is refused before any run (oracle.bench); a run of a
    # bench that can, which ends without one, is the design's doing
    assert judge("", 439).status is Status.FUNCTIONAL_FAIL
    silent = judge("hello\n")
    assert silent.status is Status.FUNCTIONAL_FAIL and "hello" in silent.reason
    assert judge("PASS\n").status is Status.PASS
    assert judge("PASS\nERROR: x\n").status is Status.FUNCTIONAL_FAIL


def test_hints_stand_in_when_there_is_no_dump():
    v = judge("Hint: Output 'q' has 3 mismatches. First mismatch occurred at time 40.\nMismatches: 3 in 100 samples\n", 100)
    assert v.mismatches[0].signal == "q" and v.mismatches[0].time == 40
