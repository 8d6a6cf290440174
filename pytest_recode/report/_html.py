"""``report.html``: one self-contained page (no script, no external file), rendered with Jinja2.

The charts are inline SVG whose geometry :mod:`._chart` computes: the page opens offline, in any browser
or CI artifact viewer, prints, and renders the same bytes for the same results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._chart import BarChart, Series, bar_chart
from ._figures import Figures, Row
from ._markdown import FIGURE_DIGITS, headline
from ._terminal import figure

if TYPE_CHECKING:
    from ._report import Report

__all__ = ["NOMINAL", "ROBUST", "render_html"]

#: The two series of every chart (colours from a palette that stays apart for colour-blind readers).
NOMINAL = Series("nominal pass@k", "#4c78a8")
ROBUST = Series("Robust Pass@k", "#f58518")


def _chart(title: str, rows: tuple[Row, ...], k: int) -> BarChart:
    series = [(Series(NOMINAL.name.replace("@k", f"@{k}"), NOMINAL.colour), [r.pass_at_k for r in rows]),
              (Series(ROBUST.name.replace("@k", f"@{k}"), ROBUST.colour), [r.robust_pass for r in rows])]
    return bar_chart(title, [r.name for r in rows], series)


def _section(figures: Figures) -> dict[str, Any]:
    k = figures.k
    return {
        "figures": figures,
        "headline": headline(figures),
        "category_chart": _chart(f"Per category: nominal vs Robust Pass@{k}", figures.categories, k),
        "transform_chart": _chart(f"Per transform: nominal vs Robust Pass@{k}", figures.transforms, k),
    }


def _diff_lines(diff: str) -> list[tuple[str, str]]:
    """Each line of a unified diff with its kind (added, removed, hunk, file, same) for colouring."""
    kinds = []
    for line in diff.rstrip("\n").split("\n"):
        if line.startswith(("+++", "---")):
            kinds.append(("file", line))
        elif line.startswith("@@"):
            kinds.append(("hunk", line))
        elif line.startswith("+"):
            kinds.append(("added", line))
        elif line.startswith("-"):
            kinds.append(("removed", line))
        else:
            kinds.append(("same", line))
    return kinds


def render_html(report: Report) -> str:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(loader=PackageLoader("pytest_recode.report", "templates"),
                              autoescape=select_autoescape(default=True), undefined=StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    environment.filters["figure"] = lambda value: figure(value, FIGURE_DIGITS)
    environment.filters["diff_lines"] = _diff_lines
    return environment.get_template("report.html.j2").render(
        report=report,
        results=report.results,
        sections=[_section(f) for f in report.figures],
    )
