"""Which files belong together: a spec, its testbench, extra sources, the top module, the output.

From ``anvil.toml`` at the workspace root when it lists the file::

    [[design]]
    spec = "specs/counter.md"
    testbench = "tb/counter_tb.sv"
    with = ["tb/counter_ref.sv"]
    output = "rtl/counter.sv"
    top = "TopModule"

An entry may give ``reference`` (an existing design that judges the new one) instead of
``testbench``: reference mode, see :mod:`engine.reference`. An entry may also give ``data``
(files or folders the testbench reads, kept elsewhere) and ``pass`` / ``fail`` (regular
expressions that replace the built-in result-line patterns). Without ``top`` the design is the
module the testbench instantiates and does not define.

Otherwise by names, side by side: ``X_prompt.txt`` / ``X.spec.md`` / ``X.md`` (spec) with
``X_test.sv`` / ``X_tb.sv`` / ``X_tb.v`` / ``tb_X.v`` / ``test_X.py`` (testbench), ``X_ref.sv``
(compiled with it; without a testbench, the reference that judges the design), output
``X.sv``; or, in a folder holding exactly one spec (``*.md``, ``*description*.txt``,
``*spec*.txt``, ``*prompt*.txt``) and exactly one testbench
(``testbench.v``, ``tb.v``, ``tb_*.v``, ``*_tb.v``, ``test_*.py``, and the same in ``.sv``),
those two, with the output named after the module the testbench expects (``adder_8bit.v``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oracle.bench import DEFAULT_REFERENCE, declares, is_source
from oracle.results import Rule

SPEC_SUFFIXES = ("_prompt.txt", ".spec.md", ".md")
TB_SUFFIXES = ("_test.sv", "_tb.sv", "_tb.v")
TB_PREFIXES = (("tb_", (".sv", ".v")), ("test_", (".py",)))
REF_SUFFIXES = ("_ref.sv", "_ref.v")
MANIFEST = "anvil.toml"
#: in a folder: names a testbench or a spec may have when no name pairs them
FOLDER_TB = re.compile(r"^(?!\w*_questions_tb\.)(?:testbench|tb|tb_\w+|\w+_tb|\w+_test|test_\w+)\.(?:v|sv|py)$",
                       re.IGNORECASE)  # X_questions_tb.sv: answers kept in spec-only mode, not the design's judge
FOLDER_SPEC = re.compile(r"^(?:(?!readme|changelog|license|contributing)[\w.-]+\.md|[\w.-]*(?:spec|description|prompt|"
                         r"requirements?)[\w.-]*\.txt)$", re.IGNORECASE)


class DesignError(Exception):
    """A file that is not part of a complete design, or a bad anvil.toml (message says which)."""


@dataclass(frozen=True)
class Design:
    name: str
    spec: Path | None
    testbench: Path | None
    output: Path
    extra: tuple[Path, ...] = ()
    #: the module to implement; None: the one the testbench instantiates and does not define
    top: str | None = None
    source: str = "names"  # "names", "folder" or the anvil.toml path
    problems: tuple[str, ...] = field(default=(), compare=False)
    #: data files and folders the testbench reads, kept outside its folder
    data: tuple[Path, ...] = ()
    #: pass and failure patterns for the testbench's output (empty: the built-in rule)
    rule: Rule = Rule()
    #: without a testbench: an existing design that judges the new one (reference mode)
    reference: Path | None = None

    @property
    def complete(self) -> bool:
        return self.spec is not None and (self.testbench is not None or self.reference is not None)

    @property
    def spec_only(self) -> bool:
        """A spec with neither a testbench nor a reference: spec-only mode (unverified answers)."""
        return self.spec is not None and self.testbench is None and self.reference is None

    @property
    def by_reference(self) -> bool:
        """Judged by a reference, through a generated testbench, not by a testbench of its own."""
        return self.testbench is None and self.reference is not None

    @property
    def spec_file(self) -> Path:
        """The spec (DesignError when the design has none)."""
        if self.spec is None:
            raise DesignError(f"no spec found for testbench {self.testbench} (expected one of "
                              f"{', '.join(self.name + s for s in SPEC_SUFFIXES)} beside it, or an "
                              f"entry in {MANIFEST})")
        return self.spec

    @property
    def testbench_file(self) -> Path:
        """The testbench (DesignError when the design has none)."""
        if self.testbench is None:
            raise DesignError(f"no testbench found for spec {self.spec} (expected one of "
                              f"{', '.join(self.name + s for s in TB_SUFFIXES)} beside it, a reference "
                              f"{self.name}_ref.sv to judge against, or an entry in {MANIFEST})")
        return self.testbench

    @property
    def judge_file(self) -> Path:
        """What the design is judged against: its testbench, else its reference (DesignError
        when it has neither)."""
        if self.by_reference:
            assert self.reference is not None  # by_reference says so
            return self.reference
        return self.testbench_file

    def files(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.spec, self.testbench, self.reference, *self.extra) if p is not None)

    def require_complete(self) -> Design:
        """This design, or DesignError saying which file it lacks."""
        _ = self.spec_file
        if not self.by_reference:
            _ = self.testbench_file
        return self


def stem_of(path: Path) -> tuple[str, str] | None:
    """(design name, role) from a file name: role is spec, testbench, reference or output."""
    name = path.name
    for role, suffixes in (("spec", SPEC_SUFFIXES), ("testbench", TB_SUFFIXES), ("reference", REF_SUFFIXES)):
        for suffix in suffixes:
            if name.endswith(suffix) and len(name) > len(suffix):
                return name[: -len(suffix)], role
    for prefix, endings in TB_PREFIXES:
        for ending in endings:
            if name.startswith(prefix) and name.endswith(ending) and len(name) > len(prefix) + len(ending):
                return name[len(prefix): -len(ending)], "testbench"
    if path.suffix in (".sv", ".v"):
        return path.stem, "output"
    return None


def find_root(path: Path, stop: Path | None = None) -> Path | None:
    """The nearest directory at or above ``path`` holding anvil.toml (not above ``stop``)."""
    current = path if path.is_dir() else path.parent
    stop = stop.resolve() if stop else None
    for directory in (current.resolve(), *current.resolve().parents):
        if (directory / MANIFEST).is_file():
            return directory
        if stop is not None and directory == stop:
            break
    return None


def load_manifest(root: Path) -> list[Design]:
    path = root / MANIFEST
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise DesignError(f"{path}: not a text file (expected TOML with [[design]] tables)") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DesignError(f"{path}: {exc}") from None
    entries = data.get("design", [])
    if not isinstance(entries, list):
        raise DesignError(f"{path}: 'design' must be an array of tables ([[design]])")
    designs = []
    for i, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or "spec" not in entry or not ("testbench" in entry or "reference" in entry):
            raise DesignError(f"{path}: design #{i} needs at least 'spec' and 'testbench' (or 'reference')")
        for key in ("spec", "testbench", "reference", "output", "top", "name"):
            if key in entry and (not isinstance(entry[key], str) or not entry[key].strip() or "\0" in entry[key]):
                raise DesignError(f"{path}: design #{i}: '{key}' must be a non-empty string")
        spec = root / entry["spec"]
        extra = _strings(entry, "with", path, i, "a file name or a list of file names")
        name = entry.get("name") or (stem_of(spec) or (spec.stem, ""))[0]
        output = root / entry["output"] if "output" in entry else spec.parent / f"{name}.sv"
        files = _strings(entry, "data", path, i)
        rule = _rule(entry, path, i)
        tb = root / entry["testbench"] if "testbench" in entry else None
        reference = root / entry["reference"] if "reference" in entry else None
        designs.append(Design(name=name, spec=spec, testbench=tb, output=output,
                              extra=tuple(root / e for e in extra), top=entry.get("top"),
                              source=str(path), data=tuple(root / d for d in files), rule=rule,
                              reference=reference))
    return designs


def _strings(entry: dict[str, Any], key: str, path: Path, index: int,
             what: str = "a string or a list of strings") -> list[str]:
    value = entry.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DesignError(f"{path}: design #{index}: '{key}' must be {what}")
    return value


def _rule(entry: dict[str, Any], path: Path, index: int) -> Rule:
    try:
        return Rule(tuple(_strings(entry, "pass", path, index)), tuple(_strings(entry, "fail", path, index)))
    except re.error as exc:
        raise DesignError(f"{path}: design #{index}: a pass/fail pattern is not a regular expression: {exc}") from None


def _same(a: Path | None, b: Path) -> bool:
    return a is not None and a.resolve() == b.resolve()


def design_for(path: Path, *, workspace: Path | None = None) -> Design | None:
    """The design ``path`` (a spec, testbench, reference or output) belongs to, if any."""
    path = Path(path)
    root = find_root(path, workspace)
    if root is not None:
        for design in load_manifest(root):
            if any(_same(f, path) for f in (*design.files(), design.output)):
                return design
    parsed = stem_of(path)
    if parsed is None:
        return folder_pair(path)
    name, role = parsed
    folder = path.parent
    spec = next((folder / (name + s) for s in SPEC_SUFFIXES if (folder / (name + s)).is_file()), None)
    tb = next((folder / (name + s) for s in TB_SUFFIXES if (folder / (name + s)).is_file()), None)
    ref = next((folder / (name + s) for s in REF_SUFFIXES if (folder / (name + s)).is_file()), None)
    if tb is None and spec is not None:
        tb = next((p for p in (folder / f"tb_{name}.v", folder / f"tb_{name}.sv", folder / f"test_{name}.py")
                   if p.is_file()), None)
    if role == "spec":
        spec = path
    elif role == "testbench":
        tb = path
    if spec is None or tb is None:
        paired = folder_pair(path)
        if paired is not None:
            return paired
    if role == "output" and spec is None and tb is None:
        return None
    if tb is None and ref is not None:  # no testbench: the reference judges (reference mode)
        return Design(name=name, spec=spec, testbench=None, output=folder / f"{name}.sv", reference=ref)
    bench_ref = ref is not None and declares(ref, DEFAULT_REFERENCE)  # else an old design, not the bench's
    return Design(name=name, spec=spec, testbench=tb, output=folder / f"{name}.sv",
                  extra=(ref,) if ref and bench_ref else ())


def folder_pair(path: Path) -> Design | None:
    """The design of a folder that holds exactly one spec and one testbench (see the module
    docstring), when ``path`` is one of them or a Verilog file beside them."""
    folder = path.parent
    try:
        entries = [p for p in folder.iterdir() if p.is_file()]
    except OSError:
        return None
    specs = [p for p in entries if FOLDER_SPEC.match(p.name)]
    benches = [p for p in entries if FOLDER_TB.match(p.name)]
    if len(specs) != 1 or len(benches) != 1:
        return None
    spec, tb = specs[0], benches[0]
    if path not in (spec, tb) and not is_source(path):
        return None
    name = expected_module(tb) or folder.name
    suffix = tb.suffix if tb.suffix in (".v", ".sv") else ".v"
    return Design(name=name, spec=spec, testbench=tb, output=folder / f"{name}{suffix}", source="folder")


def expected_module(testbench: Path) -> str | None:
    """The module a testbench expects the design to define, if it says (None if unreadable)."""
    from oracle import OracleError
    from oracle.bench import Bench, prepare_top

    try:
        return prepare_top(Bench(testbench))
    except (OSError, ValueError, OracleError):
        return None


def designs_in(folder: Path) -> list[Design]:
    """Every design in a folder tree: anvil.toml entries, then name pairs (deduplicated)."""
    found: dict[tuple[Path | None, Path | None], Design] = {}
    root = find_root(folder)
    if root is not None:
        for listed in load_manifest(root):
            found[(listed.spec, listed.testbench)] = listed
    for path in sorted(folder.rglob("*")):
        if path.is_file() and (parsed := stem_of(path)) and parsed[1] in ("spec", "testbench"):
            d = design_for(path)
            if d is not None and d.complete:
                found.setdefault((d.spec, d.testbench), d)
    return list(found.values())
