"""Metrics: pass@k and ReCode's Robust Pass/Drop/Relative, greedy and sampled, per perturbation and category.

Feed :class:`ProblemOutcome` records (built directly, or from flat rows with :func:`group_outcomes`) to
:func:`per_perturbation`, :func:`per_category` or :func:`robustness_scores`; each returns
:class:`RobustnessScores`. Definitions and edge cases are in :mod:`pytest_recode.metrics._scores`.
"""

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
