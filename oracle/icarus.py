"""Icarus Verilog: finding the tools, and planning their command lines (pure functions).

The official VerilogEval harness runs ``iverilog -Wall -Winfloop -Wno-timescale -g2012 -s tb``
on the candidate, the testbench and the reference together, then ``vvp -n``. The driver
``iverilog`` does three things: it writes two small configuration files, runs ``sh -c "ivlpp
... | ivl ..."`` (Icarus's preprocessor piped into its compiler), and deletes the files. Anvil
runs the two halves itself, so that what it screens is exactly what the compiler reads:

1. ``ivlpp -L`` preprocesses the *design files alone* (as one unit, no include path) into
   ``design.pp``: macros are expanded, ```ifdef`` is resolved, and ```line`` markers name the
   original files and lines;
2. the screen judges ``design.pp``;
3. ``ivl`` compiles ``design.pp`` + ```resetall`` + the bench's own preprocessed text (made once
   per bench, on the host), read as one stream, with the configuration the driver would write
   for the harness flags. The design's macros never reach the bench, and nothing the design
   wrote is preprocessed twice.

Calling ``ivl`` directly skips the driver and its shell (about 2 ms of a 10 ms candidate). It is
checked once per installation against a known design; where it does not work, the compile
step falls back to the driver on the same preprocessed stream (:attr:`Tools.direct`).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .alone import alone_problems
from .errors import SimulatorNotFound
from .forking import MODULE, fork_image
from .scratch import mkdtemp
from .simlog import parse_compile_errors
from .toolchain import Toolchain
from .verdict import CompileError

#: the official harness's flags
COMPILE_FLAGS = ("-Wall", "-Winfloop", "-Wno-timescale", "-g2012")
#: what the driver writes for COMPILE_FLAGS (Icarus 11): language generation and warning letters
GENERATION = ("2012", "no-specify", "assertions", "xtypes", "io-range-error", "no-strict-ca-eval",
              "no-strict-expr-width", "shared-loop-index", "no-verilog-ams", "icarus-misc")
WARNINGS = "nidRpsal"
#: the driver also loads vhdl_sys and vhdl_textio, which only VHDL designs use; leaving them out
#: saves vvp half a millisecond per run
VPI_MODULES = ("system", "v2005_math", "va_math", "v2009")
PREDEFINES = ("__ICARUS__=1",)

SIM_IMAGE = "sim.vvp"
DUMP = "wave.vcd"  # the harness's bench writes it into the run directory

INSTALL_HINT = ("install Icarus Verilog: sudo apt-get install iverilog (Debian/Ubuntu), "
                "brew install icarus-verilog (macOS)")


@dataclass(frozen=True)
class Tools:
    iverilog: str
    vvp: str
    version: str  # "Icarus Verilog 11.0"
    #: the driver's base directory (ivlpp, ivl, vvp.conf, the VPI modules); "" when unknown
    basedir: str = ""
    #: ``ivl`` runs directly with our configuration (checked); else through the driver
    direct: bool = False
    simulator: str = "icarus"

    @property
    def ivlpp(self) -> str:
        return os.path.join(self.basedir, "ivlpp")

    @property
    def ivl(self) -> str:
        return os.path.join(self.basedir, "ivl")

    @property
    def prefixes(self) -> tuple[str, ...]:
        """Folders a sandbox must show (read-only) for these tools to run."""
        out = {os.path.dirname(os.path.dirname(os.path.realpath(p))) for p in (self.iverilog, self.vvp)}
        if self.basedir:
            out.add(os.path.realpath(self.basedir))
        return tuple(sorted(out))


# -- planning (pure) -----------------------------------------------------------------------------

def defines_file(include_dirs: Sequence[str] = ()) -> str:
    """ivlpp's ``-F`` file: the predefined macros and the include path (none for designs)."""
    lines = [f"D:{d}" for d in PREDEFINES]
    lines += [f"I:{d}" for d in include_dirs]
    lines.append("relative include:false")
    return "\n".join(lines) + "\n"


