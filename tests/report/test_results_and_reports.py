"""results.json, the figures computed from it, the three report formats, and the comparison of two runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_recode import CaseOutcome, ReportError
from pytest_recode.report import (
    Example,
    ProblemRecord,
    Report,
    RunResults,
    compare_figures,
    figures,
    keep_examples,
    load_results,
    merge_results,
    write_reports,
    write_text_atomic,
)
from pytest_recode.report._chart import LABEL_WIDTH, PLOT_WIDTH


def case(task: str, transform: str, category: str, seed: int, nominal: bool, perturbed: bool,
         partial: bool = False) -> CaseOutcome:
    return CaseOutcome(task, transform, category, seed, 1, nominal, perturbed, partial,
                       "equivalent" if nominal == perturbed else "differs")


CASES = (
    case("p/0", "ButterFingersPerturbation", "docstring", 0, True, True),
    case("p/0", "ButterFingersPerturbation", "docstring", 1, True, False),
    case("p/0", "tab_indent", "format", 0, True, True, partial=True),
    case("p/1", "ButterFingersPerturbation", "docstring", 0, False, False),
    case("p/1", "ButterFingersPerturbation", "docstring", 1, False, True),
)
RESULTS = RunResults(
    settings={"dataset": "demo", "seeds": 2, "k": [1], "shard": None},
    model={"spec": "python:m:f", "name": "m", "fingerprint": "abc"},
    dataset={"name": "demo", "problems": 3},
    versions={"pytest-recode": "0.1.0"},
    created="2026-01-01T00:00:00Z",
    problems=(ProblemRecord("p/0", 0, (True,), (True,)), ProblemRecord("p/1", 1, (False,)),
              ProblemRecord("p/2", 2, (True,))),
    cases=CASES,
    examples=(Example("p/0", "ButterFingersPerturbation", "docstring", 1, 1, "--- a\n+++ b\n-x\n+y\n"),),
)


def test_results_survive_the_file(tmp_path: Path) -> None:
    RESULTS.save(tmp_path / "results.json")
    assert load_results(tmp_path / "results.json") == RESULTS
    assert load_results(tmp_path) == RESULTS  # the directory holding it
    text = (tmp_path / "results.json").read_text()
    assert json.loads(text) == RESULTS.to_json()
    assert sum(line.startswith('  {"task_id": "p/') for line in text.splitlines()) == 3 + 5 + 1  # one per line


@pytest.mark.parametrize(("content", "message"), [
    (None, "{path}: no such results file."),
    ("[1", "{path} is corrupt: not valid JSON (Expecting ',' delimiter at line 1)."),
    ('{"format": "other"}', "{path} is not a pytest-recode results file (no \"format\": 'pytest-recode results')."),
    ('{"format": "pytest-recode results", "version": 9}', "{path} has layout version 9; this pytest-recode reads "
                                                          "version 1."),
    ('{"format": "pytest-recode results", "version": 1, "cases": [{"task_id": "t"}]}',
     "{path} is corrupt: a case record is incomplete: CaseOutcome.__init__() missing 6 required positional "
     "arguments: 'transform', 'category', 'seed', 'size', 'nominal', and 'perturbed'"),
    ('{"format": "pytest-recode results", "version": 1, "problems": [{"task_id": "t", "index": 0, "nominal": 1}]}',
     "{path} is corrupt: nominal=1 must be null or a non-empty list of booleans (one per completion)."),
])
def test_a_bad_results_file_says_what_is_wrong(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ReportError) as error:
        load_results(path)
    assert str(error.value) == message.format(path=path)


def test_an_atomic_write_leaves_the_old_file_when_it_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.md"
    write_text_atomic(target, "old")
    assert oct(target.stat().st_mode & 0o777) == "0o644"

    def broken(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]  # no temporary file left


def test_figures_are_recode_metrics_per_transform_and_category() -> None:
    found = figures(RESULTS, 1)
    assert (found.problems, found.cases, found.nominal, found.nominal_partial) == (3, 5, 2 / 3, 1.0)
    by_name = {row.name: row for row in (*found.categories, *found.transforms)}
    docstring = by_name["docstring"]
    assert (docstring.problems, docstring.cases, docstring.pass_at_k, docstring.robust_pass, docstring.robust_drop,
            docstring.robust_relative, docstring.equivalence, docstring.differ, docstring.broken) == (
        2, 4, 0.5, 0.0, 1.0, 1.0, 0.5, 2, 1)
    assert [r.name for r in found.categories] == ["docstring", "format"]  # ReCode's order


def test_every_format_renders_the_same_figures(tmp_path: Path) -> None:
    written = write_reports(RESULTS, tmp_path)
    assert [p.name for p in written] == ["report.json", "report.md", "report.html"]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["figures"][0]["categories"][0] == figures(RESULTS, 1).categories[0].to_json()
    markdown = (tmp_path / "report.md").read_text()
    assert "| docstring | 2 | 4 | 0.500 | 0.000 | 1.000 | 1.000 | 0.500 | 2 | 1 |" in markdown
    assert "nominal pass@1: 0.667 (partial-code prompts: 1.000)." in markdown
    assert "```diff\n--- a\n+++ b\n-x\n+y\n```" in markdown
    page = (tmp_path / "report.html").read_text()
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert '<span class="removed">-x</span><span class="added">+y</span>' in page


def test_chart_bars_are_the_figures(tmp_path: Path) -> None:
    page = Report.of(RESULTS).render("html")
    # docstring: nominal 0.5 and Robust Pass 0.0; format: 1.0 and 1.0; the plot is PLOT_WIDTH wide
    assert f'data-series="nominal pass@1" data-value="0.500" x="{LABEL_WIDTH}"' in page
    assert f'width="{PLOT_WIDTH * 0.5:g}"' in page.replace(".0\"", "\"")
    assert page.count('data-series="Robust Pass@1" data-value="0.000"') == 2  # category and transform charts


def test_rendering_is_deterministic() -> None:
    assert Report.of(RESULTS).render("html") == Report.of(load_again(RESULTS)).render("html")


def load_again(results: RunResults) -> RunResults:
    return RunResults.from_json(json.loads(results.dumps()))


def test_canonical_order_and_examples_kept_per_transform() -> None:
    shuffled = RunResults(settings={}, model={}, dataset={}, versions={}, created="",
                          problems=(ProblemRecord("b", 1), ProblemRecord("a", 0)),
                          cases=(CASES[3], CASES[0], CASES[1]))
    ordered = shuffled.in_order()
    assert [p.task_id for p in ordered.problems] == ["a", "b"]
    assert [c.task_id for c in ordered.cases] == ["p/1", "p/0", "p/0"]  # cases of unknown problems last, stable
    examples = [Example(f"t/{i}", "T", "c", 0, 1, "") for i in range(5)] + [Example("t/9", "T", "c", None, 1, "",
                                                                                    source="search")]
    assert [e.task_id for e in keep_examples(examples)] == ["t/0", "t/1", "t/2", "t/9"]


def test_compare_names_what_dropped_beyond_the_threshold() -> None:
    base = {1: figures(RESULTS, 1)}
    worse = RunResults(**{**RESULTS.__dict__, "cases": (*CASES[:2], case("p/0", "tab_indent", "format", 0, True, False,
                                                                          partial=True), *CASES[3:])})
    comparison = compare_figures(base, {1: figures(worse, 1)}, 0.02)
    assert [(d.kind, d.name) for d in comparison.regressions] == [("category", "format"), ("transform", "tab_indent")]
    assert comparison.verdict().startswith("Robust Pass dropped by more than 0.02 in category format at k=1 "
                                           "(1.000 -> 0.000, -1.000)")
    assert not compare_figures(base, {1: figures(worse, 1)}, 1.0).failed  # a drop equal to the threshold passes
    only_base = compare_figures(base, {2: figures(RESULTS, 1)}, 0.02)
    assert only_base.deltas == () and only_base.notes == ("note: no k in common (base [1], new [2]): nothing "
                                                          "compared",)


def test_merge_keeps_the_order_of_the_unsharded_run() -> None:
    def shard(index: int, problems: tuple[ProblemRecord, ...]) -> RunResults:
        ids = {p.task_id for p in problems}
        return RunResults(**{**RESULTS.__dict__, "settings": {**RESULTS.settings, "shard": f"{index}/2"},
                             "problems": problems, "cases": tuple(c for c in CASES if c.task_id in ids),
                             "examples": tuple(e for e in RESULTS.examples if e.task_id in ids)})

    merged = merge_results([("b", shard(2, RESULTS.problems[1:])), ("a", shard(1, RESULTS.problems[:1]))])
    assert merged == RESULTS.in_order()
