"""Sweeps: many runs of the engine, compared (``anvil bench``), locally or on a Ray cluster,
with each solved design judged again on a longer differential test against the reference.

Above the engine: sweeps use :class:`engine.run.Runtime`, the engine's one way in, and nothing of
them reaches back into it.
"""
