"""Anvil's language server (pygls 2.x): `anvil serve` runs it over stdio."""
