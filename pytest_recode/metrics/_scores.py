"""ReCode's robustness metrics over a dataset: pass@k, Robust Pass, Robust Drop and Robust Relative.

For one problem and a chosen set of its perturbed variants (one transform's s seeds, or every variant of a
category), with n completions paired across prompts:

- ``correct`` (c): completions that pass on the nominal prompt;
- ``robust``: completions that pass on **every** chosen variant (the worst case). As in ReCode the nominal
  prompt is not one of the variants, so a completion can count as robust while failing the nominal prompt,
  which is why Robust Drop can be negative;
- ``lost`` (c⁻): completions that pass on the nominal prompt and fail on some variant;
- ``gained`` (c⁺): completions that fail on the nominal prompt and pass on some variant.

Over the problems that have at least one chosen variant (a problem a transform does not apply to is left
out of that transform's row, nominal pass@k included, so every row compares like with like):

- ``pass_at_k`` = mean of est(n, c, k), ``robust_pass`` (RP_s@k) = mean of est(n, robust, k);
- ``robust_drop`` (RD_s@k) = (pass@k - RP) / pass@k, or ``None`` when pass@k = 0 (there is nothing to
  drop from; a report shows it as "n/a");
- ``robust_relative`` (RR_s@k) = mean of est(n, c⁻, k) + est(n, c⁺, k). With k = 1 (greedy included)
  c⁻ + c⁺ <= n keeps it in [0, 1]; for k > 1 it is a sum of two probabilities and can exceed 1 (n = k = 2,
  one completion lost and one gained gives 2), exactly as ReCode defines it.

Sums are exact fractions, rounded to float once per figure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .._errors import InvalidArgument
from ._estimator import check_k, estimate
from ._outcomes import ProblemOutcome, VariantOutcome, check_outcomes

__all__ = [
    "ProblemCounts",
    "RobustnessScores",
    "greedy_scores",
    "nominal_pass_at_k",
    "per_category",
    "per_perturbation",
    "problem_counts",
    "robustness_scores",
]


@dataclass(frozen=True)
class ProblemCounts:
    """One problem's counts over a chosen set of its variants (see the module docstring)."""

    task_id: str
    n: int
    correct: int
    robust: int
    lost: int
    gained: int
    variants: int


