"""Spec-only mode: no testbench and no reference, so the candidates judge each other.

Each sampled candidate is first judged by the oracle against a stub of the spec's ports (the
screen and the sandbox as for any candidate: one that does not compile, cheats or hangs drops
out, and only screened code is parsed here). The rest are simulated in pairs on the same random
input vectors (:func:`engine.difftb.vector_testbench`, one candidate renamed apart as the other's
reference) and grouped by behaviour: two candidates are in one group when no output differs on
any sample. The largest group's first member is the answer, *unverified*: nothing here knows
what is right, only what most candidates do.

Where the two largest groups disagree, :meth:`Peers.question` finds the shortest input sequence
that separates them (the earliest first difference over several stimulus seeds) and states it as
a question with the two groups' values. An answer is a test vector: :class:`Answers` keeps the
answered questions as a plain self-checking testbench (each question drives a fresh instance of
the design from time 0 and checks the answered value where the question asked), which the user
keeps, re-reads on the next run, and may use as an ordinary ``--tb``; candidates that fail it are
dropped before grouping.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from oracle import Bench, Oracle, Port, SourceText, Status, Verdict
from oracle.scratch import mkdtemp

from .difftb import PERIOD, Roles, Vector, vector_range, vector_testbench, vectors
from .extract import normalise
from .rename import rename_apart

#: the suffix of a candidate's modules when it stands as another's reference
SUFFIX = "__anvil_peer"
#: cycles of the grouping stimulus
CYCLES = 200
SEED = 20261206
#: stimuli tried for the shortest sequence that separates two groups, and their length
QUESTION_SEEDS = 8
QUESTION_CYCLES = 48
#: first line of a testbench Anvil writes from answers (a file without it is the user's own)
HEADER = "// Written by Anvil from your answers to its questions"
_ANSWER = re.compile(r"^// anvil-answer (\{.*\})$", re.MULTILINE)
_LITERAL = re.compile(r"^(\d+)?'[sS]?[bBoOdDhH][0-9a-fA-FxXzZ_?]+$")


class SpecOnlyError(Exception):
    """Spec-only mode cannot run: no ports, ports a bench cannot drive, a bad answer file."""


def _stimulus_key(stimulus: Sequence[Vector]) -> tuple[tuple[tuple[str, int], ...], ...]:
    return tuple(tuple(sorted(v.items())) for v in stimulus)


@dataclass(frozen=True)
class Question:
    """Which value ``signal`` has after ``stimulus`` (one input vector per clock cycle from time
    0), sampled just before the rising edge of the last cycle (``edge`` posedge) or just before
    its falling edge (negedge); ``choices``: each value candidates give, with how many give it."""

    stimulus: tuple[tuple[tuple[str, int], ...], ...]
    signal: str
    width: int
    edge: str
    choices: tuple[tuple[str, int], ...]

    @property
    def cycle(self) -> int:
        return len(self.stimulus) - 1

    @property
    def key(self) -> str:
        """Names the question in an answer file (the same inputs and sample: the same key)."""
        text = json.dumps([self.stimulus, self.signal, self.edge])
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    def sample_time(self) -> int:
        """When the answers' testbench reads the value (off the clock's edges, see difftb)."""
        return self.cycle * PERIOD + (PERIOD // 2 - 1 if self.edge == "posedge" else PERIOD - 1)

    def describe(self, clocked: bool) -> str:
        """The question in words: the inputs cycle by cycle (repeats folded), then the ask."""
        runs: list[tuple[int, int, tuple[tuple[str, int], ...]]] = []
        for k, vector in enumerate(self.stimulus):
            if runs and runs[-1][2] == vector:
                runs[-1] = (runs[-1][0], k, vector)
            else:
                runs.append((k, k, vector))

        def inputs(vector: tuple[tuple[str, int], ...]) -> str:
            return " ".join(f"{name}={value}" for name, value in vector) or "(no inputs)"

        options = " or ".join(f"{value} ({n} candidate{'s' if n != 1 else ''})" for value, n in self.choices)
        if not clocked:
            return f"with {inputs(self.stimulus[-1])}: {self.signal} = {options}?"
        steps = "; ".join(f"cycle{'s' if a != b else ''} {a}{f'-{b}' if a != b else ''}: {inputs(v)}"
                          for a, b, v in runs)
        when = "just before the rising edge of" if self.edge == "posedge" else "after the rising edge of"
        return f"from time 0, {steps}. {when} cycle {self.cycle}: {self.signal} = {options}?"

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "stimulus": [dict(v) for v in self.stimulus], "signal": self.signal,
                "width": self.width, "edge": self.edge, "choices": [list(c) for c in self.choices]}


def literal(value: str, width: int) -> str:
    """An answer as a Verilog literal: ``4'h3`` as given, ``x``/``z``, or a decimal number."""
    text = value.strip()
    if _LITERAL.match(text):
        return text if text[0].isdigit() else f"{width}{text}"
    if text.lower() in ("x", "z"):
        return f"{width}'b{text.lower()}"
    if re.fullmatch(r"\d+", text):
        if int(text) >= 1 << width:
            raise SpecOnlyError(f"the answer {text} does not fit in {width} bit(s)")
        return f"{width}'d{text}"
    raise SpecOnlyError(f"the answer {value!r} is not a value: give a number (3), a Verilog literal (4'h3) or x")


