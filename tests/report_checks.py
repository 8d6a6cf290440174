"""Checks that every figure a report prints equals ReCode's metrics recomputed from its ``results.json``.

The figures are recomputed here with :mod:`pytest_recode.metrics` alone (not with the report's own code),
then compared with ``report.json`` (exactly), and with the tables of ``report.md`` and ``report.html`` (as
printed, three decimals). Shared by the tests of ``recode run`` and of ``pytest --recode-report``.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pytest_recode import CATEGORIES, TRANSFORM_NAMES
from pytest_recode.metrics import (
    CaseOutcome,
    ProblemOutcome,
    equivalence_share,
    nominal_pass_at_k,
    per_category,
    per_perturbation,
    problem_outcomes,
)

COLUMNS = ("problems", "cases", "pass_at_k", "robust_pass", "robust_drop", "robust_relative", "equivalence", "differ",
           "broken")


def recompute(results: dict[str, Any], k: int) -> dict[str, Any]:
    """Every figure of a results file at ``k``: headline, and {row name: {column: value}} per table."""
    cases = [CaseOutcome.from_json(c) for c in results["cases"]]
    seeded = [c for c in cases if c.source == "seeded"]
    records = problem_outcomes(seeded)
    tables: dict[str, dict[str, dict[str, Any]]] = {}
    for kind, scores, key in (("transforms", per_perturbation(records, k=k), "transform"),
                              ("categories", per_category(records, k=k), "category")):
        rows = {}
        for name, score in scores.items():
            group = [c for c in seeded if getattr(c, key) == name]
            rows[name] = {
                "problems": score.problems, "cases": len(group), "pass_at_k": score.pass_at_k,
                "robust_pass": score.robust_pass, "robust_drop": score.robust_drop,
                "robust_relative": score.robust_relative, "equivalence": equivalence_share(group),
                "differ": sum(c.equivalent is False for c in group), "broken": sum(c.broken for c in group),
            }
        tables[kind] = rows
    nominal = [ProblemOutcome(p["task_id"], tuple(p["nominal"])) for p in results["problems"] if p["nominal"]]
    partial = [ProblemOutcome(p["task_id"], tuple(p["partial"]), (), True) for p in results["problems"]
               if p["partial"]]
    return {
        "nominal": nominal_pass_at_k(nominal, k=k) if nominal else None,
        "nominal_partial": nominal_pass_at_k(partial, k=k, partial=True) if partial else None,
        **tables,
    }


def printed(value: float | int | None) -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def expected_table(rows: dict[str, dict[str, Any]], with_category: dict[str, str] | None) -> list[list[str]]:
    """The rows as the tables print them, in ReCode's order (categories; transforms by category)."""
    if with_category is None:
        names = sorted(rows, key=CATEGORIES.index)
    else:
        names = sorted(rows, key=lambda n: (CATEGORIES.index(with_category[n]), TRANSFORM_NAMES.index(n)))
    return [[name, *([with_category[name]] if with_category is not None else []),
             *(printed(rows[name][c]) for c in COLUMNS)] for name in names]


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Each Markdown table of the text, as rows of cells, without the header and separator rows."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif current:
            tables.append(current[2:])
            current = []
    return tables


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.tables[-1].append([])
        elif tag == "td" and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(text: str) -> list[list[list[str]]]:
    """The body rows of every table of the page (the settings table first)."""
    parser = _Tables()
    parser.feed(text)
    return parser.tables


def check_reports(directory: Path) -> dict[str, Any]:
    """Assert that report.json, report.md and report.html in ``directory`` hold exactly the figures recomputed
    from its results.json, at every k of the run; returns the recomputed figures at the first k."""
    results = json.loads((directory / "results.json").read_text())
    report = json.loads((directory / "report.json").read_text())
    markdown = markdown_tables((directory / "report.md").read_text())
    html = html_tables((directory / "report.html").read_text())[1:]  # the settings table comes first
    ks = results["settings"]["k"]
    assert [f["k"] for f in report["figures"]] == ks
    first = None
    for position, (k, figures) in enumerate(zip(ks, report["figures"])):
        expected = recompute(results, k)
        first = first or expected
        assert figures["nominal"] == expected["nominal"]
        assert figures["nominal_partial"] == expected["nominal_partial"]
        for kind in ("categories", "transforms"):
            got = {r["name"]: {c: r[c] for c in COLUMNS} for r in figures[kind]}
            assert got == expected[kind], kind
        categories = {c.transform: c.category for c in map(CaseOutcome.from_json, results["cases"])}
        want = [expected_table(expected["categories"], None), expected_table(expected["transforms"], categories)]
        assert markdown[2 * position: 2 * position + 2] == want
        assert html[2 * position: 2 * position + 2] == want
    assert first is not None
    return first
