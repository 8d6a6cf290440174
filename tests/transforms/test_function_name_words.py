"""Function-name transforms with sites inside the name: exact renames, scope-awareness, ReCode's defects."""

from __future__ import annotations

import re

import pytest

from pytest_recode.problems import Problem, load_problems
from pytest_recode.transforms import Edit, get_transform
from pytest_recode.transforms._nl import wordnet_missing
from pytest_recode.transforms._rename import rename_entry_point

HUMANEVAL = {p.task_id: p for p in load_problems("humaneval")}
NAMES = [
    "FuncRenameButterFinger",
    "FuncRenameSwapChar",
    "FuncRenameChangeChar",
    "FuncRenameInflectionalVariation",
    "FuncRenameSynonymSub",
]


def _available(name: str) -> None:
    if name == "FuncRenameSynonymSub" and wordnet_missing() is not None:
        pytest.skip(str(wordnet_missing()))


def _passes(problem: Problem) -> bool:
    namespace: dict[str, object] = {}
    exec(problem.reference_program + "\n" + problem.test, namespace)  # noqa: S102 - canonical code
    namespace["check"](namespace[problem.entry_point])  # type: ignore[operator]
    return True


TRICKY = Problem(
    "T/f",
    'def f(values):\n    """Apply f to the values; f is defined here. >>> f([1])\n    [2]\n    """\n',
    "f",
    "    def_f = [v + 1 for v in values]\n    return def_f\n",
    "def check(candidate):\n    assert candidate([1]) == [2]\n    assert f([2]) == [3]\n",
)


def test_case_flip_of_f_touches_only_the_name() -> None:
    # ReCode: `def f` with a case flip became `deF F(...)`.
    result = get_transform("FuncRenameChangeChar").perturb_with(TRICKY, [Edit(0)])
    assert result
    new = result.perturbed
    assert new.entry_point == "F"
    assert new.prompt.startswith("def F(values):\n") and "Apply F to the values; F is defined here. >>> F([1])" in new.prompt
    assert "def_f = [v + 1" in new.canonical_solution and "return def_f" in new.canonical_solution
    assert "assert F([2]) == [3]" in new.test and "candidate([1])" in new.test
    assert _passes(new)


SUBSTRINGS = Problem(
    "T/sort",
    'def sort(items):\n    """Sort the items; sorted output, see sort_key and resort."""\n',
    "sort",
    "    return sorted(items, key=sort_key)\n\n\ndef sort_key(x):\n    return x\n",
    "def check(candidate):\n    assert candidate([2, 1]) == [1, 2]\n",
)


@pytest.mark.parametrize("name", NAMES)
def test_substrings_of_other_words_never_change(name: str) -> None:
    _available(name)
    transform = get_transform(name)
    for seed in range(10):
        result = transform.perturb(SUBSTRINGS, seed)
        if not result:
            continue
        new = result.perturbed
        assert "sort_key" in new.canonical_solution and "sorted(items" in new.canonical_solution
        assert "sorted output, see sort_key and resort." in new.prompt
        assert _passes(new)


@pytest.mark.parametrize("name", NAMES)
def test_humaneval_33_calls_the_function_by_name(name: str) -> None:
    # Its tests call `sort_third` directly; ReCode's renames left them calling the old name.
    _available(name)
    problem = HUMANEVAL["HumanEval/33"]
    assert "sort_third(" in problem.test
    for seed in range(5):
        result = get_transform(name).perturb(problem, seed)
        assert result and result.changed
        new = result.perturbed
        assert new.entry_point != "sort_third" and not re.search(r"\bsort_third\b", new.test)
        assert f"{new.entry_point}(" in new.test and _passes(new)


@pytest.mark.parametrize(
    ("name", "edits", "expected"),
    [
        ("FuncRenameButterFinger", [Edit(7, 0)], "has_closw_elements"),
        ("FuncRenameSwapChar", [Edit(0)], "ahs_close_elements"),
        ("FuncRenameSwapChar", [Edit(0), Edit(1)], "ash_close_elements"),
        ("FuncRenameChangeChar", [Edit(0), Edit(3)], "Has_Close_elements"),
        ("FuncRenameInflectionalVariation", [Edit(2, 0)], "has_close_element"),
    ],
)
def test_exact_renames(name: str, edits: list[Edit], expected: str) -> None:
    problem = HUMANEVAL["HumanEval/0"]
    result = get_transform(name).perturb_with(problem, edits)
    assert result and result.perturbed.entry_point == expected
    assert result.perturbed == rename_entry_point(problem, expected)


def test_synonym_sub_uses_identifier_safe_synonyms() -> None:
    _available("FuncRenameSynonymSub")
    transform = get_transform("FuncRenameSynonymSub")
    sites = transform.sites(HUMANEVAL["HumanEval/0"])
    assert [s.original for s in sites] == ["close", "elements"]
    assert all(re.fullmatch(r"[A-Za-z_]+", o) for s in sites for o in s.options)


@pytest.mark.parametrize("name", NAMES)
def test_every_seed_renames_and_matches_rename_entry_point(name: str) -> None:
    _available(name)
    transform = get_transform(name)
    for index in range(0, 164, 16):
        problem = HUMANEVAL[f"HumanEval/{index}"]
        for seed in range(5):
            result = transform.perturb(problem, seed)
            if not result:
                continue
            assert result.changed, (problem.task_id, seed)
            assert result == transform.perturb(problem, seed)
            if seed == 0:  # the shared span cache gives exactly what a fresh scope analysis gives
                assert result.perturbed == rename_entry_point(problem, result.perturbed.entry_point)
