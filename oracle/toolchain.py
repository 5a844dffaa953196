"""The value at the simulator seam: a simulator's installation, whatever the simulator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Toolchain:
    """A simulator's installation as found, in terms every part of the oracle understands: its
    name in the registry, its version, where its programs are, the folders a sandbox must show, and
    facts only that simulator reads (``options``). The runner receives it as JSON."""

    simulator: str
    version: str
    programs: tuple[tuple[str, str], ...] = ()  # (role, path)
    folders: tuple[str, ...] = ()  # shown read-only inside the sandbox
    options: tuple[tuple[str, str], ...] = ()

    def program(self, role: str) -> str:
        return dict(self.programs)[role]

    def option(self, key: str, default: str = "") -> str:
        return dict(self.options).get(key, default)

    def to_wire(self) -> dict[str, Any]:
        return {"simulator": self.simulator, "version": self.version, "programs": [list(p) for p in self.programs],
                "folders": list(self.folders), "options": [list(o) for o in self.options]}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> Toolchain:
        return cls(str(data["simulator"]), str(data["version"]), tuple((str(a), str(b)) for a, b in data["programs"]),
                   tuple(str(f) for f in data["folders"]), tuple((str(a), str(b)) for a, b in data["options"]))