@dataclass(frozen=True)
class Answer:
    question: Question
    value: str  # a Verilog literal


class Answers:
    """Answered questions, as the plain self-checking testbench that holds them."""

    def __init__(self, top: str, ports: Sequence[Port], answered: Sequence[Answer] = ()) -> None:
        self.top = top
        self.ports = tuple(ports)
        self.roles = Roles.of(ports)
        self.answered: list[Answer] = list(answered)

    @classmethod
    def read(cls, path: Path, top: str, ports: Sequence[Port]) -> Answers:
        """The answers in a testbench Anvil wrote (none when ``path`` does not exist)."""
        if not path.exists():
            return cls(top, ports)
        text = path.read_text(encoding="utf-8", errors="replace")
        if not text.startswith(HEADER):
            raise SpecOnlyError(f"{path} is not a testbench of answers Anvil wrote; it is left alone: move it or "
                                "give it with --tb")
        answered = []
        for match in _ANSWER.finditer(text):
            try:
                data = json.loads(match.group(1))
                question = Question(_stimulus_key(data["stimulus"]), data["signal"], int(data["width"]),
                                    data["edge"], ())
                answered.append(Answer(question, literal(str(data["value"]), question.width)))
            except (ValueError, KeyError, TypeError) as exc:
                raise SpecOnlyError(f"{path}: an answer line Anvil cannot read ({exc}); fix or remove it") from None
        return cls(top, ports, answered)

    def add(self, question: Question, value: str) -> Answer:
        answer = Answer(question, literal(value, question.width))
        for earlier in self.answered:
            if earlier.question.key == question.key and earlier.value != answer.value:
                raise SpecOnlyError(f"question {question.key} is answered twice: {earlier.value} and {answer.value}")
        self.answered.append(answer)
        return answer

    def write(self, path: Path, spec_name: str) -> None:
        """Keep the answers in ``path`` (a file of answers Anvil wrote: :meth:`read` refuses any
        other), replaced whole so a reader never sees half of it."""
        tmp = path.with_name(f".{path.name}.anvil-tmp")
        tmp.write_text(self.text(spec_name), encoding="utf-8")
        tmp.replace(path)

    def text(self, spec_name: str) -> str:
        roles = self.roles
        lines = [f"{HEADER} about {spec_name}: each drives a fresh {self.top} from time 0",
                 "// with the inputs the question showed, and checks your answer where the question asked.",
                 "// Use it as an ordinary testbench: anvil check DESIGN.v --tb THIS_FILE."]
        for a in self.answered:
            q = a.question
            record = {"key": q.key, "stimulus": [dict(v) for v in q.stimulus], "signal": q.signal,
                      "width": q.width, "edge": q.edge, "value": a.value}
            lines.append(f"// anvil-answer {json.dumps(record)}")
        lines += ["`timescale 1ps/1ps", "module anvil_questions_tb;", "  reg clk = 0;",
                  f"  always #{PERIOD // 2} clk = ~clk;", "  integer errors = 0;", "  integer checked = 0;"]
        end = PERIOD
        for i, a in enumerate(self.answered, 1):
            q = a.question
            p = f"q{i}_"
            lines.append(f"  // question {i} ({q.key}): {q.describe(roles.clock is not None)}")
            lines += [f"  reg {vector_range(d.width)}{p}{d.name};" for d in roles.driven]
            lines += [f"  wire {vector_range(o.width)}{p}{o.name};" for o in roles.outputs]
            conns = [f".{d.name}(clk)" if d is roles.clock else f".{d.name}({p}{d.name})" for d in roles.inputs]
            conns += [f".{o.name}({p}{o.name})" for o in roles.outputs]
            lines.append(f"  {self.top} q{i} ({', '.join(conns)});")
            lines += ["  initial begin", "    #2;"]
            for k, vector in enumerate(q.stimulus):
                lines += [f"    {p}{name} = {_width(roles, name)}'d{value};" for name, value in vector]
                if k < len(q.stimulus) - 1:
                    lines.append(f"    #{PERIOD};")
            lines.append(f"    #{q.sample_time() - (q.cycle * PERIOD + 2)};")
            lines += ["    checked = checked + 1;", f"    if ({p}{q.signal} !== {a.value}) begin",
                      "      errors = errors + 1;",
                      f'      $display("ERROR question {i}: {q.signal} = %h, expected %h", {p}{q.signal}, {a.value});',
                      "    end", "  end"]
            end = max(end, q.sample_time() + PERIOD)
        lines += ["  initial begin", f"    #{end};", '    $display("Mismatches: %0d in %0d samples", errors, checked);',
                  "    $finish;", "  end", "endmodule", ""]
        return "\n".join(lines)


