"""Finding Icarus Verilog and asking its version."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess

from .errors import SimulatorNotFound
from .plan import Tools

INSTALL_HINT = "install Icarus Verilog: sudo apt-get install iverilog (Debian/Ubuntu), brew install icarus-verilog (macOS)"


@functools.lru_cache(maxsize=8)
def find_tools(iverilog: str | None = None) -> Tools:
    """Locate ``iverilog`` and ``vvp`` (``$ANVIL_IVERILOG`` or PATH) and read the version."""
    iverilog = iverilog or os.environ.get("ANVIL_IVERILOG") or "iverilog"
    path = shutil.which(iverilog)
    if path is None:
        raise SimulatorNotFound(f"Icarus Verilog not found ('{iverilog}' is not on PATH); {INSTALL_HINT}")
    vvp = shutil.which("vvp", path=os.path.dirname(path)) or shutil.which("vvp")
    if vvp is None:
        raise SimulatorNotFound(f"'vvp' not found beside {path}; {INSTALL_HINT}")
    try:
        out = subprocess.run([path, "-V"], capture_output=True, text=True, timeout=10,
                             stdin=subprocess.DEVNULL).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SimulatorNotFound(f"cannot run {path}: {exc}") from exc
    m = re.search(r"Icarus Verilog version (\S+)", out)
    version = f"Icarus Verilog {m.group(1)}" if m else "Icarus Verilog (unknown version)"
    return Tools(iverilog=path, vvp=vvp, version=version)
