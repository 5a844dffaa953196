"""What a candidate is judged against: a testbench, extra sources and the module to implement."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BenchError
from .syntax import Port, SourceText, identifiers, module_interface, module_names

DEFAULT_TOP = "TopModule"
DEFAULT_REFERENCE = "RefModule"


@dataclass(frozen=True)
class Bench:
    """A testbench, the sources compiled with it and the module a candidate must define.

    ``reference`` names the golden model among the extra sources (VerilogEval: ``RefModule``).
    When it is present the oracle runs it as the design under test once, to learn how many
    samples an honest run produces and to notice a testbench that cannot pass at all.
    """

    testbench: Path
    extra: tuple[Path, ...] = ()
    top: str = DEFAULT_TOP
    reference: str | None = DEFAULT_REFERENCE

    @classmethod
    def for_testbench(cls, testbench: Path | str, extra: Sequence[Path | str] = (), *,
                      top: str = DEFAULT_TOP, reference: str | None = DEFAULT_REFERENCE) -> Bench:
        """A bench for ``testbench``; ``NAME_ref.sv`` beside ``NAME_test.sv`` is added (VerilogEval)."""
        tb = Path(testbench)
        files = [Path(p) for p in extra]
        sibling = companion_reference(tb)
        if sibling is not None and not any(_same(sibling, p) for p in files):
            files.append(sibling)
        return cls(testbench=tb, extra=tuple(files), top=top, reference=reference)


def companion_reference(testbench: Path) -> Path | None:
    """``X_ref.sv`` beside ``X_test.sv`` (or ``X_tb.sv``), if it exists."""
    for suffix in ("_test", "_tb"):
        if testbench.stem.endswith(suffix):
            candidate = testbench.with_name(testbench.stem[: -len(suffix)] + "_ref" + testbench.suffix)
            if candidate.is_file():
                return candidate
    return None


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b


def read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise BenchError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise BenchError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


_MODULE_DECL = r"\bmodule\s+{name}\b"


def rename_module(text: str, old: str, new: str) -> str:
    """``module old`` -> ``module new`` (declarations only)."""
    return re.sub(_MODULE_DECL.format(name=re.escape(old)), f"module {new}", text)


@dataclass(frozen=True)
class PreparedBench:
    """A bench read from disk: texts, derived facts and a content key."""

    bench: Bench
    key: str
    tb_top: str | None
    reference_text: str | None  # the golden model renamed to the top module, if known
    reference_interface: tuple[Port, ...] | None = field(default=None)
    #: the testbench and extra sources through Icarus's preprocessor, as the compiler reads them
    unit: str = ""
    #: names in ``unit``'s ```line`` markers -> names to report
    names: dict[str, str] = field(default_factory=dict)
    #: compile errors of the bench's own preprocessing (a broken bench), if any
    unit_errors: tuple = ()
    #: every identifier of the bench's files (design code may not capture them)
    identifiers: frozenset[str] = frozenset()

    @property
    def reference_ports(self) -> dict[str, str] | None:
        """Port name -> direction of the reference model, if there is one."""
        if self.reference_interface is None:
            return None
        return {p.name: p.direction for p in self.reference_interface}


def bench_key(bench: Bench) -> tuple[str, str, tuple[str, ...]]:
    """Content key of a bench (changes whenever a file changes) and the texts read."""
    tb_text = read_text(bench.testbench, "testbench")
    extra_texts = tuple(read_text(p, "source file") for p in bench.extra)
    digest = hashlib.sha256()
    for part in (str(bench.testbench), *map(str, bench.extra), bench.top, bench.reference or "",
                 tb_text, *extra_texts):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest(), tb_text, extra_texts


def prepare(bench: Bench, key: str, tb_text: str, extra_texts: tuple[str, ...], tools) -> PreparedBench:
    """Derive the facts the oracle needs: the testbench's top module, the reference, the bench
    preprocessed (once per content, here on the host: the bench is the user's own, trusted)."""
    declared, instantiated = module_names(tb_text, str(bench.testbench))
    roots = [m for m in declared if m not in instantiated]
    tb_top = roots[0] if len(roots) == 1 else ("tb" if "tb" in roots else None)
    reference_text = None
    reference_interface = None
    if bench.reference:
        for path, text in zip(bench.extra, extra_texts):
            if re.search(_MODULE_DECL.format(name=re.escape(bench.reference)), text):
                reference_text = rename_module(text, bench.reference, bench.top)
                reference_interface = module_interface([SourceText(str(path), text)], bench.reference)
                break
    sources = [(bench.testbench, tb_text), *zip(bench.extra, extra_texts)]
    from .backend import simulator

    unit, names, errors = simulator(tools.simulator).preprocess_bench(tools, sources)
    names_used = identifiers([SourceText(str(p), t) for p, t in sources])
    return PreparedBench(bench, key, tb_top, reference_text, reference_interface, unit, names, errors, names_used)