def _width(roles: Roles, name: str) -> int:
    return next(p.width for p in roles.driven if p.name == name)


def _stub(top: str, ports: Sequence[Port]) -> str:
    """A module with the ports that drives every output 0: the reference of the screening run."""
    decls = ", ".join(f"{p.direction} {vector_range(p.width)}{p.name}" for p in ports)
    body = "".join(f"  assign {p.name} = 0;\n" for p in ports if p.direction == "output")
    return f"module {top}{SUFFIX}_stub ({decls});\n{body}endmodule\n"


class Peers:
    """Candidates simulated against each other on the same stimulus (see the module docstring)."""

    def __init__(self, oracle: Oracle, top: str, ports: Sequence[Port], *, cycles: int = CYCLES,
                 seed: int = SEED) -> None:
        if not ports:
            raise SpecOnlyError("the spec lists no ports; without a testbench or a reference Anvil needs them "
                                "(lines such as '- input clk', '- output [3:0] count')")
        try:
            self.roles = Roles.of(ports)
        except ValueError as exc:
            raise SpecOnlyError(f"the spec's ports cannot be driven by a generated stimulus ({exc})") from None
        self.oracle = oracle
        self.top = top
        self.ports = tuple(ports)
        self.stimulus = vectors(ports, cycles=cycles, seed=seed)
        self.folder = mkdtemp("peers-")
        self._benches: dict[str, Bench] = {}

    def _bench(self, reference: str, module: str, stimulus: Sequence[Vector]) -> Bench:
        key = hashlib.sha256(json.dumps([reference, module, _stimulus_key(stimulus)]).encode()).hexdigest()[:16]
        bench = self._benches.get(key)
        if bench is None:
            folder = self.folder / key
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "tb.sv").write_text(vector_testbench(self.ports, stimulus, top=self.top, reference=module,
                                                           strict=True))
            (folder / "peer.sv").write_text(reference)
            bench = self._benches[key] = Bench(folder / "tb.sv", (folder / "peer.sv",), top=self.top,
                                               reference=module, golden=False)
        return bench

    async def screen(self, code: str) -> Verdict:
        """The candidate judged like any other (screen, sandbox, deadline) against a stub: it may
        stand in the comparisons when it compiles and runs (pass or functional fail)."""
        module = f"{self.top}{SUFFIX}_stub"
        return await self.oracle.simulate(SourceText(f"{self.top}.sv", code),
                                          self._bench(_stub(self.top, self.ports), module, self.stimulus[:8]),
                                          interface=self.ports, exact=False)

    async def compare(self, reference: str, design: str, stimulus: Sequence[Vector] | None = None) -> Verdict:
        """``design`` judged with ``reference`` (a screened candidate) as its reference model."""
        renamed, renames = rename_apart(reference, SUFFIX)
        if self.top not in renames:
            return Verdict(Status.COMPILE_ERROR, reason=f"the reference declares no module {self.top}")
        bench = self._bench(renamed, renames[self.top], stimulus if stimulus is not None else self.stimulus)
        return await self.oracle.simulate(SourceText(f"{self.top}.sv", design), bench, interface=self.ports,
                                          exact=False)

    async def groups(self, codes: Mapping[int, str]) -> list[list[int]]:
        """Candidate ids grouped by behaviour, largest group first. Within a group and among
        groups of one size the order is the code's (a digest of its text), not the ids': the
        same answers give the same groups, representatives and questions, whatever order they
        arrived in."""
        def key(cid: int) -> str:
            return hashlib.sha256(normalise(codes[cid]).encode()).hexdigest()

        groups: list[list[int]] = []
        for cid in sorted(codes, key=key):
            for group in groups:
                if (await self.compare(codes[group[0]], codes[cid])).passed:
                    group.append(cid)
                    break
            else:
                groups.append([cid])
        return sorted(groups, key=lambda g: (-len(g), key(g[0])))

    async def question(self, codes: Mapping[int, str], first: Sequence[int], second: Sequence[int]) -> Question | None:
        """The shortest input sequence (over :data:`QUESTION_SEEDS` stimuli) on which the two
        groups' first members differ, as a question; None when none separates them."""
        best = None
        for seed in range(QUESTION_SEEDS):
            stimulus = vectors(self.ports, cycles=QUESTION_CYCLES, seed=SEED + 1 + seed)
            # the oracle reads an x of the reference as "any value" in its failing samples: where
            # the first group's value is x, the second group's candidate stands as the reference
            for swapped in (False, True):
                ref, dut = (second, first) if swapped else (first, second)
                verdict = await self.compare(codes[ref[0]], codes[dut[0]], stimulus)
                found = next((m for m in verdict.mismatches if m.time is not None and m.signal), None)
                if verdict.status is Status.FUNCTIONAL_FAIL and found is not None and found.time is not None:
                    break
            else:
                continue
            cycle = (found.time - 1) // PERIOD
            if best is None or cycle < best[0]:
                best = (cycle, stimulus, found, swapped)
        if best is None:
            return None
        cycle, stimulus, m, swapped = best
        asked = stimulus[: cycle + 1]
        edge = m.edge or "posedge"
        if self.roles.clock is None:  # no clock, no state: the last inputs alone
            asked, edge = asked[-1:], "posedge"
        width = next(p.width for p in self.roles.outputs if p.name == m.signal)
        ours, theirs = (m.actual or "x", m.expected or "x") if swapped else (m.expected or "x", m.actual or "x")
        choices = ((ours, len(first)), (theirs, len(second)))
        return Question(_stimulus_key(asked), str(m.signal), width, edge, choices)


__all__ = ["HEADER", "Answer", "Answers", "Peers", "Question", "SpecOnlyError", "literal"]
