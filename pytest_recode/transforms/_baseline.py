"""Which problem a transform perturbs: its baseline.

ReCode's syntax and format transforms apply to *partial code* (the prompt plus the first half of the
reference body), so that the model is measured continuing code it was given; docstring and function-name
transforms apply to the prompt itself. Where a body is a single line there is no partial variant, and, as
in ReCode's own files, the whole problem is the baseline.
"""

from __future__ import annotations

from ..problems import Problem, partial_variant

__all__ = ["PARTIAL_CODE_CATEGORIES", "baseline"]

#: Categories whose transforms apply to partial code.
PARTIAL_CODE_CATEGORIES = frozenset({"syntax", "format"})


def baseline(problem: Problem, category: str) -> Problem:
    """The unperturbed problem a transform of ``category`` starts from (see the module docstring)."""
    if category in PARTIAL_CODE_CATEGORIES:
        return partial_variant(problem) or problem
    return problem
