"""cocotb testbenches: Python tests that drive the design through Icarus's VPI.

A cocotb test module (``test_x.py``, with ``@cocotb.test()`` functions) needs no Makefile or
runner script here. The design is compiled as for any bench, with the design's top as the root
and a default ``timescale`` of 1ns/1ps; then ``vvp -m libcocotbvpi_icarus.so`` loads cocotb,
which imports the test module from the simulation's working directory (where the module and the
other Python files of its folder are placed) and runs every test. Each test's result and
assertion message come back from cocotb's JUnit results file (``results.xml``).

:func:`find_cocotb` runs on the host (it imports nothing of cocotb); :func:`plan` and
:func:`read_results` run in the runner, inside the sandbox.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sysconfig
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .results import values_in
from .verdict import Mismatch, RunLog, Status, Verdict, score_of

RESULTS = "results.xml"
PRELUDE = "`timescale 1ns/1ps\n"
#: the results file is read only up to this size
MAX_RESULTS_BYTES = 4 << 20
SEED = "1"  # cocotb's random seed: runs are repeatable


@dataclass(frozen=True)
class Cocotb:
    """Where cocotb's pieces are (host paths, visible read-only inside the sandbox)."""

    vpi: str  # libcocotbvpi_icarus.so
    libpython: str
    entry: str  # the pygpi entry point "path.so,initialize"
    python: str  # the interpreter cocotb embeds
    paths: tuple[str, ...]  # folders its Python packages are imported from
    version: str

    def moved(self, binds: Sequence[tuple[str, str]]) -> Cocotb:
        """The same, as seen inside a sandbox that shows each host folder of ``binds`` elsewhere."""
        def at(path: str) -> str:
            for host, inside in binds:
                if path == host or path.startswith(host + "/"):
                    return str(inside + path[len(host):])
            return path

        return replace(self, vpi=at(self.vpi), entry=at(self.entry), paths=tuple(at(p) for p in self.paths))

    def to_wire(self) -> dict[str, Any]:
        return {**self.__dict__, "paths": list(self.paths)}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any] | None) -> Cocotb | None:
        return None if not data else cls(**{**data, "paths": tuple(data["paths"])})


def find_cocotb() -> Cocotb | None:
    """cocotb, if it is installed beside Anvil (``pip install 'anvil[cocotb]'``)."""
    spec = importlib.util.find_spec("cocotb")
    if spec is None or not spec.submodule_search_locations:
        return None
    package = Path(list(spec.submodule_search_locations)[0])
    vpi = package / "libs" / "libcocotbvpi_icarus.so"
    entry = next(iter(sorted(package.glob("simulator.*.so"))), None)
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    ldlib = sysconfig.get_config_var("LDLIBRARY") or ""
    libpython = os.path.join(libdir, ldlib)
    if not (vpi.is_file() and entry is not None and os.path.isfile(libpython)):
        return None
    version = "cocotb"
    try:
        from importlib.metadata import version as dist_version

        version = f"cocotb {dist_version('cocotb')}"
    except Exception:  # noqa: BLE001 - metadata is optional
        pass
    paths = sorted({os.path.realpath(p) for p in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
                                                  str(package.parent))})
    import sys

    return Cocotb(str(vpi), os.path.realpath(libpython), f"{entry},initialize", os.path.realpath(sys.executable),
                  tuple(paths), version)


