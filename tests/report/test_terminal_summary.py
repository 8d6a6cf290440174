"""The terminal summary's table, from case outcomes, with ReCode's greedy figures."""

from __future__ import annotations

from pytest_recode import CaseOutcome
from pytest_recode.report import summary_lines


def outcome(task: str, transform: str, category: str, seed: int | None, nominal: bool, perturbed: bool,
            partial: bool = False) -> CaseOutcome:
    verdict = None if not nominal else "equivalent" if perturbed else "differs"
    return CaseOutcome(task, transform, category, seed, 1, nominal, perturbed, partial, verdict)


def test_rows_per_transform_and_worst_case_per_category() -> None:
    outcomes = [
        # p0 passes nominally, loses it under one seed of the typo transform
        outcome("p0", "ButterFingersPerturbation", "docstring", 0, True, True),
        outcome("p0", "ButterFingersPerturbation", "docstring", 1, True, False),
        outcome("p0", "ChangeCharCase", "docstring", 0, True, True),
        # p1 fails nominally and gains it under the case flip
        outcome("p1", "ButterFingersPerturbation", "docstring", 0, False, False),
        outcome("p1", "ChangeCharCase", "docstring", 0, False, True),
        # partial-code baseline of p0
        outcome("p0", "tab_indent", "format", 0, True, True, partial=True),
    ]
    assert summary_lines(outcomes) == [
        "transform                  category   problems  cases  pass@1  RP@1   RD@1  RR@1  equiv  differ  broken",
        "ButterFingersPerturbation  docstring         2      3    0.50  0.00   1.00  0.50   0.50       1       1",
        "ChangeCharCase             docstring         2      2    0.50  1.00  -1.00  0.50   1.00       0       0",
        "tab_indent                 format            1      1    1.00  1.00   0.00  0.00   1.00       0       0",
        "",
        "category",
        "docstring                                    2      5    0.50  0.00   1.00  1.00   0.67       1       1",
        "format                                       1      1    1.00  1.00   0.00  0.00   1.00       0       0",
    ]


def test_the_same_variant_from_two_tests_counts_once() -> None:
    twice = [outcome("p0", "ChangeCharCase", "docstring", 0, True, False)] * 2
    lines = summary_lines(twice)
    assert lines[1] == "ChangeCharCase  docstring         1      2    1.00  0.00  1.00  1.00   0.00       2       2"


def test_cases_the_search_drew_are_findings_not_benchmark_variants() -> None:
    drawn = CaseOutcome("p0", "ChangeCharCase", "docstring", None, 3, True, False, source="search")
    assert summary_lines([drawn]) == []


def test_no_outcomes_no_lines() -> None:
    assert summary_lines([]) == []
