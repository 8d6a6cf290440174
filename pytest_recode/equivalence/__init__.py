"""Deciding whether two completions behave the same: what they compute on many inputs.

Each problem gets an input set: the calls its own tests make (recorded against the canonical solution in
the sandbox) and generated ones like them, kept where the canonical solution handles them. Both completions
are called on every input, in the sandbox, each program once with all its inputs; their outcomes (values,
arguments as the call left them, exceptions, timeouts) are compared here, in the parent. See
:class:`EquivalenceJudge`, :func:`compare` and :class:`Verdict`.

``compare_test_runs`` is the older, coarser check (same status against the problem's own tests), kept for
comparison (``bench/equivalence.py``).
"""

from __future__ import annotations

from ._api import assert_equivalent, compare
from ._inputs import DEFAULT_INPUTS, InputSet
from ._judge import EquivalenceJudge, Pair
from ._outcomes import OUTCOME_KINDS, Outcome, Tolerance
from ._runs import RunComparison, compare_test_runs, describe_run
from ._verdict import KINDS, Verdict

__all__ = [
    "DEFAULT_INPUTS",
    "KINDS",
    "OUTCOME_KINDS",
    "EquivalenceJudge",
    "InputSet",
    "Outcome",
    "Pair",
    "RunComparison",
    "Tolerance",
    "Verdict",
    "assert_equivalent",
    "compare",
    "compare_test_runs",
    "describe_run",
]
