"""Anvil: RTL from a spec, judged by a simulator. This package holds the command-line adapter."""

__version__ = "0.1.0"
