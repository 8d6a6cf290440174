"""The robustness summary as plain-text lines, from case outcomes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from .._errors import InvalidArgument
from ..metrics import CaseOutcome, RobustnessScores, equivalence_share, problem_outcomes, robustness_scores

__all__ = ["summary_lines"]

_HEADER = ("", "category", "problems", "cases", "pass@1", "RP@1", "RD@1", "RR@1", "equiv", "differ", "broken")


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
        _figure(equivalence_share(group)),
        str(sum(o.equivalent is False for o in group)),
        str(sum(o.broken for o in group)),
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

    Columns: problems and cases counted (ReCode's seeded variants: the search's findings are listed
    apart); ReCode's greedy figures (pass@1 of the nominal prompts, Robust Pass, Robust Drop, Robust
    Relative); the share of judged cases whose completions behave the same (``equiv``) and the count that
    behave differently (``differ``); cases where the nominal completion passes and the perturbed one fails
    (``broken``).
    """
    outcomes = [o for o in outcomes if o.source == "seeded"]
    if not outcomes:
        return []
    try:
        records = problem_outcomes(outcomes)
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
    table.append(("category", *[""] * (len(_HEADER) - 1)))
    for category, group in sorted(by_category.items()):
        table.append(_row(category, "", group, scores(categories=[category])))
    lines = _format(table)
    split = len(by_transform) + 1
    return [*lines[:split], "", *lines[split:]]
