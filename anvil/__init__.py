"""Anvil: RTL from a spec, judged by a simulator. This package holds the command-line adapter."""

from engine.version import __version__

__all__ = ["__version__"]