@dataclass(frozen=True)
class RobustnessScores:
    """The metrics of one row of a table: a perturbation, a category, or any chosen set of variants."""

    name: str
    k: int
    problems: int  #: problems counted (those with at least one chosen variant)
    variants: int  #: perturbed prompts counted, over all those problems
    pass_at_k: float
    robust_pass: float
    robust_drop: float | None  #: None when pass_at_k is 0
    robust_relative: float

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _selection(name: str, values: Iterable[str] | None) -> frozenset[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        raise InvalidArgument(f"{name}={values!r} is a string; did you mean {name}=[{values!r}]?")
    if not isinstance(values, Iterable):
        raise InvalidArgument(f"{name}={values!r} must be a list of names.")
    return frozenset(values)


def _check_seeds(seeds: int | None) -> int | None:
    if seeds is not None and (isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1):
        raise InvalidArgument(f"seeds={seeds!r} must be None (every seed) or an int >= 1 (seeds 0..s-1).")
    return seeds


def _chosen(
    outcome: ProblemOutcome,
    transforms: frozenset[str] | None,
    categories: frozenset[str] | None,
    seeds: int | None,
) -> list[VariantOutcome]:
    return [
        v for v in outcome.variants
        if (transforms is None or v.transform in transforms)
        and (categories is None or v.category in categories)
        and (seeds is None or v.seed < seeds)
    ]


def _counts(outcome: ProblemOutcome, chosen: Sequence[VariantOutcome]) -> ProblemCounts:
    columns = [tuple(v.results[i] for v in chosen) for i in range(outcome.n)]
    nominal = outcome.nominal
    return ProblemCounts(
        task_id=outcome.task_id,
        n=outcome.n,
        correct=sum(nominal),
        robust=sum(all(column) for column in columns),
        lost=sum(nominal[i] and not all(column) for i, column in enumerate(columns)),
        gained=sum(not nominal[i] and any(column) for i, column in enumerate(columns)),
        variants=len(chosen),
    )


def problem_counts(
    outcome: ProblemOutcome,
    *,
    transforms: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    seeds: int | None = None,
) -> ProblemCounts | None:
    """The counts of one problem over the chosen variants, or ``None`` when none is chosen."""
    chosen = _chosen(outcome, _selection("transforms", transforms), _selection("categories", categories),
                     _check_seeds(seeds))
    return _counts(outcome, chosen) if chosen else None


def _collect(
    outcomes: Iterable[ProblemOutcome],
    transforms: frozenset[str] | None,
    categories: frozenset[str] | None,
    seeds: int | None,
) -> list[tuple[ProblemOutcome, list[VariantOutcome]]]:
    """Each problem that has a chosen variant, with its chosen variants."""
    records = check_outcomes(outcomes)
    seeds = _check_seeds(seeds)
    pairs = []
    for outcome in records:
        chosen = _chosen(outcome, transforms, categories, seeds)
        if chosen:
            pairs.append((outcome, chosen))
    if not pairs:
        present = sorted({v.transform for o in records for v in o.variants})
        raise InvalidArgument(
            f"no problem has a variant of {_describe(transforms, categories)}"
            f"{'' if seeds is None else f' with a seed below {seeds}'}; the outcomes have variants of {present}."
        )
    return pairs


def _describe(transforms: frozenset[str] | None, categories: frozenset[str] | None) -> str:
    parts = []
    if categories is not None:
        parts.append("/".join(sorted(categories)))
    if transforms is not None:
        parts.append("/".join(sorted(transforms)))
    return " ".join(parts) or "all"


def _scores(
    name: str, k: int, counts: Sequence[ProblemCounts], terms: Sequence[tuple[Fraction, ...]]
) -> RobustnessScores:
    problems = len(counts)
    nominal = sum((t[0] for t in terms), Fraction(0)) / problems
    robust = sum((t[1] for t in terms), Fraction(0)) / problems
    relative = sum((t[2] for t in terms), Fraction(0)) / problems
    return RobustnessScores(
        name=name,
        k=k,
        problems=problems,
        variants=sum(c.variants for c in counts),
        pass_at_k=float(nominal),
        robust_pass=float(robust),
        robust_drop=None if nominal == 0 else float((nominal - robust) / nominal),
        robust_relative=float(relative),
    )


def robustness_scores(
    outcomes: Iterable[ProblemOutcome],
    *,
    k: int = 1,
    transforms: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    seeds: int | None = None,
    name: str | None = None,
) -> RobustnessScores:
    """pass@k, RP_s@k, RD_s@k and RR_s@k over the variants chosen by transform, category and seed.

    ``seeds=s`` keeps seeds 0..s-1 (ReCode's s); ``None`` keeps every seed given. Problems without a
    chosen variant are left out of every figure. Raises :class:`~pytest_recode.InvalidArgument` when no
    problem has a chosen variant, or when ``k`` exceeds a counted problem's ``n``.
    """
    k = check_k(k)
    chosen_transforms = _selection("transforms", transforms)
    chosen_categories = _selection("categories", categories)
    pairs = _collect(outcomes, chosen_transforms, chosen_categories, seeds)
    counts = [_counts(o, chosen) for o, chosen in pairs]
    terms = []
    for c in counts:
        if k > c.n:
            raise InvalidArgument(
                f"k={k} exceeds the {c.n} completions of {c.task_id}: generate n >= {k} samples or lower k."
            )
        terms.append((estimate(c.n, c.correct, k), estimate(c.n, c.robust, k),
                      estimate(c.n, c.lost, k) + estimate(c.n, c.gained, k)))
    return _scores(name if name is not None else _describe(chosen_transforms, chosen_categories), k, counts, terms)


def greedy_scores(
    outcomes: Iterable[ProblemOutcome],
    *,
    transforms: Iterable[str] | None = None,
    categories: Iterable[str] | None = None,
    seeds: int | None = None,
    name: str | None = None,
) -> RobustnessScores:
    """The greedy (n = 1) figures as shares of problems, ReCode's main setting.

    pass = share of problems whose nominal completion passes; RP = share where every chosen variant
    passes; RR = share where the worst or the best variant differs from the nominal outcome. Equal to
    :func:`robustness_scores` with ``k=1`` on the same data; every counted problem must have ``n = 1``.
    """
    chosen_transforms = _selection("transforms", transforms)
    chosen_categories = _selection("categories", categories)
    pairs = _collect(outcomes, chosen_transforms, chosen_categories, seeds)
    terms = []
    for outcome, chosen in pairs:
        if outcome.n != 1:
            raise InvalidArgument(
                f"{outcome.task_id} has {outcome.n} completions per prompt; greedy figures need exactly 1 "
                "(use robustness_scores(..., k=...) for sampled completions)."
            )
        passed = outcome.nominal[0]
        worst = all(v.results[0] for v in chosen)
        best = any(v.results[0] for v in chosen)
        terms.append((Fraction(passed), Fraction(worst), Fraction(worst != passed or best != passed)))
    counts = [_counts(o, chosen) for o, chosen in pairs]
    return _scores(name if name is not None else _describe(chosen_transforms, chosen_categories), 1, counts, terms)


def _names(outcomes: Sequence[ProblemOutcome], attribute: str) -> list[str]:
    return list(dict.fromkeys(getattr(v, attribute) for o in outcomes for v in o.variants))


def per_perturbation(
    outcomes: Iterable[ProblemOutcome], *, k: int = 1, seeds: int | None = None
) -> dict[str, RobustnessScores]:
    """One row per transform (worst case over its seeds), in the order transforms first appear."""
    records = check_outcomes(outcomes)
    return {
        name: robustness_scores(records, k=k, transforms=[name], seeds=seeds, name=name)
        for name in _names(records, "transform")
    }


def per_category(
    outcomes: Iterable[ProblemOutcome], *, k: int = 1, seeds: int | None = None
) -> dict[str, RobustnessScores]:
    """One row per category: the worst case over every transform and seed of the category.

    For each problem, a completion counts as robust only if it passes on every variant of every transform
    of the category, so a problem's category figure is at most each of its transforms' figures. (Averaged
    over a dataset that holds when every transform of the category applies to the same problems; a
    problem only some transforms apply to is counted in the category row and only in their rows.)
    """
    records = check_outcomes(outcomes)
    return {
        name: robustness_scores(records, k=k, categories=[name], seeds=seeds, name=name)
        for name in _names(records, "category")
    }


def nominal_pass_at_k(outcomes: Iterable[ProblemOutcome], *, k: int = 1, partial: bool = False) -> float:
    """pass@k of the nominal prompts of every record with the given ``partial`` flag, variants or not."""
    k = check_k(k)
    records = [o for o in check_outcomes(outcomes) if o.partial == partial]
    if not records:
        raise InvalidArgument(f"no outcome has partial={partial}.")
    total = Fraction(0)
    for outcome in records:
        if k > outcome.n:
            raise InvalidArgument(
                f"k={k} exceeds the {outcome.n} completions of {outcome.task_id}: generate n >= {k} samples "
                "or lower k."
            )
        total += estimate(outcome.n, sum(outcome.nominal), k)
    return float(total / len(records))
