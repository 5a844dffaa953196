"""Mechanical mutants of a reference design, for checking the oracle itself.

``flip_output_bit`` wraps a renamed copy of the reference in a module that inverts bit 0 of its
first output: a wrong design whose failing samples are known exactly (every sample where that
reference bit is 0 or 1), on any problem, without writing a mutant by hand. ``invert_outputs``
inverts every output bit: the oracle runs it on each bench with a reference, and a bench that
passes it compares nothing (:class:`oracle.core.BenchReport`).
"""

from __future__ import annotations

from .bench import DEFAULT_REFERENCE, DEFAULT_TOP, rename_module
from .syntax import SourceText, module_interface


def flip_output_bit(reference: str, *, reference_module: str = DEFAULT_REFERENCE, top: str = DEFAULT_TOP) -> str:
    return _wrapped(reference, reference_module, top, every=False)


def invert_outputs(reference: str, *, reference_module: str = DEFAULT_REFERENCE, top: str = DEFAULT_TOP) -> str:
    """The reference with every bit of every output inverted: a design no bench that compares an
    output at a sample where the reference's value is known can pass."""
    return _wrapped(reference, reference_module, top, every=True)


def _wrapped(reference: str, reference_module: str, top: str, *, every: bool) -> str:
    interface = module_interface([SourceText("reference.sv", reference)], reference_module)
    if interface is None:
        raise ValueError(f"module {reference_module} not found")
    ports = [(p.name, p.direction, p.width) for p in interface]
    inner = f"{top}__inner"
    decls = ", ".join(f"{d} [{w - 1}:0] {n}" for n, d, w in ports)
    body = [f"  wire [{w - 1}:0] {n}__i;" for n, d, w in ports if d == "output"]
    conns = ", ".join(f".{n}({n}__i)" if d == "output" else f".{n}({n})" for n, d, w in ports)
    body.append(f"  {inner} u ({conns});")
    first = True
    for n, d, w in ports:
        if d == "output":
            body.append(f"  assign {n} = ~{n}__i;" if every else f"  assign {n} = {n}__i ^ {w}'d{1 if first else 0};")
            first = False
    return (rename_module(reference, reference_module, inner)
            + f"\nmodule {top} ({decls});\n" + "\n".join(body) + "\nendmodule\n")