def preprocess_argv(tools: Tools, *, defines: str, file_list: str, output: str = "-") -> tuple[str, ...]:
    """ivlpp over the files listed in ``file_list``, with ```line`` markers, into ``output``
    (``-``: standard output)."""
    argv = (tools.ivlpp, "-L", "-Wredef-chg", f"-F{defines}", f"-f{file_list}")
    return argv if output == "-" else (*argv, f"-o{output}")


def ivl_conf(tools: Tools, *, root: str | None, image: str) -> str:
    """The configuration the driver writes for the harness flags (``ivl -C``)."""
    base = tools.basedir
    lines = [f"root:{root}"] if root else []
    lines.append(f"basedir:{base}")
    lines += [f"module:{base}/{m}.vpi" for m in VPI_MODULES]
    lines += [f"generation:{g}" for g in GENERATION]
    lines += [f"warnings:{WARNINGS}", "ignore_missing_modules:false", f"out:{image}", "iwidth:32",
              "widthcap:65536", f"ivlpp:{base}/ivlpp -Wredef-chg -L"]
    return "\n".join(lines) + "\n"


def compile_argv(tools: Tools, *, conf: str, unit: str, root: str | None, image: str) -> tuple[str, ...]:
    """Compile the preprocessed ``unit`` into ``image``."""
    if tools.direct:
        return (tools.ivl, "-C", conf, "-C", os.path.join(tools.basedir, "vvp.conf"), "--", unit)
    argv = [tools.iverilog, *COMPILE_FLAGS]
    if root:
        argv += ["-s", root]
    return (*argv, "-o", image, unit)


def run_argv(tools: Tools, image: str) -> tuple[str, ...]:
    """``-n``: ``$stop`` and interrupts end the run instead of opening vvp's prompt."""
    return (tools.vvp, "-n", image)


@dataclass(frozen=True)
class HarnessPlan:
    compile: tuple[str, ...]
    run: tuple[str, ...]
    workdir: Path
    dump: Path = field(default=Path(DUMP))


def harness_commands(tools: Tools, *, design: Sequence[Path], testbench: Path, extra: Sequence[Path],
                     tb_top: str | None, workdir: Path) -> HarnessPlan:
    """The official harness's command lines (candidate first, then testbench, then the extra
    sources): the baseline that ``scripts/bench_oracle.py`` measures against."""
    image = workdir / SIM_IMAGE
    argv = [tools.iverilog, *COMPILE_FLAGS]
    if tb_top:
        argv += ["-s", tb_top]
    argv += ["-o", str(image), *map(str, design), str(testbench)]
    argv += [str(p) for p in extra if p not in design and p != testbench]
    return HarnessPlan(tuple(argv), run_argv(tools, str(image)), workdir, workdir / DUMP)


# -- finding the tools --------------------------------------------------------------------------

_PREPROCESS = re.compile(r"preprocess:\s*(\S+)/ivlpp\b")


def _quiet(argv: Sequence[str], cwd: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=dict(os.environ, TMPDIR=cwd))


def _basedir(iverilog: str, scratch: str) -> str:
    """Where the driver finds ivlpp and ivl: it says so with ``-v -E``."""
    Path(scratch, "probe.v").write_text("module probe; endmodule\n")
    try:
        out = _quiet([iverilog, "-v", "-E", "-o", os.devnull, "probe.v"], scratch)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    m = _PREPROCESS.search(out.stdout + out.stderr)
    base = m.group(1).strip("\"'") if m else ""
    return base if base and os.access(os.path.join(base, "ivlpp"), os.X_OK) else ""


_PROBE = """module tb;
  reg [3:0] a = 4'd9;
  wire [3:0] b;
  probe_dut dut(.a(a), .b(b));
  initial #1 $display("probe %0d", b);
endmodule
"""
_PROBE_DUT = "module probe_dut(input [3:0] a, output [3:0] b);\n  assign b = a + 4'd1;\nendmodule\n"