def plan(cocotb: Cocotb, *, vvp: str, image: str, module: str, top: str,
         cwd: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """The command line and environment of one cocotb run."""
    env = {
        "PATH": "/usr/bin:/bin", "HOME": cwd, "TMPDIR": cwd, "LANG": "C.UTF-8",
        "COCOTB_TEST_MODULES": module, "COCOTB_TOPLEVEL": top, "TOPLEVEL": top, "TOPLEVEL_LANG": "verilog",
        "PYGPI_PYTHON_BIN": cocotb.python, "GPI_USERS": f"{cocotb.libpython};{cocotb.entry}",
        "LIBPYTHON_LOC": cocotb.libpython, "COCOTB_RESULTS_FILE": RESULTS, "COCOTB_RANDOM_SEED": SEED,
        "COCOTB_ANSI_OUTPUT": "0", "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join([cwd, *cocotb.paths]), "PYTHONNOUSERSITE": "1",
    }
    return (vvp, "-n", "-m", cocotb.vpi, image), env


_ASSERT = re.compile(r"^\s*assert\s+(.{1,300}?)\s*==\s*(.{1,300}?)\s*$")
_DUT = re.compile(r"\bdut\.(\w{1,80})")
#: how cocotb shows a value in a rewritten assertion: LogicArray('0111', Range(3, 'downto', 0))
_LOGIC = re.compile(r"^(?:LogicArray|Logic|BinaryValue)\('([01xXzZ-]{1,4096})'.*\)$")


def read_results(path: Path, tests: Sequence[str], output: str, limit: int, simulator: str,
                 ports: Mapping[str, str] | None = None) -> Verdict:
    """The verdict from cocotb's results file: every test must run and pass."""
    common: RunLog = {"simulator": simulator, "log_tail": output[-2000:]}
    try:
        if path.stat().st_size > MAX_RESULTS_BYTES:
            return Verdict(Status.FUNCTIONAL_FAIL, reason="cocotb's results file is too large", **common)
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return Verdict(Status.FUNCTIONAL_FAIL, reason="cocotb wrote no results (the simulation ended before its "
                                                      "tests did?)", **common)
    cases = root.findall(".//testcase")
    ran = [c.get("name", "") for c in cases]
    failed = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    missing = [t for t in tests if not any(r == t or r.startswith(t + "/") or r.startswith(t + "[") for r in ran)]
    if not cases:
        return Verdict(Status.FUNCTIONAL_FAIL, reason="cocotb ran no test", **common)
    mismatches = []
    for case in failed[:limit]:
        node = case.find("failure")
        if node is None:
            node = case.find("error")
        assert node is not None  # a failed case has one or the other
        message = (node.get("message") or "").strip()
        text = node.text or ""
        mismatches.append(_mismatch(case, message, text, ports))
    if failed or missing or skipped:
        first = mismatches[0].text if failed else ""
        why = (f"{len(failed)} of {len(cases)} cocotb tests failed" + (f" ({first[:200]})" if first else "")
               if failed else f"cocotb tests did not run: {', '.join(missing or [c.get('name', '') for c in skipped])}")
        return Verdict(Status.FUNCTIONAL_FAIL, samples=len(cases), mismatched_samples=len(failed) or len(missing),
                       score=score_of(len(cases), len(failed)), mismatches=tuple(mismatches), reason=why, **common)
    return Verdict(Status.PASS, samples=len(cases), score=1.0, reason=f"all {len(cases)} cocotb tests passed",
                   **common)


def _shown(value: str) -> str:
    """A value as a rewritten assertion prints it, as a plain bit string or number."""
    m = _LOGIC.match(value.strip())
    return m.group(1) if m else value.strip()


def _mismatch(case: ET.Element, message: str, text: str, ports: Mapping[str, str] | None) -> Mismatch:
    first_line = message.splitlines()[0] if message else case.get("name", "test failed")
    values = values_in(first_line, ports)
    signal, expected, actual = values.signal, values.expected, values.actual
    source = next((ln for ln in text.splitlines() if ln.strip().startswith("assert ")), "")
    if expected is None:
        m = _ASSERT.match(first_line)
        if m:
            actual, expected = (_shown(v) for v in m.groups())
    if signal is None:
        d = _DUT.search(source) or _DUT.search(first_line)
        if d:
            signal = d.group(1)
    time = None
    for prop in case.iter("property"):
        if prop.get("name") == "sim_time_stop":
            try:
                time = int(float(prop.get("value", "")))
            except ValueError:
                pass
    return Mismatch(time=time, cycle=None, edge=None, signal=signal, expected=expected, actual=actual,
                    inputs=dict(values.inputs), text=f"{case.get('name')}: {first_line[:300]}")
