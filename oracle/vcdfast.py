"""The waveform reader's values pass in C (``vcdread.c``), for the runner.

The runner reads the waveform of every choice of a schema in its one Python process; the values
pass of :func:`oracle.vcd.read_run` was most of its time. The C library does the same pass with
the same rules over the waveforms Icarus writes, and says *unsure* about any line it would not
read exactly as the Python reader does; :mod:`oracle.vcd` then reads that file in Python. Its
results are compared with the Python reader's on real and damaged waveforms in
``tests/oracle/test_vcdfast.py``.

Built on the host like the fork module (:mod:`oracle.native`); the runner is given its path
(``vcd_library`` in its configuration) and loads it with :func:`use`.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import native

log = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("vcdread.c")
LIBRARY = "anvil_vcd.so"
#: where a sandboxed runner sees the library's folder
INSIDE = "/anvil/vcd"

OK, UNSURE, CUT, FAILED, SMALL = range(5)
_FIGURES = 7  # samples, last, has first, first time, first cycle, found, bytes of rows
MAX_ROWS_BYTES = 16 << 20

_library: ctypes.CDLL | None = None


def library_folder() -> Path | None:
    """The folder holding the library, built on first use; None when it cannot be built here
    (said once in the log) or ``ANVIL_FAST_VCD=0``."""
    return library_state()[0]


def library_state() -> tuple[Path | None, str]:
    """(:func:`library_folder`, why there is none: "" when there is)."""
    if os.environ.get("ANVIL_FAST_VCD", "1") == "0":
        return None, "ANVIL_FAST_VCD=0"
    key = "vcd-" + hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:20]
    return native.cached(key, LIBRARY, lambda folder: native.build(SOURCE, LIBRARY, folder),
                         "waveforms are read in Python: the C reader was not built")


def use(path: str | os.PathLike[str] | None) -> bool:
    """Read waveforms with the library at ``path`` from now on (None: in Python); whether it
    loaded."""
    global _library
    if path is None:
        _library = None
        return False
    try:
        lib = ctypes.CDLL(os.fspath(path))
        fn = lib.anvil_vcd_read
    except (OSError, AttributeError) as exc:
        log.warning("waveforms are read in Python (cannot load %s: %s)", path, exc)
        _library = None
        return False
    ints = ctypes.POINTER(ctypes.c_int)
    longs = ctypes.POINTER(ctypes.c_longlong)
    fn.argtypes = [ctypes.c_char_p, ctypes.c_long, ctypes.c_char_p, ctypes.c_int, ints, ctypes.c_int, ints,
                   ctypes.c_int, ints, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_double,
                   longs, longs, ctypes.c_char_p, ctypes.c_long]
    fn.restype = ctypes.c_int
    _library = lib
    return True


def active() -> bool:
    return _library is not None


@dataclass(frozen=True)
class Values:
    """What the values pass found: ``status`` (OK or CUT), the agreement's figures (``outputs``:
    each pair's wrong samples and wrong bits), and the rows for the failing entries and trace,
    each (failing, time, cycle, edge, the values of ``order``'s codes, None: not dumped yet)."""

    status: int
    samples: int
    last: int
    first: tuple[int, int] | None
    outputs: tuple[tuple[int, int], ...]
    rows: tuple[tuple[bool, int, int, str, tuple[str | None, ...]], ...]


_EDGES = {"p": "posedge", "n": "negedge"}


def read_values(path: Path, offset: int, codes: Sequence[str], widths: Sequence[int], clock: int,
                pairs: Sequence[tuple[int, int]], order: Sequence[int], limit: int, window: int, whole: bool,
                until: float | None) -> Values | None:
    """The values pass over ``path`` from byte ``offset`` (indices refer to ``codes``); None when
    the library is not loaded or is unsure of the file (the caller reads it in Python)."""
    lib = _library
    if lib is None:
        return None
    n = len(codes)
    row_bytes = 100 + sum(1 + widths[i] for i in order)
    # rows: at most the window and one per failing entry; first a buffer for a few failing entries,
    # then (asked for many) one for as many as the file can hold samples (a timestamp line each),
    # at most MAX_ROWS_BYTES (beyond, Python reads the file)
    tries = [min(limit, 64), min(limit, path.stat().st_size // 3 + 1, MAX_ROWS_BYTES // row_bytes)]
    args = (os.fsencode(path), offset, "\n".join(codes).encode("ascii", errors="replace"), n,
            (ctypes.c_int * max(1, n))(*widths), clock,
            (ctypes.c_int * max(1, 2 * len(pairs)))(*(i for pair in pairs for i in pair)), len(pairs),
            (ctypes.c_int * max(1, len(order)))(*order), len(order), limit, window, int(whole),
            -1.0 if until is None else until)
    figures = (ctypes.c_longlong * _FIGURES)()
    outputs = (ctypes.c_longlong * max(1, 2 * len(pairs)))()
    for entries in tries:
        size = (max(window, 0) + max(entries, 0) + 1) * row_bytes
        rows = ctypes.create_string_buffer(size)
        status = lib.anvil_vcd_read(*args, figures, outputs, rows, size)
        if status != SMALL:
            break
    if status not in (OK, CUT):
        return None
    text = ctypes.string_at(rows, figures[6]).decode("ascii")
    parsed = []
    for line in text.splitlines():
        kind, at, cycle, edge, *values = line.split(" ")
        parsed.append((kind == "B", int(at), int(cycle), _EDGES[edge],
                       tuple(None if v == "-" else v for v in values)))
    first = (figures[3], figures[4]) if figures[2] else None
    return Values(status, figures[0], figures[1], first,
                  tuple((outputs[2 * k], outputs[2 * k + 1]) for k in range(len(pairs))), tuple(parsed))


__all__ = ["INSIDE", "LIBRARY", "Values", "active", "library_folder", "library_state", "read_values", "use"]