def _direct_works(tools: Tools, scratch: str) -> bool:
    """Compile and run a known design through ivlpp + ivl; True if it prints what it should."""
    if not (os.access(tools.ivl, os.X_OK) and os.path.isfile(os.path.join(tools.basedir, "vvp.conf"))):
        return False
    d = Path(scratch)
    (d / "dut.v").write_text(_PROBE_DUT)
    (d / "tb.v").write_text(_PROBE)
    (d / "defs").write_text(defines_file())
    (d / "files").write_text("dut.v\ntb.v\n")
    (d / "conf").write_text(ivl_conf(tools, root="tb", image="probe.vvp"))
    try:
        steps = [preprocess_argv(tools, defines="defs", file_list="files", output="unit.pp"),
                 compile_argv(tools, conf="conf", unit="unit.pp", root="tb", image="probe.vvp"),
                 run_argv(tools, "probe.vvp")]
        outs = [_quiet(argv, scratch) for argv in steps]
    except (OSError, subprocess.TimeoutExpired):
        return False
    return all(o.returncode == 0 for o in outs) and "probe 10" in outs[-1].stdout


@functools.lru_cache(maxsize=8)
def find_tools(iverilog: str | None = None) -> Tools:
    """Locate ``iverilog`` and ``vvp`` (``$ANVIL_IVERILOG`` or PATH), read the version, find
    ivlpp and ivl, and check that ivl can be run directly."""
    iverilog = iverilog or os.environ.get("ANVIL_IVERILOG") or "iverilog"
    path = shutil.which(iverilog)
    if path is None:
        raise SimulatorNotFound(f"Icarus Verilog not found ('{iverilog}' is not on PATH); {INSTALL_HINT}")
    vvp = shutil.which("vvp", path=os.path.dirname(path)) or shutil.which("vvp")
    if vvp is None:
        raise SimulatorNotFound(f"'vvp' not found beside {path}; {INSTALL_HINT}")
    scratch = str(mkdtemp("probe-"))
    try:
        try:
            out = _quiet([path, "-V"], scratch, timeout=10).stdout
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SimulatorNotFound(f"cannot run {path}: {exc}") from exc
        m = re.search(r"Icarus Verilog version (\S+)", out)
        version = f"Icarus Verilog {m.group(1)}" if m else "Icarus Verilog (unknown version)"
        base = _basedir(path, scratch)
        if not base:
            raise SimulatorNotFound(f"cannot find Icarus's preprocessor (ivlpp) for {path}; reinstall Icarus "
                                    f"Verilog ({INSTALL_HINT})")
        tools = Tools(iverilog=path, vvp=vvp, version=version, basedir=base, direct=True)
        if not _direct_works(tools, scratch):
            tools = Tools(iverilog=path, vvp=vvp, version=version, basedir=base, direct=False)
        return tools
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# -- the bench, preprocessed once (on the host: the bench is the user's own, trusted) -----------

def preprocess_bench(tools: Tools, sources: Sequence[tuple[Path, str]]
                     ) -> tuple[str, dict[str, str], tuple[CompileError, ...]]:
    """The bench's files through ivlpp (the texts read, copied so the text judged is the text
    hashed); includes resolve beside the original files. Returns the text, the names its
    ```line`` markers use -> names to report, and errors (a bench that does not preprocess)."""
    folder = mkdtemp("bench-")
    try:
        names: dict[str, str] = {}
        listed = []
        for i, (path, text) in enumerate(sources):
            copy = folder / f"bench{i}_{_safe(path.name)}"
            copy.write_text(text, encoding="utf-8")
            names[str(copy)] = str(path)
            listed.append(str(copy))
        dirs = list(dict.fromkeys(str(p.parent.absolute()) for p, _ in sources))
        (folder / "defs").write_text(defines_file([*dirs, f"{tools.basedir}/include"]))
        (folder / "files").write_text("".join(f"{p}\n" for p in listed))
        out = folder / "bench.pp"
        try:
            done = subprocess.run(preprocess_argv(tools, defines=str(folder / "defs"), file_list=str(folder / "files"),
                                                  output=str(out)), cwd=folder, capture_output=True, text=True,
                                  timeout=60, stdin=subprocess.DEVNULL, env=dict(os.environ, TMPDIR=str(folder)))
        except (OSError, subprocess.TimeoutExpired) as exc:
            return "", names, (CompileError(None, None, f"cannot preprocess the bench: {exc}"),)
        if done.returncode != 0 or not out.is_file():
            errors = tuple(CompileError(names.get(e.file, e.file) if e.file else None, e.line, e.message)
                           for e in parse_compile_errors(done.stdout + done.stderr))
            return "", names, errors or (CompileError(None, None, "the bench's preprocessing failed"),)
        unit = out.read_text(encoding="utf-8", errors="replace")
        for included in re.findall(r'^`line \d+ "([^"\n]*)" 1', unit, flags=re.MULTILINE):
            names.setdefault(included, included)
        return unit, names, ()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def select_choice(image: bytes, marker: int, choice: int) -> bytes | None:
    """The image with the selector's initial value (``marker``, see :mod:`oracle.variants`) set to
    ``choice``; None when the marker is not where Icarus puts a constant initial value (an init
    thread pushing a 32-bit immediate)."""
    if not 0 <= choice < marker:
        return None
    pattern = re.compile(rb"^(\s*%pushi/vec4 )" + str(marker).encode() + rb"(, 0, 32;)$", re.MULTILINE)
    out, count = pattern.subn(rb"\g<1>" + str(choice).encode() + rb"\g<2>", image)
    if count == 0 or str(marker).encode() in out:
        return None
    return out


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80] or "file"


