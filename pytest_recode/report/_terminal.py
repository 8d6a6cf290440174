"""The robustness summary as plain-text lines, from case outcomes (the rows of :mod:`._figures`)."""

from __future__ import annotations

from collections.abc import Sequence

from ..metrics import CaseOutcome
from ._figures import Row, rows

__all__ = ["figure", "summary_lines", "table_lines"]


def figure(value: float | None, digits: int = 2) -> str:
    """A figure as the tables print it: fixed decimals, ``-`` where there is none."""
    return "-" if value is None else f"{value:.{digits}f}"


def _cells(row: Row, first: str, second: str) -> tuple[str, ...]:
    return (first, second, str(row.problems), str(row.cases), figure(row.pass_at_k), figure(row.robust_pass),
            figure(row.robust_drop), figure(row.robust_relative), figure(row.equivalence), str(row.differ),
            str(row.broken))


def table_lines(table: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell: the first two left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:])]
        return "  ".join(cells).rstrip()

    return [line(row) for row in table]


def summary_lines(outcomes: Sequence[CaseOutcome], k: int = 1) -> list[str]:
    """One row per transform, then one per category (worst case over its transforms and seeds).

    Columns: problems and cases counted (ReCode's seeded variants: the search's findings are listed
    apart); ReCode's figures at ``k`` (pass@k of the nominal prompts, Robust Pass, Robust Drop, Robust
    Relative); the share of judged cases whose completions behave the same (``equiv``) and the count that
    behave differently (``differ``); cases where the nominal completion passes and the perturbed one fails
    (``broken``).
    """
    transform_rows, category_rows = rows(outcomes, k)
    if not transform_rows:
        return []
    header = ("transform", "category", "problems", "cases", f"pass@{k}", f"RP@{k}", f"RD@{k}", f"RR@{k}", "equiv",
              "differ", "broken")
    table: list[tuple[str, ...]] = [header]
    table += [_cells(row, row.name, row.category) for row in transform_rows]
    table.append(("category", *[""] * (len(header) - 1)))
    table += [_cells(row, row.name, "") for row in category_rows]
    lines = table_lines(table)
    split = len(transform_rows) + 1
    return [*lines[:split], "", *lines[split:]]
