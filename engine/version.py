"""Anvil's version, for both adapters (the command line and the language server) and the ledger."""

__version__ = "0.1.0"
