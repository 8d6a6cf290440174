"""Every figure the reports show, computed from case records by :mod:`pytest_recode.metrics` alone.

A :class:`Row` is one line of a table: a transform (worst case over its seeds) or a category (worst case
over its transforms and seeds), with ReCode's figures at one k and the counts beside them. The terminal
summary, ``report.json``, ``report.md`` and ``report.html`` all print these rows, so they cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .._errors import InvalidArgument
from ..metrics import (
    CaseOutcome,
    ProblemOutcome,
    RobustnessScores,
    equivalence_share,
    nominal_pass_at_k,
    problem_outcomes,
    robustness_scores,
)
from ._results import RunResults

__all__ = ["Figures", "Row", "figures", "ordered", "rows"]


def ordered(names: Iterable[str], order: Sequence[str]) -> list[str]:
    """``names`` in the order of ``order`` (ReCode's order of categories and transforms), others after,
    alphabetically."""
    rank = {name: i for i, name in enumerate(order)}
    return sorted(set(names), key=lambda n: (rank.get(n, len(rank)), n))


def _orders() -> tuple[Sequence[str], Sequence[str]]:
    from ..transforms import CATEGORIES, TRANSFORM_NAMES

    return CATEGORIES, TRANSFORM_NAMES


@dataclass(frozen=True)
class Row:
    """One row of a table. ``category`` is the transform's category (a category row repeats its name).

    ``problems`` and ``cases``: problems (per baseline) and seeded variants counted; then ReCode's figures
    at ``k`` (``None`` where they cannot be computed); ``equivalence``: the share of judged cases whose
    completions behave the same; ``differ``: judged cases that behave differently; ``broken``: cases whose
    first nominal completion passes and first perturbed one fails.
    """

    name: str
    category: str
    k: int
    problems: int
    cases: int
    pass_at_k: float | None
    robust_pass: float | None
    robust_drop: float | None
    robust_relative: float | None
    equivalence: float | None
    differ: int
    broken: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Row:
        return cls(**data)


def _row(name: str, category: str, k: int, group: Sequence[CaseOutcome], scores: RobustnessScores | None) -> Row:
    return Row(
        name=name,
        category=category,
        k=k,
        problems=len({(c.task_id, c.partial) for c in group}),
        cases=len(group),
        pass_at_k=scores.pass_at_k if scores else None,
        robust_pass=scores.robust_pass if scores else None,
        robust_drop=scores.robust_drop if scores else None,
        robust_relative=scores.robust_relative if scores else None,
        equivalence=equivalence_share(group),
        differ=sum(c.equivalent is False for c in group),
        broken=sum(c.broken for c in group),
    )


def rows(cases: Sequence[CaseOutcome], k: int = 1) -> tuple[list[Row], list[Row]]:
    """The transform rows and the category rows of the seeded cases, in ReCode's order.

    Cases the search drew or replayed are findings, not benchmark variants, and are left out. Where the
    cases disagree on a problem's nominal results (a sampling model seen by several processes) the rows
    keep their counts and the figures are ``None``.
    """
    seeded = [c for c in cases if c.source == "seeded"]
    try:
        records = problem_outcomes(seeded) if seeded else []
    except InvalidArgument:
        records = []

    def scores(**selection: list[str]) -> RobustnessScores | None:
        if not records:
            return None
        try:
            return robustness_scores(records, k=k, **selection)
        except InvalidArgument:  # k above a problem's n, or no variant chosen
            return None

    by_transform: dict[str, list[CaseOutcome]] = defaultdict(list)
    by_category: dict[str, list[CaseOutcome]] = defaultdict(list)
    category_of: dict[str, str] = {}
    for case in seeded:
        by_transform[case.transform].append(case)
        by_category[case.category].append(case)
        category_of.setdefault(case.transform, case.category)
    category_order, transform_order = _orders()
    categories = ordered(by_category, category_order)
    transforms = sorted(ordered(by_transform, transform_order), key=lambda n: categories.index(category_of[n]))
    transform_rows = [_row(name, category_of[name], k, by_transform[name], scores(transforms=[name]))
                      for name in transforms]
    category_rows = [_row(name, name, k, by_category[name], scores(categories=[name])) for name in categories]
    return transform_rows, category_rows


@dataclass(frozen=True)
class Figures:
    """A run's figures at one k: nominal pass@k over every problem (and over the partial-code prompts),
    then one row per category and per transform."""

    k: int
    problems: int
    cases: int
    nominal: float | None
    nominal_partial: float | None
    categories: tuple[Row, ...]
    transforms: tuple[Row, ...]

    def to_json(self) -> dict[str, Any]:
        return {"k": self.k, "problems": self.problems, "cases": self.cases, "nominal": self.nominal,
                "nominal_partial": self.nominal_partial, "categories": [r.to_json() for r in self.categories],
                "transforms": [r.to_json() for r in self.transforms]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figures:
        return cls(k=data["k"], problems=data["problems"], cases=data["cases"], nominal=data["nominal"],
                   nominal_partial=data["nominal_partial"],
                   categories=tuple(Row.from_json(r) for r in data["categories"]),
                   transforms=tuple(Row.from_json(r) for r in data["transforms"]))

    def row(self, name: str) -> Row | None:
        """The category or transform row of that name."""
        return next((r for r in (*self.categories, *self.transforms) if r.name == name), None)


def _nominal(results: RunResults, k: int, partial: bool) -> float | None:
    records = [ProblemOutcome(p.task_id, results_of, (), partial) for p in results.problems
               if (results_of := (p.partial if partial else p.nominal)) is not None]
    if not records:
        return None
    try:
        return nominal_pass_at_k(records, k=k, partial=partial)
    except InvalidArgument:  # k above n
        return None


def figures(results: RunResults, k: int) -> Figures:
    """Every figure of ``results`` at ``k``."""
    transform_rows, category_rows = rows(results.cases, k)
    return Figures(
        k=k,
        problems=len(results.problems),
        cases=sum(c.source == "seeded" for c in results.cases),
        nominal=_nominal(results, k, partial=False),
        nominal_partial=_nominal(results, k, partial=True),
        categories=tuple(category_rows),
        transforms=tuple(transform_rows),
    )
