"""Recombination: each output from the candidate that gets it right.

Failing candidates are often wrong in different places: one gets ``sum`` right and ``carry``
wrong, another the reverse. The oracle's agreement figures say, per output, on how many samples
each candidate was wrong. A recombination keeps every used candidate whole (its modules renamed
apart) and writes a top module with the problem's ports that instantiates them side by side,
each output driven by the instance whose candidate was wrong on it least; the other instances'
copies of that output go to unused nets. Each instance sees the same inputs and keeps its own
state, so an output of the composite behaves exactly as it did in its candidate: the plan
predicts the composite's per-output agreement, and the oracle judges it like any candidate.

Only outputs are recombined, not always-blocks: a block shares state with the others of its
candidate, which a side-by-side composite keeps intact and a block transplant would not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from oracle.syntax import Port
from oracle.verdict import Agreement

from ..difftb import vector_range
from ..rename import rename_apart

_NETTYPE = re.compile(r"`default_nettype\b")


@dataclass(frozen=True)
class Contender:
    """A failing candidate that may give outputs: its id, code and per-output agreement."""

    id: int
    code: str
    agreement: Agreement


@dataclass(frozen=True)
class Plan:
    """Which candidate drives each output. ``main`` drives the most outputs (ties: the better
    ranked); the composite is shown to the user as a diff against it."""

    sources: dict[str, int]  # output -> candidate id
    main: int
    #: per output, the samples the chosen candidate was wrong on
    wrong: dict[str, int]

    @property
    def used(self) -> list[int]:
        """The candidates used, ``main`` first, then in the order of their first output."""
        out = [self.main]
        for cid in self.sources.values():
            if cid not in out:
                out.append(cid)
        return out

    def describe(self) -> tuple[str, ...]:
        """One line per output taken from a candidate other than ``main`` (the edits shown)."""
        return tuple(f"{name} from candidate {cid} (wrong on {self.wrong[name]} samples there)"
                     for name, cid in self.sources.items() if cid != self.main)


def plan(contenders: Sequence[Contender], outputs: Sequence[str]) -> Plan | None:
    """The composite worth judging, if any: every output from the contender wrong on it least
    (fewest samples, then fewest bits, then the better ranked, i.e. earlier in ``contenders``),
    preferring a contender already used when it does as well. None unless it uses two contenders
    at least and is predicted wrong on fewer (output, sample) pairs than each contender alone."""
    if len(contenders) < 2 or not outputs:
        return None
    if any(set(outputs) - set(c.agreement.outputs) for c in contenders):
        return None  # an output the dump did not compare: nothing to go on

    def cost(c: Contender, name: str) -> tuple[int, int]:
        o = c.agreement.outputs[name]
        return o.samples, o.bits

    sources: dict[str, int] = {}
    order = {c.id: i for i, c in enumerate(contenders)}
    for name in outputs:
        best = min(contenders, key=lambda c: (*cost(c, name), order[c.id]))
        sources[name] = best.id
    # fewer instances: move an output to a contender already used for more outputs when it does as well
    by_id = {c.id: c for c in contenders}
    for name in outputs:
        here = cost(by_id[sources[name]], name)
        counts = {cid: list(sources.values()).count(cid) for cid in set(sources.values())}
        for cid in sorted(counts, key=lambda k: (-counts[k], order[k])):
            if cost(by_id[cid], name) <= here:
                sources[name] = cid
                break
    used = set(sources.values())
    if len(used) < 2:
        return None
    wrong = {name: by_id[sources[name]].agreement.outputs[name].samples for name in outputs}
    total = sum(wrong.values())
    for c in contenders:
        if sum(c.agreement.outputs[name].samples for name in outputs) <= total:
            return None  # no better than a candidate alone
    counts = {cid: list(sources.values()).count(cid) for cid in used}
    main = min(used, key=lambda k: (-counts[k], order[k]))
    return Plan(sources, main, wrong)


def compose(plan: Plan, codes: Mapping[int, str], ports: Sequence[Port], top: str) -> str | None:
    """The composite's text: every used candidate renamed apart, then a ``top`` with ``ports``
    instantiating each and driving every output from its planned instance. None when the
    interface has an inout, or a used candidate does not declare ``top``."""
    if any(p.direction not in ("input", "output") for p in ports):
        return None
    parts: list[str] = []
    instances: list[str] = []
    nettype = any(_NETTYPE.search(codes[cid]) for cid in plan.used)
    unused: list[str] = []
    for cid in plan.used:
        suffix = f"__c{cid}"
        text, renames = rename_apart(codes[cid], suffix)
        if top not in renames:
            return None
        if nettype:
            text = text.rstrip() + "\n`default_nettype wire\n"
        parts.append(f"// candidate {cid}, its modules renamed with the suffix {suffix}\n{text.strip()}\n")
        connections = []
        for p in ports:
            if p.direction == "input":
                net = p.name
            elif plan.sources.get(p.name) == cid:
                net = p.name
            else:
                net = f"c{cid}_{p.name}_unused"
                unused.append(f"  wire {vector_range(p.width)}{net};")
            connections.append(f".{p.name}({net})")
        instances.append(f"  {renames[top]} c{cid} ({', '.join(connections)});")
    header = ",\n".join(f"  {p.direction} {vector_range(p.width)}{p.name}" for p in ports)
    taken = ", ".join(f"{name} from candidate {cid}" for name, cid in plan.sources.items())
    wrapper = (f"// Anvil recombination: {taken}\n"
               f"module {top} (\n{header}\n);\n" + "\n".join(unused) + ("\n" if unused else "")
               + "\n".join(instances) + "\nendmodule\n")
    return "\n".join(parts) + "\n" + wrapper


__all__ = ["Contender", "Plan", "compose", "plan"]
