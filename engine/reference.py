"""Reference mode: an existing design judges its replacement.

Someone rewriting a module (for readability, another architecture) has the old one and no
testbench. :func:`reference_bench` turns the old module into the oracle's bench: its modules are
renamed apart (``NAME__anvil_ref``) so that the new design may declare the same names, and a
differential testbench (:mod:`engine.difftb`) drives both with the same random stimulus from a
fixed seed, the reset asserted at the start and now and then, for :data:`CYCLES` cycles, comparing
every output on both clock edges. The oracle runs the reference against itself first, as it does
any bench's reference, so a reference that does not compile or cannot pass is reported before a
model call is spent. The bench's text, with the renamed reference inside it, is what
``--write-tb`` keeps for the user: an ordinary testbench from then on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from oracle import DEFAULT_REFERENCE, DEFAULT_TOP, Bench, Port, SourceText
from oracle.scratch import process_dir
from oracle.syntax import module_interface, module_names, syntax_errors

from .designs import DesignError
from .difftb import testbench
from .rename import rename_apart

#: the suffix of the reference's modules inside the bench
SUFFIX = "__anvil_ref"
#: clock cycles of random stimulus (after the reset), with a reset now and then
CYCLES = 1000
#: then cycles with the resets released: a counter to 1,000 reaches its wrap (Prob037 of the
#: shared problems passed the bench without them and failed its golden testbench)
QUIET = 3000
SEED = 20261206
#: the largest reference read, in characters
MAX_CHARS = 1_000_000


class ReferenceError(DesignError):
    """A reference that cannot judge: unreadable, no module, an interface the bench cannot drive."""


@dataclass(frozen=True)
class ReferenceBench:
    bench: Bench
    #: the module to build: the reference's own name (TopModule for a VerilogEval RefModule)
    top: str
    #: its ports, the reference's: the design must have exactly these
    ports: tuple[Port, ...]
    #: the bench and the renamed reference in one file, for the user to keep as a testbench
    text: str


def read_reference(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReferenceError(f"reference not found: {path}") from None
    except IsADirectoryError:
        raise ReferenceError(f"the reference {path} is a folder; give the Verilog file of the old design") from None
    except UnicodeDecodeError:
        raise ReferenceError(f"the reference {path} is not text (it is not UTF-8)") from None
    except OSError as exc:
        raise ReferenceError(f"cannot read the reference {path}: {exc.strerror or exc}") from None
    if "\0" in text:
        raise ReferenceError(f"the reference {path} is not text (it has NUL bytes)")
    if len(text) > MAX_CHARS:
        raise ReferenceError(f"the reference {path} is {len(text):,} characters long; keep it under {MAX_CHARS:,}")
    return text


def reference_top(path: Path, text: str, top: str | None) -> str:
    """The module the reference offers as the design: ``top`` if given, else its one module that
    no other of its modules instantiates."""
    declared, instantiated = module_names(text, str(path))
    if not declared:
        raise ReferenceError(f"the reference {path} declares no module")
    if top is not None:
        if top not in declared:
            raise ReferenceError(f"the reference {path} does not declare module '{top}' (it declares "
                                 f"{', '.join(declared)})")
        return top
    roots = [m for m in declared if m not in instantiated]
    if len(roots) != 1:
        raise ReferenceError(f"the reference {path} declares several top-level modules ({', '.join(roots)}): "
                             "name the one to rebuild with --top")
    return roots[0]


#: the benches built in this process, by reference path, text and settings
_BUILT: dict[tuple[str, str, str | None, int, int], ReferenceBench] = {}


def reference_bench(path: Path, *, top: str | None = None, cycles: int = CYCLES, seed: int = SEED) -> ReferenceBench:
    """The bench that judges a design against the reference in ``path`` (its files written to
    this process's scratch folder, named by their content). Raises :class:`ReferenceError`."""
    text = read_reference(path)
    key = (str(path), text, top, cycles, seed)
    built = _BUILT.get(key)
    if built is not None and built.bench.testbench.is_file():  # the same reference asked again (--write-tb)
        return built
    errors = syntax_errors(text, str(path))
    if errors:
        raise ReferenceError(f"the reference {path} does not compile: {'; '.join(errors)}")
    module = reference_top(path, text, top)
    ports = module_interface([SourceText(str(path), text)], module)
    if not ports:
        raise ReferenceError(f"module '{module}' of the reference {path} has no ports to compare")
    # a golden model in the VerilogEval convention (RefModule) stands for the design TopModule
    design = DEFAULT_TOP if module == DEFAULT_REFERENCE else module
    renamed, renames = rename_apart(text, SUFFIX)
    try:
        bench_text = testbench(ports, cycles=cycles, seed=seed, top=design, reference=renames[module], quiet=QUIET)
    except ValueError as exc:
        raise ReferenceError(f"module '{module}' of the reference {path}: a generated testbench cannot drive "
                             f"it ({exc})") from None
    kept = (f"// Generated by Anvil from the reference {path.name}: module {module} and the design {design}\n"
            f"// side by side on {cycles + QUIET} cycles of random stimulus (seed {seed}; a reset now and then in the\n"
            f"// first {cycles}), every output compared on\n"
            f"// both clock edges. The reference follows the bench, its modules renamed with {SUFFIX}.\n"
            f"{bench_text}\n{renamed.rstrip()}\n")
    digest = hashlib.sha256(f"{design}\0{module}\0{cycles}\0{QUIET}\0{seed}\0{text}".encode()).hexdigest()[:16]
    folder = process_dir() / "reference" / digest
    folder.mkdir(parents=True, exist_ok=True)
    tb, ref = folder / f"{design}_reference_tb.sv", folder / f"{module}{SUFFIX}.sv"
    tb.write_text(bench_text, encoding="utf-8")
    ref.write_text(renamed, encoding="utf-8")
    _BUILT[key] = ReferenceBench(Bench(tb, (ref,), top=design, reference=renames[module]), design, ports, kept)
    return _BUILT[key]


__all__ = ["CYCLES", "SEED", "SUFFIX", "ReferenceBench", "ReferenceError", "read_reference", "reference_bench",
           "reference_top"]
