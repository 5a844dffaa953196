"""`anvil generate`: run the loop on one design and write the passing RTL."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from engine.settings import (
    OUTPUT,
    PATCH,
    PROVIDER,
    SIMULATION,
    STRATEGY,
    add_arguments,
    from_args,
)

from .common import EXIT_ERROR, EXIT_FAIL, EXIT_PASS, SubCommands, UsageError, require_file, write_output

if TYPE_CHECKING:
    from engine.designs import Design


def register(sub: SubCommands) -> None:
    p = sub.add_parser("generate", help="generate RTL from a spec until it passes the testbench")
    p.add_argument("spec", type=Path, help="the spec (X.md, X.spec.md, X_prompt.txt)")
    p.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                   help="more detail: each synthesis and lint finding on its line; more logging")
    p.add_argument("--tb", type=Path, help="the testbench (default: found beside the spec or in anvil.toml)")
    p.add_argument("--ref", type=Path, metavar="OLD.sv",
                   help="no testbench: an existing design judges the new one, on a generated testbench that "
                        "compares them on random stimulus (default without a testbench: X_ref.sv beside the spec)")
    p.add_argument("--write-tb", nargs="?", const="", default=None, type=str, metavar="PATH",
                   help="with a reference: keep the generated testbench (default X_tb.sv beside the spec; never "
                        "replaces a file), to use later as an ordinary --tb")
    p.add_argument("--with", dest="extra", action="append", default=[], type=Path, metavar="FILE",
                   help="extra source compiled with the testbench (repeatable)")
    p.add_argument("--data", action="append", default=[], type=Path, metavar="PATH",
                   help="a data file or folder the testbench reads, kept outside its folder (repeatable)")
    p.add_argument("--top", help="module to implement (default: the one the testbench instantiates and does not "
                                 "define)")
    p.add_argument("-o", "--output", type=Path,
                   help="where to write the passing RTL (default: X.sv beside the spec, or TOP.v beside a "
                        "testbench.v)")
    p.add_argument("--answers", type=Path, metavar="FILE",
                   help="spec-only mode (no testbench, no reference): answers to its questions, a line 'KEY VALUE' "
                        "each (KEY as the question printed it); without it, questions are asked in a terminal")
    p.add_argument("--questions", type=int, default=3, metavar="N",
                   help="spec-only mode: ask at most N questions (default 3; 0: none)")
    p.add_argument("--answers-tb", type=Path, metavar="PATH",
                   help="spec-only mode: the testbench of answers, read and grown (default X_questions_tb.sv "
                        "beside the spec)")
    p.add_argument("--force", action="store_true", help="replace the output file if it exists")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    add_arguments(p, groups=(PROVIDER, STRATEGY, PATCH, SIMULATION, OUTPUT))
    p.set_defaults(handler=lambda args: asyncio.run(run_generate(args)))


def resolve_design(args: argparse.Namespace) -> Design:
    from engine.designs import Design, DesignError, design_for, expected_module
    from oracle.results import Rule

    spec = require_file(args.spec, "spec")
    try:
        found = design_for(spec)
    except DesignError as exc:
        raise UsageError(str(exc)) from None
    name = found.name if found else spec.stem
    if args.tb and args.ref:
        raise UsageError("--tb and --ref: give one judge, a testbench or a reference")
    if args.ref or (not args.tb and found is not None and found.by_reference):
        return _by_reference(args, spec, name, found)
    testbench = args.tb or (found.testbench if found else None)
    if testbench is None:  # spec-only mode: the candidates judge each other, nothing is verified
        if args.write_tb is not None:
            raise UsageError("--write-tb keeps a testbench generated from a reference; give --ref OLD.sv (in "
                             "spec-only mode the answers' testbench is written with --answers-tb)")
        return Design(name=name, spec=spec, testbench=None, output=args.output or spec.with_name(f"{name}.sv"),
                      top=args.top)
    require_file(testbench, "testbench")
    extra = tuple(args.extra) if args.extra else (found.extra if found and not args.tb else ())
    for e in extra:
        require_file(e, "extra source")
    for d in args.data:
        if not d.exists():
            raise UsageError(f"data file not found: {d}")
    # the design found beside the spec, when it is this testbench's: its settings apply
    same = found if found is not None and found.testbench is not None and _same_file(found.testbench, testbench) \
        else None
    top = args.top or (same.top if same else None)
    if args.output:
        output = args.output
    elif same is not None and same.spec is not None:
        output = same.output
    else:  # a spec and a testbench named otherwise: the module the bench expects names the file
        expected = top or expected_module(testbench)
        output = spec.with_name(f"{expected}{testbench.suffix if testbench.suffix in ('.v', '.sv') else '.v'}") \
            if expected else spec.with_name(f"{name}.sv")
    data = tuple(args.data) + (same.data if same else ())
    rule = same.rule if same else Rule()
    return Design(name=name, spec=spec, testbench=testbench, output=output, extra=extra, top=top, data=data,
                  rule=rule)


def _by_reference(args: argparse.Namespace, spec: Path, name: str, found: Design | None) -> Design:
    """Reference mode: the design judged against an existing one (``--ref``, or ``X_ref.sv``
    beside the spec when there is no testbench)."""
    from engine.designs import Design

    reference = args.ref or (found.reference if found else None)
    assert reference is not None  # the caller saw --ref or a design judged by reference
    require_file(reference, "reference")
    if args.extra or args.data:
        raise UsageError("--with and --data are for a testbench; a reference is judged alone")
    same = found if found is not None and found.reference is not None and _same_file(found.reference, reference) \
        else None
    output = args.output or (same.output if same else spec.with_name(f"{name}.sv"))
    return Design(name=name, spec=spec, testbench=None, output=output, top=args.top or (same.top if same else None),
                  reference=reference)


def kept_testbench(design: Design, where: str) -> Path:
    """Where ``--write-tb`` keeps the generated testbench: refused if that is a file already."""
    assert design.spec is not None
    path = Path(where) if where else design.spec.with_name(f"{design.name}_tb.sv")
    if path.exists() or path.is_symlink():
        raise UsageError(f"{path} exists; the generated testbench never replaces a file: give another with "
                         "--write-tb PATH")
    if _same_file(path, design.output):
        raise UsageError(f"--write-tb {path} is the output; give another file")
    return path


def check_output(design: Design, *, force: bool) -> None:
    """Refuse, before any work, an output that would overwrite an input, a folder, or a file
    without --force, or that cannot be written where it is."""
    out = design.output
    inputs = [p for p in (design.spec, design.testbench, design.reference, *design.extra) if p is not None]
    for p in inputs:
        if _same_file(out, p):
            raise UsageError(f"the output {out} is an input of the run ({p}); give another file with -o")
    if out.is_dir():
        raise UsageError(f"the output {out} is a folder; give a file with -o")
    if out.is_symlink() and not out.exists():
        raise UsageError(f"the output {out} is a dangling symbolic link; give another file with -o")
    if out.exists() and not force:
        raise UsageError(f"{out} exists; pass --force to replace it or -o to write elsewhere")
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"cannot write {out}: {parent} is not a folder")
    if out.parent.exists():  # a real probe: os.access says yes to root on read-only file systems
        try:
            with tempfile.NamedTemporaryFile(dir=out.parent, prefix=".anvil-probe-"):
                pass
        except OSError as exc:
            raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    elif not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write {out}: the folder {parent} is not writable")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


async def run_generate(args: argparse.Namespace) -> int:
    from engine import DesignError, SpecError
    from engine.ledger import LedgerError
    from engine.providers import ProviderError
    from engine.reference import reference_bench
    from engine.run import Runtime
    from engine.values import Origin
    from oracle import BenchError

    from .progress import Progress
    from .render import render_synthesis, render_verdict

    design = resolve_design(args)
    check_output(design, force=args.force)
    if design.testbench is None and design.reference is None:
        from .speconly import run_spec_only

        return await run_spec_only(args, design)
    keep = kept_testbench(design, args.write_tb) if args.write_tb is not None else None
    settings = from_args(args)
    async with Runtime(settings, on_wait=lambda text: print(f"anvil: {text}", file=sys.stderr)) as runtime:
        try:
            runtime.ledger  # noqa: B018 - an unusable ledger, bad provider settings: usage errors, before any work
            problem = runtime.problem(design)
            runtime.provider  # noqa: B018
        except (SpecError, ProviderError, LedgerError, DesignError, BenchError) as exc:
            raise UsageError(str(exc)) from None
        for note in problem.notes:
            print(f"anvil: note: {note}", file=sys.stderr)
        if design.by_reference:
            print(f"anvil: judged against the reference {design.reference} (module {problem.top}) on a generated "
                  "testbench", file=sys.stderr)
        if keep is not None and design.reference is not None:
            write_output(keep, reference_bench(design.reference, top=problem.top).text, force=False)
            print(f"anvil: wrote the generated testbench to {keep}", file=sys.stderr)
        result = await runtime.run(problem, listeners=[Progress()])
    best, solution = result.best, result.solution
    wrote = None
    unwritten = ""
    if solution is not None:
        try:
            write_output(design.output, solution.code or "", force=args.force)
            wrote = design.output
        except OSError as exc:
            unwritten = (f"the RTL passes but could not be written to {design.output}: {exc.strerror or exc}; it is "
                         f"in the ledger: anvil runs show {result.run_id} --code > FILE")
    if args.json:
        print(json.dumps({
            "status": "pass" if result.solved else ("error" if result.status.fault else "fail"),
            "run_id": result.run_id, "output": str(wrote) if wrote else None, "reason": unwritten or result.reason,
            "calls": result.calls, "tokens": result.tokens, "rounds": result.rounds,
            "candidates": len(result.candidates), "elapsed_s": result.timings.wall_s,
            "verdict": best.verdict.to_dict() if best else None,
            "patched_from": best.provenance.base if best and best.origin.model_free else None,
            "edits": list(best.edits) if best else [], "diff": best.diff if best else "",
        }, indent=2))
    elif solution is not None and wrote is not None:
        v = solution.verdict
        if solution.origin is Origin.PATCH:
            how = f"candidate {solution.id}, the model's candidate {solution.provenance.base} patched"
        elif solution.origin is Origin.RECOMBINE:
            how = f"candidate {solution.id}, the model's candidates recombined around {solution.provenance.base}"
        elif solution.origin is Origin.TABLE:
            how = f"candidate {solution.id}, written from the spec's table or state machine, without a model call"
        else:
            how = f"candidate {solution.id}, {solution.origin} in round {solution.round}"
        print(f"PASS  {design.output}  ({how}; {v.samples} samples; {result.calls} calls, {result.tokens} tokens, "
              f"{result.timings.wall_s:.0f} s)")
        if v.synthesis is not None:
            print(render_synthesis(v.synthesis, details=args.verbose > 0))
        if solution.origin.model_free:
            print("edits made without the model (see them again with: anvil runs show " + result.run_id + "):")
            for edit in solution.edits:
                print(f"  {edit}")
            print(solution.diff, end="" if solution.diff.endswith("\n") else "\n")
    else:
        print(f"NOT SOLVED  {result.reason}  ({result.calls} calls, {result.tokens} tokens, "
              f"{result.timings.wall_s:.0f} s)")
        if best is not None:
            print(f"best: candidate {best.id} ({best.origin}, round {best.round})")
            print(render_verdict(best.verdict))
            print(f"see it with: anvil runs show {result.run_id}")
    if unwritten:
        print(f"anvil: {unwritten}", file=sys.stderr)
        return EXIT_ERROR
    if result.status.fault:
        print(f"anvil: {result.reason}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_PASS if result.solved else EXIT_FAIL
