"""The waveform reader in C (oracle/vcdread.c) gives exactly the Python reader's results: on real
waveforms of every shared problem (the reference and a mutant, run by Icarus), on those
waveforms damaged at random, and on hand-made ends; and it is the one that read them."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from oracle import vcd, vcdfast
from oracle.mutants import flip_output_bit
from tests.conftest import KNOWN_BROKEN, dataset_problems, problem_files

#: (limit, window, until) as the oracle and the patch search read waveforms, and extremes
READINGS = ((8, 8, None), (8, 0, None), (1, 0, None), (3, 2, None), (0, 0, None), (100_000, 8, None))


@pytest.fixture(scope="module")
def library():
    folder = vcdfast.library_folder()
    assert folder is not None, "the C reader was not built (is gcc installed?)"
    yield folder / vcdfast.LIBRARY
    vcdfast.use(None)


class Counted:
    """read_values, counting the files the library read (not left to Python)."""

    def __init__(self, monkeypatch):
        self.read = 0
        self.real = vcdfast.read_values
        monkeypatch.setattr(vcdfast, "read_values", self)

    def __call__(self, *args, **kwargs):
        got = self.real(*args, **kwargs)
        self.read += got is not None
        return got


def both(path: Path, library: Path) -> tuple[object, object]:
    """Every reading of ``path`` in Python and with the library."""
    results = []
    for lib in (None, library):
        vcdfast.use(lib)
        out = []
        for limit, window, until in READINGS:
            for whole in (True, False):
                try:
                    out.append(vcd.read_run(path, limit, window, until, whole=whole))
                except (ValueError, IndexError, KeyError) as exc:  # the Python reader fails: so must this
                    out.append((type(exc).__name__, str(exc)))
        results.append(out)
    return results[0], results[1]


def waveform(folder: Path, name: str, design: str) -> Path:
    """The shared problem's testbench run on ``design`` by Icarus: its wave.vcd."""
    _, tb, ref = problem_files(name)
    folder.mkdir()
    (folder / "top.sv").write_text(design)
    subprocess.run(["iverilog", "-g2012", "-o", "sim.vvp", str(tb), str(ref), "top.sv"], cwd=folder, check=True,
                   capture_output=True, timeout=60)
    subprocess.run(["vvp", "-n", "sim.vvp"], cwd=folder, capture_output=True, timeout=60)
    return folder / "wave.vcd"


@pytest.fixture(scope="module")
def waveforms(tmp_path_factory):
    if shutil.which("iverilog") is None:
        pytest.fail("Icarus Verilog is not installed")
    root = tmp_path_factory.mktemp("waves")
    made = []
    for name in dataset_problems():
        if name in KNOWN_BROKEN:
            continue
        ref = problem_files(name)[2].read_text()
        made.append(waveform(root / f"{name}-ref", name, ref.replace("RefModule", "TopModule")))
        made.append(waveform(root / f"{name}-mutant", name, flip_output_bit(ref)))
    assert len(made) >= 100
    return [p for p in made if p.exists()]


@pytest.mark.slow  # every shared problem run twice
def test_the_same_results_on_every_shared_problems_waveforms(dataset, library, waveforms, monkeypatch):
    counted = Counted(monkeypatch)
    differing = [p.parent.name for p in waveforms if (lambda a, b: a != b)(*both(p, library))]
    assert differing == []
    # the library read them (once per reading with it), not Python after it was unsure
    assert counted.read >= 0.95 * len(waveforms) * 2 * len(READINGS) - 2 * len(waveforms)


DAMAGE = (b"\r", b"\r\n", b"\n", b" ", b"X", b"Z", b"b", b"B", b"r1.5 ", b"#", b"#12_3", b"1", b"0", b"x", b"z",
          b"\xff", b"$comment", b"b1", b"bxz ", b"#-5", b"\t", b"\x00", b"b10X1z", b"#+7")


def damaged(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(out)) if out else 0
        how = rng.random()
        if how < 0.3:
            out[at:at] = rng.choice(DAMAGE)
        elif how < 0.5:
            del out[at:at + rng.randint(1, 5)]
        elif how < 0.6:
            del out[at:]
        else:
            lines = bytes(out).split(b"\n")
            k = rng.randrange(len(lines))
            if how < 0.8:
                lines.insert(rng.randrange(len(lines)), lines[k])
            else:
                lines[k] = lines[k].upper() if rng.random() < 0.5 else lines[k][:-1]
            out = bytearray(b"\n".join(lines))
    return bytes(out)


