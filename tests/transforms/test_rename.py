"""The entry-point rename the function-name transforms share, through FuncRenameCamelCase."""

from __future__ import annotations

import pytest

from pytest_recode.problems import Problem, load_problems
from pytest_recode.transforms import NotApplicable, Perturbation, get_transform
from pytest_recode.transforms._rename import rename_entry_point

PROMPT = '''def has_close_elements(numbers, threshold):
    """Whether two numbers are closer than threshold.
    >>> has_close_elements([1.0, 2.0], 0.5)
    False
    """
'''
SOLUTION = '''    has_close = has_close_elements
    def helper(has_close_elements):
        return has_close_elements
    for i, a in enumerate(numbers):
        for b in numbers[i + 1:]:
            if abs(a - b) < threshold:
                return True
    return helper(False) or has_close_elements(numbers[1:], threshold) if numbers else False
'''
TEST = "def check(candidate):\n    assert candidate([1.0, 1.1], 0.5)\n    assert not has_close_elements([1.0], 0.5)\n"
PROBLEM = Problem("T/0", PROMPT, "has_close_elements", SOLUTION, TEST)


def _passes(problem: Problem) -> bool:
    namespace: dict[str, object] = {}
    exec(problem.reference_program + "\n" + problem.test, namespace)  # noqa: S102 - trusted test code
    namespace["check"](namespace[problem.entry_point])  # type: ignore[operator]
    return True


def test_camel_case_renames_definition_recursion_examples_and_tests_only() -> None:
    result = get_transform("FuncRenameCamelCase").perturb(PROBLEM)
    assert isinstance(result, Perturbation)
    new = result.perturbed
    assert new.entry_point == "hasCloseElements"
    assert new.prompt == PROMPT.replace("has_close_elements(", "hasCloseElements(")
    assert new.canonical_solution == SOLUTION.replace(
        "has_close = has_close_elements", "has_close = hasCloseElements"
    ).replace("or has_close_elements(", "or hasCloseElements(")
    assert "def helper(has_close_elements):\n        return has_close_elements" in new.canonical_solution
    assert new.test == TEST.replace("not has_close_elements(", "not hasCloseElements(")
    assert _passes(PROBLEM) and _passes(new)


def test_camel_case_goes_back_to_snake_case() -> None:
    problem = Problem("T/1", "def sortThird(l):\n", "sortThird", "    return sorted(l)\n",
                      "def check(candidate):\n    assert sortThird([2, 1]) == [1, 2]\n")
    result = get_transform("FuncRenameCamelCase").perturb(problem)
    assert isinstance(result, Perturbation)
    assert result.perturbed.entry_point == "sort_third" and "sort_third([2, 1])" in result.perturbed.test


@pytest.mark.parametrize("name", ["f", "add", "_private"])
def test_names_without_words_to_join_are_not_applicable(name: str) -> None:
    problem = Problem("T/2", f"def {name}(x):\n", name, "    return x\n", "def check(candidate):\n    pass\n")
    assert isinstance(get_transform("FuncRenameCamelCase").perturb(problem), NotApplicable)


def test_rename_entry_point_keeps_every_other_byte() -> None:
    renamed = rename_entry_point(PROBLEM, "g")
    assert renamed.prompt.replace("g(", "has_close_elements(") == PROMPT


def test_every_humaneval_problem_still_passes_after_camel_case() -> None:
    transform = get_transform("FuncRenameCamelCase")
    for problem in load_problems("humaneval")[:40]:
        result = transform.perturb(problem)
        if isinstance(result, Perturbation):
            assert _passes(result.perturbed), problem.task_id
