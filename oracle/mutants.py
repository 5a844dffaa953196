"""Mechanical mutants of a reference design, for checking the oracle itself.

``flip_output_bit`` wraps a renamed copy of the reference in a module that inverts bit 0 of its
first output: a wrong design whose failing samples are known exactly (every sample where that
reference bit is 0 or 1), on any problem, without writing a mutant by hand.
"""

from __future__ import annotations

from .bench import rename_module
from .screen import SourceText, parse


def ports_with_widths(text: str, module: str) -> list[tuple[str, str, int]]:
    """(name, "input"/"output"/"inout", bit width) for each port of ``module`` in ``text``."""
    import pyslang

    _, trees = parse([SourceText("reference.sv", text)])
    compilation = pyslang.ast.Compilation()
    for tree in trees:
        compilation.addSyntaxTree(tree)
    compilation.getAllDiagnostics()
    for inst in compilation.getRoot().topInstances:
        if inst.name == module:
            out = []
            for port in inst.body.portList:
                direction = str(port.direction).rsplit(".", 1)[-1].lower()
                out.append((port.name, {"in": "input", "out": "output"}.get(direction, direction),
                            port.type.bitWidth))
            return out
    raise ValueError(f"module {module} not found")


def flip_output_bit(reference: str, *, reference_module: str = "RefModule", top: str = "TopModule") -> str:
    ports = ports_with_widths(reference, reference_module)
    inner = f"{top}__inner"
    decls = ", ".join(f"{d} [{w - 1}:0] {n}" for n, d, w in ports)
    body = [f"  wire [{w - 1}:0] {n}__i;" for n, d, w in ports if d == "output"]
    conns = ", ".join(f".{n}({n}__i)" if d == "output" else f".{n}({n})" for n, d, w in ports)
    body.append(f"  {inner} u ({conns});")
    first = True
    for n, d, w in ports:
        if d == "output":
            body.append(f"  assign {n} = {n}__i ^ {w}'d{1 if first else 0};")
            first = False
    return (rename_module(reference, reference_module, inner)
            + f"\nmodule {top} ({decls});\n" + "\n".join(body) + "\nendmodule\n")