@pytest.mark.slow
def test_the_same_results_on_damaged_waveforms(dataset, library, waveforms, tmp_path, monkeypatch):
    counted = Counted(monkeypatch)
    rng = random.Random(7)
    path = tmp_path / "wave.vcd"
    differing = []
    for k in range(160):
        path.write_bytes(damaged(waveforms[k % len(waveforms)].read_bytes(), rng))
        a, b = both(path, library)
        if a != b:
            shutil.copy(path, tmp_path / f"differing{k}.vcd")
            differing.append(k)
    assert differing == []
    assert counted.read > 400  # most damage still reads in C: damage it reads, not only damage it refuses


HEADER = ("$timescale 1ps $end\n$scope module tb $end\n$var reg 1 ! clk $end\n$var reg 1 # reset $end\n"
          "$var wire 4 $ q_ref $end\n$var wire 4 % q_dut $end\n$upscope $end\n$enddefinitions $end\n")
BODY = "#0\n$dumpvars\nb1 %\nb1 $\n0#\n0!\n$end\n#5\n1!\n#10\n0!\n1#\n#15\n1!\nb0 %\n#20\n0!\n#25\n1!\nbX1 %\n#30\n0!\n"


@pytest.mark.parametrize("text", [
    HEADER + BODY,
    HEADER + BODY.rstrip("\n"),  # no final line end
    HEADER + BODY[:-7],  # cut inside a timestamp's changes
    (HEADER + BODY).replace("\n", "\r\n"),  # CR-LF line ends: read in Python
    HEADER + BODY.replace("b0 %", "B0 %").replace("0!", "Z!", 1),  # upper-case heads and values
    HEADER + BODY.replace("#20", "$comment\n 1!\n$end\n#20"),  # a comment whose line starts like a change
    HEADER + BODY.replace("1#", "1 #"),  # a space in a scalar change: read in Python
    HEADER + BODY.replace("b1 $", "1$"),  # a scalar for a vector: read in Python
    HEADER + BODY.replace("b0 %", "r0.5 %"),  # a real: read in Python
    HEADER + BODY.replace("#15", "#0015"),  # leading zeros
    HEADER + BODY.replace("#15", "#1_5"),  # Python's int() reads it, C is unsure
    HEADER + BODY.replace("#15", "#x"),  # the Python reader fails: so must the reading with the library
    HEADER,  # no values
])
def test_the_same_results_on_hand_made_ends(library, tmp_path, text):
    path = tmp_path / "wave.vcd"
    path.write_bytes(text.encode())
    a, b = both(path, library)
    assert a == b


def test_a_waveform_as_icarus_writes_it_is_read_by_the_library(library, tmp_path, monkeypatch):
    counted = Counted(monkeypatch)
    path = tmp_path / "wave.vcd"
    path.write_text(HEADER + BODY)
    vcdfast.use(library)
    found, trace, agree = vcd.read_run(path, 8, 3, whole=True)
    assert counted.read == 1
    assert [m.time for m in found] == [20, 25, 30] and [r.time for r in trace] == [10, 15, 20]
    assert agree is not None and (agree.outputs["q"].samples, agree.outputs["q"].bits) == (3, 5)


def test_the_library_is_built_once_and_can_be_switched_off(library, monkeypatch):
    assert vcdfast.library_folder() == library.parent  # the same build, not a second one
    monkeypatch.setenv("ANVIL_FAST_VCD", "0")
    assert vcdfast.library_folder() is None and vcdfast.library_state()[1] == "ANVIL_FAST_VCD=0"


def test_a_reading_past_its_deadline_stops_as_the_python_readers_does(library, tmp_path, monkeypatch):
    import time

    counted = Counted(monkeypatch)
    path = tmp_path / "wave.vcd"
    path.write_text(HEADER + BODY)
    results = []
    for lib in (None, library):
        vcdfast.use(lib)
        results.append(vcd.read_run(path, 8, 3, time.monotonic() - 1, whole=True))
    assert results[0] == results[1] == ([], (), None)  # cut before the first block: no figures
    assert counted.read == 1
