"""The ``anvil`` command line: a thin adapter over the oracle and the engine.

Exit codes (ARCHITECTURE.md): 0 pass, 1 not pass, 2 usage or infrastructure error (a one-line
reason on stderr). Logs go to stderr; stdout carries results only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from engine.settings import SIMULATION, add_arguments

if TYPE_CHECKING:
    from oracle import Bench, SourceText
    from oracle.results import Rule

from . import __version__, bench, generate, runs
from .common import (
    EXIT_ERROR,
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_PASS,
    UsageError,
    require_file,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="anvil", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"anvil {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="simulate RTL against a testbench and print the verdict")
    check.add_argument("rtl", nargs="+", type=Path, help="the design file(s) to judge ('-': standard input)")
    check.add_argument("--tb", required=True, type=Path, help="the testbench")
    check.add_argument("--with", dest="extra", action="append", default=[], type=Path, metavar="FILE",
                       help="extra source compiled with the testbench (repeatable); NAME_ref.sv beside "
                            "NAME_test.sv is added automatically")
    check.add_argument("--top", help="module the design must define (default: the one the testbench instantiates "
                                      "and does not define)")
    check.add_argument("--data", action="append", default=[], type=Path, metavar="PATH",
                       help="a data file or folder the testbench reads, kept outside its folder (repeatable); "
                            "files its own folder holds are found without it")
    add_arguments(check, groups=(SIMULATION,))
    check.add_argument("--max-mismatches", type=int, default=8, metavar="K",
                       help="failing samples to report (default 8)")
    check.add_argument("--json", action="store_true", help="print the verdict as JSON")
    check.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                       help="more detail: each synthesis and lint finding on its line; more logging")

    generate.register(sub)
    bench.register(sub)
    runs.register(sub)

    serve = sub.add_parser("serve", help="run the language server over stdio")
    serve.add_argument("--stdio", action="store_true", help="accepted and ignored (stdio is the only transport)")
    serve.set_defaults(handler=run_server)

    doctor = sub.add_parser("doctor", help="check the simulator, the model and the providers")
    doctor.add_argument("--json", action="store_true")
    doctor.add_argument("--ray", metavar="ADDRESS",
                        help="also check every node of the Ray cluster at ADDRESS (auto, HOST:PORT) for Icarus")
    return parser


#: below this inherited address-space limit (ulimit -v) Python cannot start the threads anvil uses:
#: glibc aborts the process instead of raising, so it is checked before any work
MIN_ADDRESS_SPACE = 1 << 30


def too_little_address_space() -> str:
    """Why this process cannot work under the limit it inherited ("" when it can)."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft >= MIN_ADDRESS_SPACE:
        return ""
    return (f"the address-space limit this process inherited (ulimit -v) is {soft >> 20} MB; anvil needs at "
            f"least {MIN_ADDRESS_SPACE >> 20} MB: raise it")


def run_server(args: argparse.Namespace) -> int:
    from lsp_server.server import serve

    return serve()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    cramped = too_little_address_space()
    if cramped:
        print(f"anvil: {cramped}", file=sys.stderr)
        return EXIT_ERROR
    handler = getattr(args, "handler", None)
    try:
        if args.command == "check":
            return asyncio.run(run_check(args))
        if args.command == "doctor":
            from .doctor import run_doctor

            return run_doctor(args)
        if handler is not None:
            code: int = handler(args)
            return code
    except UsageError as exc:
        print(f"anvil: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("anvil: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `anvil runs show X | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return EXIT_PASS
    except Exception as exc:  # infrastructure or a bug: one line, exit 2 (the traceback with -v)
        from engine import DesignError, SpecError
        from engine.ledger import LedgerError
        from engine.providers import ProviderError
        from oracle import OracleError

        if isinstance(exc, (OracleError, DesignError, SpecError, LedgerError, ProviderError)):
            print(f"anvil: {exc}", file=sys.stderr)
            return EXIT_ERROR
        if isinstance(exc, (MemoryError, RuntimeError)) and ("thread" in str(exc) or isinstance(exc, MemoryError)):
            from oracle.process import inherited_memory_note

            note = inherited_memory_note(4 << 30)
            if note:
                print(f"anvil: out of memory ({exc or 'MemoryError'}): {note}", file=sys.stderr)
                return EXIT_ERROR
        if args.verbose:
            raise
        print(f"anvil: internal error: {type(exc).__name__}: {exc} (anvil -v ... shows where)", file=sys.stderr)
        return EXIT_ERROR
    parser.error(f"unknown command {args.command}")
    return EXIT_ERROR


def rule_for(testbench: Path) -> Rule:
    """The pass and failure patterns anvil.toml gives for this testbench (default: built-in)."""
    from engine.designs import DesignError, design_for

    try:
        found = design_for(testbench)
    except DesignError as exc:
        raise UsageError(str(exc)) from None
    from oracle.results import Rule

    return found.rule if found is not None else Rule()


def note_data(extra: Sequence[Path], bench: Bench) -> None:
    """Say when a --with file is taken as data (never compiled)."""
    for path in extra:
        if path in bench.data:
            print(f"anvil: {path} is not a Verilog source: the simulation reads it as data (--data), it is not "
                  "compiled", file=sys.stderr)


async def run_check(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from oracle import DEFAULT_TOP, Bench, Oracle, SourceText

    from .render import render_synthesis, render_verdict

    design: list[Path | SourceText] = []
    for rtl in args.rtl:
        if str(rtl) == "-":  # bytes that are not UTF-8 (a Latin-1 comment) become U+FFFD
            design.append(SourceText("<stdin>", sys.stdin.buffer.read().decode("utf-8", errors="replace")))
        else:
            design.append(require_file(rtl, "RTL file"))
    require_file(args.tb, "testbench")
    for extra in args.extra:
        require_file(extra, "extra source")
    for data in args.data:
        if not data.exists():
            raise UsageError(f"data file not found: {data}")
    bench = Bench.for_testbench(args.tb, args.extra, top=args.top, data=args.data, rule=rule_for(args.tb))
    note_data(args.extra, bench)
    oracle = Oracle(timeout_s=args.timeout, max_mismatches=args.max_mismatches)
    verdict = await oracle.simulate(design, bench)
    if args.synth == "on" and verdict.status.value != "error":
        top = args.top or oracle.top_of(bench) or DEFAULT_TOP
        verdict = replace(verdict, synthesis=await oracle.synthesise(design, top))
    if args.json:
        print(json.dumps(verdict.to_dict(), indent=2))
    else:
        inputs = [str(p) for p in (*args.rtl, args.tb, *args.extra, *bench.extra) if str(p) != "-"]
        print(render_verdict(verdict, readable=inputs))
        if verdict.synthesis is not None:
            print(render_synthesis(verdict.synthesis, details=args.verbose > 0))
    if verdict.status.value == "error":
        print(f"anvil: {verdict.reason}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_PASS if verdict.passed else EXIT_FAIL
