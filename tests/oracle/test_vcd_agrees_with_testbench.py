"""On every shared problem, the failing samples read from wave.vcd agree exactly with the
testbench's own count and first-mismatch time (a mutant flips bit 0 of the first output)."""

import asyncio
import re

from oracle import Bench, Oracle, SourceText, Status
from oracle.mutants import flip_output_bit
from tests.conftest import KNOWN_BROKEN, dataset_problems, problem_files

HINT = re.compile(r"Output '(\w+)' has (\d+) mismatches\. First mismatch occurred at time (\d+)")


async def test_dump_and_testbench_agree_on_every_problem(dataset, tmp_path):
    oracle = Oracle(tmp_root=tmp_path)
    names = [n for n in dataset_problems() if n not in KNOWN_BROKEN]

    async def one(name):
        _, tb, ref = problem_files(name)
        mutant = SourceText("mutant.sv", flip_output_bit(ref.read_text()))
        return name, await oracle.simulate(mutant, Bench.for_testbench(tb), max_mismatches=1_000_000)

    disagreements = {}
    for name, verdict in await asyncio.gather(*(one(n) for n in names)):
        assert verdict.status is Status.FUNCTIONAL_FAIL, (name, verdict.reason)
        from_dump: dict[str, list[int]] = {}
        for m in verdict.mismatches:
            from_dump.setdefault(m.signal, []).append(m.time)
        mine = {s: (len(t), t[0]) for s, t in from_dump.items()}
        theirs = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in HINT.finditer(verdict.log_tail)}
        samples = len({m.time for m in verdict.mismatches})
        if mine != theirs or samples != verdict.mismatched_samples:
            disagreements[name] = (mine, theirs, samples, verdict.mismatched_samples)
    assert disagreements == {}
