"""The input records of the metrics: checks, JSON round trips, and grouping flat rows."""

from __future__ import annotations

import json

import pytest

from pytest_recode import InvalidArgument
from pytest_recode.metrics import ProblemOutcome, VariantOutcome, group_outcomes, per_perturbation

T, F = True, False


def test_sequences_become_tuples_and_a_bare_bool_one_result() -> None:
    variant = VariantOutcome("T", "cat", 0, [True, False])  # type: ignore[arg-type]
    assert variant.results == (True, False)
    outcome = ProblemOutcome("X", True, [VariantOutcome("T", "cat", 0, False)])  # type: ignore[arg-type]
    assert outcome.nominal == (True,) and outcome.variants == (VariantOutcome("T", "cat", 0, (False,)),)
    assert outcome.n == 1 and outcome.key == ("X", False)
    hash(outcome)  # frozen records of tuples are hashable


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: VariantOutcome("T", "cat", 0, (1, 0)), r"results\[0\]=1 has type int; expected bool"),
        (lambda: VariantOutcome("T", "cat", 0, ()), r"results=\(\) is empty"),
        (lambda: VariantOutcome("T", "cat", 0, "TF"), r"results='TF' must be a sequence of booleans"),
        (lambda: VariantOutcome("T", "cat", -1, (T,)), r"seed=-1 must be an int >= 0"),
        (lambda: VariantOutcome("T", "cat", None, (T,)), r"seed=None must be an int >= 0"),
        (lambda: VariantOutcome("", "cat", 0, (T,)), r"transform='' must be a non-empty string"),
        (lambda: VariantOutcome("T", 3, 0, (T,)), r"category=3 must be a non-empty string"),
        (lambda: ProblemOutcome("X", ()), r"X: nominal=\(\) is empty"),
        (lambda: ProblemOutcome("X", (T, F), (VariantOutcome("T", "cat", 0, (T,)),)),
         r"X: T seed 0 has 1 results but the nominal prompt has 2; completion i is paired across prompts"),
        (lambda: ProblemOutcome("X", (T,), (VariantOutcome("T", "cat", 0, (T,)), VariantOutcome("T", "cat", 0, (F,)))),
         r"X: T seed 0 appears twice"),
        (lambda: ProblemOutcome("X", (T,), (VariantOutcome("T", "a", 0, (T,)), VariantOutcome("T", "b", 1, (F,)))),
         r"X: transform T is given two categories, 'a' and 'b'"),
        (lambda: ProblemOutcome("X", (T,), ("T",)), r"X: variants must be VariantOutcome records"),
        (lambda: ProblemOutcome(7, (T,)), r"task_id=7 must be a string"),
    ],
)
def test_malformed_records_are_refused(build: object, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        build()  # type: ignore[operator]


def test_json_round_trip() -> None:
    outcome = ProblemOutcome("X", (T, F), (VariantOutcome("T", "cat", 2, (F, F)),), partial=True)
    data = json.loads(json.dumps(outcome.to_json()))
    assert data == {"task_id": "X", "nominal": [True, False], "partial": True,
                    "variants": [{"transform": "T", "category": "cat", "seed": 2, "results": [False, False]}]}
    assert ProblemOutcome.from_json(data) == outcome


def test_group_rows_into_problems_numbering_seedless_rows() -> None:
    rows = [
        # the plugin's case records: one boolean each, no seed for a Hypothesis-drawn perturbation
        {"task_id": "X", "transform": "T", "category": "cat", "seed": None, "nominal_passed": T,
         "perturbed_passed": F, "size": 1, "equivalent": False},
        {"task_id": "Y", "transform": "T", "category": "cat", "nominal": [F], "perturbed": [T]},
        {"task_id": "X", "transform": "T", "category": "cat", "nominal_passed": T, "perturbed_passed": T},
        {"task_id": "X", "transform": "U", "category": "cat", "seed": 4, "nominal": T, "perturbed": T},
        {"task_id": "X", "transform": "U", "category": "cat", "nominal": T, "perturbed": F},
        {"task_id": "X", "transform": "tab_indent", "category": "format", "partial": True, "nominal": F,
         "perturbed": T},
    ]
    assert group_outcomes(rows) == [
        ProblemOutcome("X", (T,), (VariantOutcome("T", "cat", 0, (F,)), VariantOutcome("T", "cat", 1, (T,)),
                                   VariantOutcome("U", "cat", 4, (T,)), VariantOutcome("U", "cat", 5, (F,)))),
        ProblemOutcome("Y", (F,), (VariantOutcome("T", "cat", 0, (T,)),)),
        ProblemOutcome("X", (F,), (VariantOutcome("tab_indent", "format", 0, (T,)),), partial=True),
    ]
    assert per_perturbation(group_outcomes(rows))["T"].robust_pass == 0.5


def test_group_rows_that_disagree_on_the_nominal_results() -> None:
    rows = [{"task_id": "X", "transform": "T", "category": "c", "nominal": T, "perturbed": T},
            {"task_id": "X", "transform": "U", "category": "c", "nominal": F, "perturbed": T}]
    with pytest.raises(InvalidArgument, match=r"X: rows disagree on the nominal results \(\(True,\) and \(False,\)\)"):
        group_outcomes(rows)


def test_group_rows_missing_a_field() -> None:
    with pytest.raises(InvalidArgument, match=r"has no 'perturbed' or 'perturbed_passed' field"):
        group_outcomes([{"task_id": "X", "transform": "T", "category": "c", "nominal": T}])
