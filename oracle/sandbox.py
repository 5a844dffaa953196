"""The sandbox the runner lives in: bubblewrap when it works here, a plain child otherwise.

Inside, the runner and everything it starts (the preprocessor, the compiler, the simulation, the
forked screen) see:

- the tools, the Python interpreter and the two packages the runner needs (``oracle``,
  ``pyslang``), read-only;
- a private ``/tmp`` (a tmpfs, gone when the sandbox ends) holding the run directories;
- no ``/proc`` at all (a private one would still show the host's paths in ``mountinfo``), a
  minimal ``/dev``, no network, no other file of the machine, and an environment with nothing of
  the caller's;

and die with their parent (``--die-with-parent``, a new session, a pid namespace). One sandbox
serves many runs: starting bubblewrap costs 2-3 ms, as much as a whole small simulation.

``ANVIL_SANDBOX``: ``auto`` (default: bubblewrap if it starts, else a plain child, said once),
``on`` (no run without it), ``off``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .scratch import process_dir

MODES = ("auto", "on", "off")
#: what the runner imports besides the standard library
RUNNER_PACKAGES = ("oracle", "pyslang", "nanobind_backend")
TMPFS_BYTES = 4 << 30


class SandboxUnavailable(Exception):
    pass


def mode_from_env() -> str:
    mode = os.environ.get("ANVIL_SANDBOX", "auto").strip().lower() or "auto"
    return mode if mode in MODES else "auto"


def bwrap() -> str | None:
    return shutil.which("bwrap")


def package_dir(name: str) -> str:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SandboxUnavailable(f"the {name} package is not installed")
    return os.path.realpath(list(spec.submodule_search_locations)[0])


def python_paths() -> tuple[str, str]:
    """(the real interpreter, its installation prefix)."""
    exe = os.path.realpath(sys.executable)
    return exe, os.path.realpath(sys.base_prefix)


@dataclass(frozen=True)
class Launch:
    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: str
    sandboxed: bool
    #: the runner's root as the runner sees it (run directories are created inside)
    root: str


def _ro(path: str) -> list[str]:
    return ["--ro-bind", path, path]


def sandbox_argv(bwrap_path: str, *, tool_prefixes: Sequence[str], root: str, command: Sequence[str],
                 binds: Sequence[tuple[str, str]] = (), options: Sequence[str] = ()) -> list[str]:
    """The bubblewrap command line around ``command`` (pure); ``binds``: (host folder, where it
    is seen inside), read-only; ``options``: more of bubblewrap's, after the mounts."""
    exe, prefix = python_paths()
    argv = [bwrap_path, "--unshare-all", "--die-with-parent", "--new-session", "--clearenv"]
    for top in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = f"/{top}"
        if os.path.islink(host):
            argv += ["--symlink", os.readlink(host), host]
        elif os.path.isdir(host):
            argv += _ro(host)
    argv += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    for path in sorted({prefix, *tool_prefixes}):
        if not path.startswith("/usr/") and path != "/usr":
            argv += _ro(path)
    for name in RUNNER_PACKAGES:
        argv += ["--ro-bind", package_dir(name), f"/anvil/{name}"]
    for host, inside in binds:
        argv += ["--ro-bind", host, inside]
    argv += ["--dev", "/dev", "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp", *options]
    argv += ["--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "LANG", "C.UTF-8",
             "--setenv", "PYTHONPATH", "/anvil", "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
             "--chdir", "/tmp", "--"]
    return argv + list(command)


def launch(*, sandboxed: bool, tool_prefixes: Sequence[str], root_name: str, host_tmp: Path | None,
           config_for: Callable[[str], str], binds: Sequence[tuple[str, str]] = ()) -> Launch:
    """How to start the runner. ``config_for(root)`` gives its ``--config`` JSON; ``binds`` are
    shown read-only inside the sandbox (unsandboxed, the runner sees the host's paths anyway)."""
    if sandboxed:
        path = bwrap()
        if path is None:
            raise SandboxUnavailable("bubblewrap (bwrap) is not installed: sudo apt-get install bubblewrap")
        exe, _ = python_paths()
        root = f"/tmp/{root_name}"
        command = [exe, "-S", "-B", "-m", "oracle.runner", "--config", config_for(root)]
        argv = sandbox_argv(path, tool_prefixes=tool_prefixes, root=root, command=command, binds=binds)
        return Launch(tuple(argv), {}, "/", True, root)
    base = Path(host_tmp) if host_tmp else process_dir()
    root = str(base / root_name)
    parent = str(Path(package_dir("oracle")).parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [parent, os.environ.get("PYTHONPATH")])),
               PYTHONDONTWRITEBYTECODE="1")
    plain = (sys.executable, "-B", "-m", "oracle.runner", "--config", config_for(root), "--pdeathsig")
    return Launch(plain, env, str(base), False, root)


def bwrap_version() -> str:
    path = bwrap()
    if path is None:
        return ""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=5,
                             stdin=subprocess.DEVNULL).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out or "bubblewrap"
