"""The robustness summary as plain-text lines, from case outcomes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from .._case import CaseOutcome

__all__ = ["summary_lines"]

_HEADER = ("transform", "category", "problems", "cases", "nominal pass", "perturbed pass", "differ", "broken")


def summary_lines(outcomes: Sequence[CaseOutcome]) -> list[str]:
    """A table per transform: cases, pass counts, cases that behave differently, and robustness breaks
    (the nominal completion passes, the perturbed one does not)."""
    if not outcomes:
        return []
    by_transform: dict[tuple[str, str], list[CaseOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_transform[(outcome.category, outcome.transform)].append(outcome)
    rows = []
    for (category, transform), group in sorted(by_transform.items()):
        rows.append((
            transform,
            category,
            str(len({o.task_id for o in group})),
            str(len(group)),
            f"{sum(o.nominal_passed for o in group)}/{len(group)}",
            f"{sum(o.perturbed_passed for o in group)}/{len(group)}",
            str(sum(not o.equivalent for o in group)),
            str(sum(o.nominal_passed and not o.perturbed_passed for o in group)),
        ))
    total = (
        "all",
        "",
        str(len({o.task_id for o in outcomes})),
        str(len(outcomes)),
        f"{sum(o.nominal_passed for o in outcomes)}/{len(outcomes)}",
        f"{sum(o.perturbed_passed for o in outcomes)}/{len(outcomes)}",
        str(sum(not o.equivalent for o in outcomes)),
        str(sum(o.nominal_passed and not o.perturbed_passed for o in outcomes)),
    )
    table = [_HEADER, *rows, total]
    widths = [max(len(row[i]) for row in table) for i in range(len(_HEADER))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:])]
        return "  ".join(cells).rstrip()

    return [line(table[0]), *(line(row) for row in rows), line(total)]
