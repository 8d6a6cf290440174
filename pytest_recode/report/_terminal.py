"""The robustness summary as plain-text lines, from case outcomes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from .._case import CaseOutcome
from .._errors import InvalidArgument
from ..metrics import ProblemOutcome, RobustnessScores, group_outcomes, robustness_scores

__all__ = ["metric_outcomes", "summary_lines"]

_HEADER = ("", "category", "problems", "cases", "pass@1", "RP@1", "RD@1", "RR@1", "differ", "broken")


def metric_outcomes(outcomes: Sequence[CaseOutcome]) -> list[ProblemOutcome]:
    """The outcomes as metric records: one per problem and baseline, each variant counted once.

    Several tests can perturb the same problem the same way; the first outcome of each (problem,
    transform, seed) is kept, so that the figures weigh every variant once.
    """
    seen: set[tuple[str, bool, str, int | None]] = set()
    nominal: dict[tuple[str, bool], bool] = {}
    rows = []
    for o in outcomes:
        key = (o.task_id, o.partial, o.transform, o.seed)
        if o.seed is not None and key in seen:
            continue
        seen.add(key)
        rows.append({
            "task_id": o.task_id, "partial": o.partial, "transform": o.transform, "category": o.category,
            "seed": o.seed, "nominal": nominal.setdefault((o.task_id, o.partial), o.nominal_passed),
            "perturbed": o.perturbed_passed,
        })
    return group_outcomes(rows)


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _row(name: str, category: str, group: Sequence[CaseOutcome], scores: RobustnessScores | None) -> tuple[str, ...]:
    return (
        name,
        category,
        str(len({(o.task_id, o.partial) for o in group})),
        str(len(group)),
        _figure(scores.pass_at_k if scores else None),
        _figure(scores.robust_pass if scores else None),
        _figure(scores.robust_drop if scores else None),
        _figure(scores.robust_relative if scores else None),
        str(sum(not o.equivalent for o in group)),
        str(sum(o.nominal_passed and not o.perturbed_passed for o in group)),
    )


def _format(table: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:])]
        return "  ".join(cells).rstrip()

    return [line(row) for row in table]


def summary_lines(outcomes: Sequence[CaseOutcome]) -> list[str]:
    """One row per transform, then one per category (worst case over its transforms and seeds).

    Columns: problems and cases counted; ReCode's greedy figures (pass@1 of the nominal prompts, Robust
    Pass, Robust Drop, Robust Relative); cases whose completions behave differently (``differ``); and
    cases where the nominal completion passes and the perturbed one fails (``broken``).
    """
    if not outcomes:
        return []
    try:
        records = metric_outcomes(outcomes)
    except InvalidArgument:
        records = []  # inconsistent nominal results (a sampling model): counts only, no ReCode figures

    def scores(**selection: list[str]) -> RobustnessScores | None:
        if not records:
            return None
        try:
            return robustness_scores(records, k=1, **selection)
        except InvalidArgument:
            return None

    by_transform: dict[tuple[str, str], list[CaseOutcome]] = defaultdict(list)
    by_category: dict[str, list[CaseOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_transform[(outcome.category, outcome.transform)].append(outcome)
        by_category[outcome.category].append(outcome)
    table: list[tuple[str, ...]] = [("transform", *_HEADER[1:])]
    for (category, transform), group in sorted(by_transform.items()):
        table.append(_row(transform, category, group, scores(transforms=[transform])))
    table.append(("category", "", "", "", "", "", "", "", "", ""))
    for category, group in sorted(by_category.items()):
        table.append(_row(category, "", group, scores(categories=[category])))
    lines = _format(table)
    split = len(by_transform) + 1
    return [*lines[:split], "", *lines[split:]]
