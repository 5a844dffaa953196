"""A schema's choices run by forking one loaded simulation (Icarus), not by starting one each.

Starting vvp and loading an image costs more than a small bench's whole simulation (5-8 ms of a
6-9 ms run here). The VPI module built from ``forkrun.c`` loads the schema's image once and, at
the start of simulation, before any process has run, forks one child per choice; each child
sets the choice and simulates exactly as a fresh vvp given that choice would (its output, exit
code, waveform and data files its own), under its own deadline.

How the choice reaches the design: the schema's selector is initialised by a thread that pushes
the marker (:mod:`oracle.variants`). For a forked run, :func:`fork_image` makes that thread call
a system function of the module instead, named at random per runner (no design can name it),
which returns the child's choice. So the selector gets its value from the same thread at the same
moment as in a run of its own, and every process sensitive to it sees the same event.

The module is built here, on the host, once per Icarus installation and source (``gcc``, with
the headers Icarus installs), into a cache folder shown read-only in the sandbox. Without a C
compiler or the headers, choices are run one vvp each, as before (slower, same verdicts).
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
from dataclasses import dataclass
from pathlib import Path

from . import native
from .process import Capture, Limits
from .toolchain import Toolchain

SOURCE = Path(__file__).with_name("forkrun.c")
MODULE = "anvil_fork"  # vvp -m anvil_fork
#: where a sandboxed runner sees the module's folder
INSIDE = "/anvil/vpi"
#: a child writing more output than this (or a waveform larger) is run again on its own
MAX_OUTPUT = 8 << 20


def module_folder(tools: Toolchain) -> Path | None:
    """The folder holding ``anvil_fork.vpi`` for this Icarus, built on first use; None when it
    cannot be built here (said once in the log) or ``ANVIL_FORK_RUNS=0``."""
    return module_state(tools)[0]


def module_state(tools: Toolchain) -> tuple[Path | None, str]:
    """(:func:`module_folder`, why there is none: "" when there is)."""
    if tools.simulator != "icarus":
        return None, f"{tools.simulator} is not Icarus"
    if os.environ.get("ANVIL_FORK_RUNS", "1") == "0":
        return None, "ANVIL_FORK_RUNS=0"
    vvp = tools.program("vvp")
    key = hashlib.sha256(SOURCE.read_bytes() + f"\0{tools.version}\0{os.path.realpath(vvp)}".encode()).hexdigest()[:20]
    return native.cached(key, f"{MODULE}.vpi", lambda folder: _build(vvp, folder),
                         "choices of a schema run one simulator each: the fork module was not built")


def _build(vvp: str, folder: Path) -> str:
    """Compile the module into ``folder`` (atomically); a reason when it could not."""
    include = _include_dir(vvp)
    if include is None:
        return "Icarus's VPI header vpi_user.h was not found"
    return native.build(SOURCE, f"{MODULE}.vpi", folder, ("-I", str(include)))


def _include_dir(vvp: str) -> Path | None:
    prefix = Path(os.path.realpath(vvp)).parent.parent
    for candidate in (prefix / "include" / "iverilog", prefix / "include", Path("/usr/include/iverilog")):
        if (candidate / "vpi_user.h").is_file():
            return candidate
    return None


def fork_image(image: bytes, marker: int, function: str) -> bytes | None:
    """The image with each selector initialised by calling ``function`` (the fork module's: the
    child's choice) instead of pushing the marker; None when the marker is not where Icarus puts
    a constant initial value (an init thread pushing a 32-bit immediate)."""
    init = re.compile(rb"^(\s*)%pushi/vec4 " + str(marker).encode() + rb", 0, 32;$", re.MULTILINE)
    out, count = init.subn(rb"\1%vpi_func 0 0 " + b'"' + function.encode() + b'" 32 {0 0 0};', image)
    if count == 0 or str(marker).encode() in out:
        return None
    return out


@dataclass(frozen=True)
class Outcome:
    """What became of one forked child: ``exit`` (with its code), ``signal`` (with the signal),
    ``timeout``; anything else is run again on its own."""

    how: str
    code: int = 0

    @property
    def returncode(self) -> int:
        return -self.code if self.how == "signal" else self.code


def read_outcomes(text: str) -> dict[int, Outcome]:
    outcomes: dict[int, Outcome] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].isdigit():
            code = int(parts[2]) if parts[1] in ("exit", "signal") and len(parts) > 2 else 0
            outcomes[int(parts[0])] = Outcome(parts[1], code)
    return outcomes


def reported(results: Path, choices: range, *, complete: bool) -> dict[int, Outcome]:
    """The choices the module's report (``results``) gives and that can be judged from it: ended,
    killed or timed out, not killed for writing past ``MAX_OUTPUT`` (SIGXFSZ; those run again on
    their own), not a fork that failed. ``complete``: only whole lines (the module may be writing
    one while it still runs choices)."""
    try:
        text = results.read_text()
    except OSError:
        return {}
    if complete:
        text = text[:text.rfind("\n") + 1]
    return {choice: outcome for choice, outcome in read_outcomes(text).items()
            if choice in choices and outcome.how in ("exit", "signal", "timeout")
            and not (outcome.how == "signal" and outcome.code == signal.SIGXFSZ)}


def capture(prefix: str, output: Path, limits: Limits) -> Capture:
    """A child's output as a run of its own would have captured it: what the parent printed
    before forking (its load-time messages), then what the child printed."""
    kept = Capture(limits)
    kept.add(prefix.encode("utf-8", errors="surrogateescape"))
    try:
        with output.open("rb") as stream:
            while chunk := stream.read(1 << 16):
                kept.add(chunk)
    except OSError:
        pass
    return kept


def spec(function: str, choices: int, deadline_s: float, folder: str) -> str:
    """The ``ANVIL_FORK`` value the module reads."""
    return f"{function} {choices} {max(1, int(deadline_s * 1000))} {folder} {MAX_OUTPUT}"


__all__ = ["INSIDE", "MAX_OUTPUT", "MODULE", "Outcome", "capture", "fork_image", "module_folder", "module_state",
           "read_outcomes", "reported", "spec"]
