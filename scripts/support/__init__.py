"""Helpers shared by the scripts and the tests (the tests import them from here, never the other way)."""
