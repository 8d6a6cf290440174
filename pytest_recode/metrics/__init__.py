"""Metrics: pass@k and ReCode's Robust Pass/Drop/Relative, greedy and sampled, per perturbation and category.

Feed :class:`ProblemOutcome` records (built directly, or from flat rows with :func:`group_outcomes`) to
:func:`per_perturbation`, :func:`per_category` or :func:`robustness_scores`; each returns
:class:`RobustnessScores`. Definitions and edge cases are in :mod:`pytest_recode.metrics._scores`.

:class:`CaseOutcome` is the record every judged case travels as (worker to controller, ``results.json``,
reports); :func:`problem_outcomes` turns cases into the records above.
"""

from ._cases import CASE_SOURCES, VERDICT_KINDS, CaseOutcome, equivalence_share, problem_outcomes
from ._estimator import pass_at_k, pass_at_k_of
from ._outcomes import ProblemOutcome, VariantOutcome, group_outcomes
from ._scores import (
    ProblemCounts,
    RobustnessScores,
    greedy_scores,
    nominal_pass_at_k,
    per_category,
    per_perturbation,
    problem_counts,
    robustness_scores,
)

__all__ = [
    "CASE_SOURCES",
    "VERDICT_KINDS",
    "CaseOutcome",
    "equivalence_share",
    "problem_outcomes",
    "ProblemCounts",
    "ProblemOutcome",
    "RobustnessScores",
    "VariantOutcome",
    "greedy_scores",
    "group_outcomes",
    "nominal_pass_at_k",
    "pass_at_k",
    "pass_at_k_of",
    "per_category",
    "per_perturbation",
    "problem_counts",
    "robustness_scores",
]