def toolchain_of(tools: Tools) -> Toolchain:
    """The simulator-neutral value for an Icarus installation."""
    return Toolchain("icarus", tools.version, (("iverilog", tools.iverilog), ("vvp", tools.vvp)), tools.prefixes,
                     (("basedir", tools.basedir), ("direct", "1" if tools.direct else "")))


@functools.lru_cache(maxsize=8)
def tools_of(toolchain: Toolchain) -> Tools:
    """Icarus's own view of a toolchain it found."""
    return Tools(toolchain.program("iverilog"), toolchain.program("vvp"), toolchain.version,
                 toolchain.option("basedir"), toolchain.option("direct") == "1")


class Icarus:
    """Icarus Verilog as the oracle's simulator (see :mod:`oracle.backend`)."""

    name = "icarus"
    image = SIM_IMAGE

    def find(self, path: str | None = None) -> Toolchain:
        return toolchain_of(find_tools(path))

    def preprocess_bench(self, tools: Toolchain, sources: Sequence[tuple[Path, str]]
                         ) -> tuple[str, dict[str, str], tuple[CompileError, ...]]:
        return preprocess_bench(tools_of(tools), sources)

    def design_defines(self) -> str:
        return defines_file()

    def preprocess(self, tools: Toolchain, *, defines: str, file_list: str) -> tuple[str, ...]:
        return preprocess_argv(tools_of(tools), defines=defines, file_list=file_list)

    def streams(self, tools: Toolchain) -> bool:
        return tools_of(tools).direct

    def compiler_config(self, tools: Toolchain, *, root: str | None, image: str = SIM_IMAGE) -> str:
        return ivl_conf(tools_of(tools), root=root, image=image)

    def compile(self, tools: Toolchain, *, config: str, unit: str, root: str | None,
                image: str = SIM_IMAGE) -> tuple[str, ...]:
        return compile_argv(tools_of(tools), conf=config, unit=unit, root=root, image=image)

    def run(self, tools: Toolchain, image: str) -> tuple[str, ...]:
        return run_argv(tools_of(tools), image)

    def compile_errors(self, output: str) -> tuple[CompileError, ...]:
        return parse_compile_errors(output)

    def select(self, image: bytes, marker: int, choice: int) -> bytes | None:
        return select_choice(image, marker, choice)

    def fork_plan(self, tools: Toolchain, image: bytes, marker: int, function: str, module: str,
                  path: str) -> tuple[bytes, tuple[str, ...]] | None:
        forked = fork_image(image, marker, function)
        if forked is None:
            return None
        vvp, *rest = run_argv(tools_of(tools), path)
        return forked, (vvp, "-M", module, "-m", MODULE, *rest)

    def alone_problems(self, output: str, image: Path, files: Mapping[str, str],
                       bench_names: frozenset[str] = frozenset()) -> list[CompileError]:
        with image.open(encoding="utf-8", errors="replace") as stream:
            return alone_problems(stream, output, files, bench_names)


ICARUS = Icarus()
