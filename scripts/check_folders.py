#!/usr/bin/env python3
"""`anvil check` on design folders as a user would run it, against raw Icarus on the same files.

    .venv/bin/python scripts/check_folders.py DIR [--mutants] [--timeout S]

DIR holds one folder per design, as public RTL benchmarks ship them: a testbench (testbench.v,
tb_X.v, X_tb.v...), a spec, maybe data files, and the design in a file named after the module
the testbench instantiates (``adder_8bit.v``). For each folder this runs, from the folder, with
no flag but ``--tb``:

- raw ``iverilog -g2012`` + ``vvp`` on the design and the testbench, its output read with
  Anvil's own result-line rule (the ground truth: what the bench says of the design);
- ``anvil check DESIGN --tb TESTBENCH --json``.

With ``--mutants``, wrong designs too: the design with bit 0 of its first output inverted, and
single operator swaps (``+``/``-``, ``&``/``|``, ``==``/``!=``, ``1'b1``/``1'b0``, ``^``/``&``,
``<<``/``>>``, a dropped ``~``), each judged by raw Icarus first; Anvil must pass none that raw
Icarus fails, and fail none that it passes. Prints the counts and every disagreement.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.designs import FOLDER_TB  # noqa: E402
from oracle.bench import Bench, prepare_top  # noqa: E402
from oracle.mutants import flip_output_bit  # noqa: E402
from oracle.results import Said, read_line  # noqa: E402

OPS = [(r"\+", "-"), (r"&", "|"), (r"==", "!="), (r"1'b1", "1'b0"), (r"\^", "&"), (r"<<", ">>"), (r"~", "")]


def raw(folder: Path, design: str, tb: str, timeout: float) -> str:
    """pass / fail / broken, by what raw Icarus prints, read with the same rule."""
    with tempfile.TemporaryDirectory() as tmp:
        image = str(Path(tmp) / "sim.vvp")
        built = subprocess.run(["iverilog", "-g2012", "-o", image, design, tb], cwd=folder, capture_output=True,
                               text=True)
        if built.returncode != 0:
            return "broken"
        try:
            ran = subprocess.run(["vvp", "-n", image], cwd=folder, capture_output=True, text=True, timeout=timeout,
                                 stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return "fail"
        said = [read_line(line).said for line in ran.stdout.splitlines()]
        return "pass" if Said.PASS in said and Said.FAIL not in said else "fail"


def anvil(folder: Path, design: str, tb: str, timeout: float) -> str:
    run = subprocess.run([sys.executable, "-m", "anvil", "check", design, "--tb", tb, "--json", "--timeout",
                          str(timeout)], cwd=folder, capture_output=True, text=True)
    try:
        return json.loads(run.stdout)["status"]
    except (ValueError, KeyError):
        return "no-json: " + run.stderr.strip()[-200:]


def designs(root: Path):
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        benches = [p for p in folder.iterdir() if FOLDER_TB.match(p.name) and p.suffix in (".v", ".sv")]
        if len(benches) != 1:
            continue
        top = prepare_top(Bench(benches[0]))
        design = next((folder / f"{top}{s}" for s in (".v", ".sv") if top and (folder / f"{top}{s}").is_file()), None)
        if design is not None:
            yield folder, design, benches[0], top


def mutants(text: str, top: str) -> list[tuple[str, str]]:
    out = []
    try:
        out.append(("flip", flip_output_bit(text, reference_module=top, top=top)))
    except Exception:  # noqa: BLE001 - a module the helper cannot wrap: no flip mutant
        pass
    body = re.sub(r"//[^\n]*", "", text)
    for pattern, repl in OPS:
        for m in list(re.finditer(pattern, body))[:2]:
            out.append((f"{pattern}->{repl}@{m.start()}", body[:m.start()] + repl + body[m.end():]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--mutants", action="store_true")
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    start = time.perf_counter()
    correct = {"raw_pass": 0, "anvil_pass": 0, "raw_not_pass": 0}
    wrong = {"judged": 0, "raw_fail": 0, "false_pass": 0, "false_fail": 0}
    for folder, design, tb, top in designs(args.root):
        truth = raw(folder, design.name, tb.name, args.timeout)
        got = anvil(folder, design.name, tb.name, args.timeout)
        if truth == "pass":
            correct["raw_pass"] += 1
            correct["anvil_pass"] += got == "pass"
            if got != "pass":
                print(f"NOT PASSED  {folder.name}: raw Icarus passes, anvil says {got}")
        else:
            correct["raw_not_pass"] += 1
            print(f"(raw {truth})  {folder.name}: anvil says {got}")
            continue
        if not args.mutants:
            continue
        for tag, text in mutants(design.read_text(), top):
            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(shutil.copytree(folder, Path(tmp) / folder.name))
                (copy / design.name).write_text(text)
                truth = raw(copy, design.name, tb.name, args.timeout)
                if truth == "broken":
                    continue
                got = anvil(copy, design.name, tb.name, args.timeout)
            wrong["judged"] += 1
            if truth == "fail":
                wrong["raw_fail"] += 1
                if got == "pass":
                    wrong["false_pass"] += 1
                    print(f"FALSE PASS  {folder.name} {tag}")
            elif got != "pass" and got != "compile_error":
                wrong["false_fail"] += 1
                print(f"FALSE FAIL  {folder.name} {tag}: anvil says {got}")
    print(f"correct designs: raw Icarus passes {correct['raw_pass']}, anvil passes {correct['anvil_pass']} of them; "
          f"{correct['raw_not_pass']} do not pass raw Icarus")
    if args.mutants:
        print(f"mutants: {wrong['judged']} judged, {wrong['raw_fail']} wrong by raw Icarus; anvil passes "
              f"{wrong['false_pass']} wrong ones and fails {wrong['false_fail']} right ones")
    print(f"{time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
