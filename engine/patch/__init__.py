"""Simulator-guided patch search: turn a near miss into a pass without the model.

    report = await PatchSearch(oracle, problem, PatchBudget(simulations=1000, seconds=20)).run(code, verdict)

Locate (:mod:`.source`: the assignments in the failing outputs' cone), edit (:mod:`.edits`
templates, :mod:`.fixes` for compile errors), judge (the oracle, with its agreement figures,
ranked by :mod:`.fitness`), search (:mod:`.search`: best-first, single edits then pairs).
Every result is the model's text with the edits applied, and its unified diff.
"""

from .edits import Edit
from .fitness import fitness
from .search import PatchBudget, Patched, PatchReport, PatchSearch

__all__ = ["Edit", "PatchBudget", "PatchReport", "PatchSearch", "Patched", "fitness"]
