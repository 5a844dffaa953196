"""Every shared reference, used as the candidate, passes on real Icarus; the documented dataset
and simulator defects get the right non-pass status with a useful message."""

import asyncio
import re

import pytest

from oracle import Bench, Oracle, SourceText, Status
from oracle.bench import rename_module
from tests.conftest import KNOWN_BROKEN, dataset_problems, problem_files


async def judge_all(oracle, names):
    async def one(name):
        _, tb, ref = problem_files(name)
        candidate = SourceText(f"{name}.sv", rename_module(ref.read_text(), "RefModule", "TopModule"))
        return name, await oracle.simulate(candidate, Bench.for_testbench(tb))
    return dict(await asyncio.gather(*(one(n) for n in names)))


async def test_every_reference_passes_as_candidate(dataset, tmp_path):
    names = dataset_problems()
    assert len(names) >= 70
    verdicts = await judge_all(Oracle(tmp_root=tmp_path), names)
    failures = {n: (v.status.value, v.reason) for n, v in verdicts.items()
                if not v.passed and n not in KNOWN_BROKEN}
    assert failures == {}
    for name, verdict in verdicts.items():
        if name in KNOWN_BROKEN:
            continue
        assert verdict.samples > 0 and verdict.score == 1.0 and verdict.mismatches == ()
    assert list(tmp_path.iterdir()) == []  # every run directory was removed


@pytest.mark.parametrize("name, cause", sorted(KNOWN_BROKEN.items()))
async def test_known_broken_benches_are_errors_with_the_cause(name, cause, tmp_path):
    _, tb, ref = problem_files(name)
    oracle = Oracle(tmp_root=tmp_path)
    report = await oracle.check_bench(Bench.for_testbench(tb))
    assert not report.usable
    candidate = SourceText("c.sv", rename_module(ref.read_text(), "RefModule", "TopModule"))
    verdict = await oracle.simulate(candidate, Bench.for_testbench(tb))
    assert verdict.status is Status.ERROR
    if cause == "blind":  # the reference passes, and so does its inverse but for one sample
        assert report.blind and report.verdict.passed and report.checked == 0.01
        assert "known at 1 of its 100 samples" in verdict.reason
        return
    assert report.verdict.status.value == cause and not report.blind
    assert "reference model does not pass its own testbench" in verdict.reason
    if name == "Prob099_m2014_q6c":
        assert any("Y2" in e.message for e in verdict.compile_errors)
    if name == "Prob151_review2015_fsm":
        assert any(re.search(r"sorry: .*cast", e.message) for e in verdict.compile_errors)
    if name == "Prob141_count_clock":
        assert "TIMEOUT" in verdict.reason
