"""`anvil generate SPEC` with neither a testbench nor a reference: spec-only mode.

The candidates judge each other (:mod:`engine.consensus`); the answer is the largest group's,
printed as UNVERIFIED with how many candidates agree, written to the output like any answer, and
the exit code is 3, never 0. Questions are asked in a terminal, or answered from ``--answers
FILE`` (``KEY VALUE`` lines); each answer is kept in a testbench beside the spec
(``X_questions_tb.sv``), read again by the next run, usable as an ordinary ``--tb``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from engine.settings import from_args

from .common import EXIT_ERROR, EXIT_FAIL, EXIT_UNVERIFIED, UsageError, write_output

if TYPE_CHECKING:
    from engine.consensus import Answers, Question
    from engine.designs import Design
    from engine.speconly import Ask, Keep


def read_answers(path: Path) -> dict[str, str]:
    """``KEY VALUE`` lines (``#`` starts a comment); a key answered two ways is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the answers {path}: {getattr(exc, 'strerror', None) or exc}") from None
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.replace(":", " ", 1).split(None, 1)
        if len(parts) != 2:
            raise UsageError(f"{path}:{number}: expected 'KEY VALUE' (the question's key, then your answer)")
        key, value = parts[0], parts[1].strip()
        if key in found and found[key] != value:
            raise UsageError(f"{path}:{number}: question {key} is answered twice, {found[key]} and {value}")
        found[key] = value
    return found


def asker(args: argparse.Namespace, clocked: bool) -> Ask:
    """How questions are answered: from the file, else in a terminal, else not at all."""
    from engine.consensus import SpecOnlyError, literal

    given = read_answers(args.answers) if args.answers else None
    interactive = given is None and sys.stdin.isatty()

    async def ask(question: Question) -> str | None:
        text = question.describe(clocked)
        if given is not None:
            value = given.get(question.key)
            if value is not None:
                print(f"anvil: question {question.key}: {text} -> {value} (from {args.answers})", file=sys.stderr)
            return value
        if not interactive:
            return None
        print(f"\nquestion {question.key}: {text}", file=sys.stderr)
        for i, (value, n) in enumerate(question.choices, 1):
            print(f"  [{i}] {value}   ({n} candidate{'s' if n != 1 else ''})", file=sys.stderr)
        print("  or type another value; Enter alone stops asking", file=sys.stderr)
        while True:
            line = str(await asyncio.to_thread(sys.stdin.readline)).strip()
            if not line:
                return None
            if line.isdigit() and 1 <= int(line) <= len(question.choices) and len(line) <= 2:
                return question.choices[int(line) - 1][0]
            try:
                return literal(line, question.width) and line
            except SpecOnlyError as exc:
                print(f"  {exc}; try again", file=sys.stderr)

    return ask


def keep_answers(path: Path, spec_name: str) -> Keep:
    def keep(answers: Answers) -> None:
        answers.write(path, spec_name)  # a file of answers Anvil wrote (checked when it was read)
        print(f"anvil: kept the answer in {path}", file=sys.stderr)

    return keep


async def run_spec_only(args: argparse.Namespace, design: Design) -> int:
    from engine import SpecError
    from engine.consensus import SpecOnlyError
    from engine.ledger import LedgerError
    from engine.problem import read_spec
    from engine.providers import ProviderError
    from engine.run import Runtime
    from engine.speconly import answers_file, prepare

    from .progress import Progress

    assert design.spec is not None  # resolve_design requires it
    if args.questions < 0:
        raise UsageError("--questions must be 0 or more")
    try:
        spec = read_spec(design.spec)
        setup = prepare(design.name, spec, args.answers_tb or answers_file(design.spec, design.name), top=design.top)
    except (SpecError, SpecOnlyError) as exc:
        raise UsageError(str(exc)) from None
    kept, clocked = setup.kept, setup.clocked
    ask = asker(args, clocked)
    print(f"anvil: no testbench and no reference for {design.spec.name}: spec-only mode, the candidates judge each "
          "other and the answer is unverified (give --tb or --ref to verify it)", file=sys.stderr)
    settings = from_args(args)
    async with Runtime(settings, on_wait=lambda text: print(f"anvil: {text}", file=sys.stderr)) as runtime:
        try:
            runtime.ledger  # noqa: B018 - usage errors before any work
            runtime.provider  # noqa: B018
        except (ProviderError, LedgerError) as exc:
            raise UsageError(str(exc)) from None
        try:
            done = await runtime.spec_only(setup.problem, setup.answers, ask=ask,
                                           keep=keep_answers(kept, design.spec.name), max_questions=args.questions,
                                           listeners=[Progress()])
        except SpecOnlyError as exc:  # an answer that is no value, or contradicts a kept one
            raise UsageError(str(exc)) from None
    result, best = done.result, done.answer
    wrote = None
    if best is not None and best.code is not None:
        try:
            write_output(design.output, best.code, force=args.force)
            wrote = design.output
        except OSError as exc:
            print(f"anvil: could not write {design.output}: {exc.strerror or exc}", file=sys.stderr)
    tail = (f"{len(done.asked)} question(s) answered now, {done.answers} in all; {result.calls} calls, "
            f"{result.tokens} tokens, {result.timings.wall_s:.0f} s")
    if args.json:
        print(json.dumps({
            "status": result.status.value, "run_id": result.run_id, "output": str(wrote) if wrote else None,
            "reason": result.reason, "agree": done.agree, "usable": done.usable, "samples": len(result.candidates),
            "groups": [list(g) for g in done.groups], "answers": done.answers,
            "asked": [q.to_dict() for q in done.asked], "open_question": done.open.to_dict() if done.open else None,
            "answers_tb": str(kept) if kept.exists() else None, "calls": result.calls, "tokens": result.tokens,
            "elapsed_s": result.timings.wall_s}, indent=2))
    elif wrote is not None:
        print(f"UNVERIFIED  {wrote}  ({result.reason.removeprefix('unverified: ')}; candidate "
              f"{best.id if best else '?'}; {tail})")
    else:
        print(f"NOT SOLVED  {result.reason}  ({tail})")
    if done.open is not None and not args.json:
        print(f"question {done.open.key}: {done.open.describe(clocked)}")
        print(f"answer it with --answers FILE (a line '{done.open.key} VALUE'), or run anvil in a terminal")
    if kept.exists() and not args.json:
        print(f"answers so far: {kept} (an ordinary testbench: anvil check DESIGN --tb {kept.name})")
    if result.status.fault:
        print(f"anvil: {result.reason}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_UNVERIFIED if wrote is not None else EXIT_FAIL
