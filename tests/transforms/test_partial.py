"""Partial code as RECODE.md describes it: transform the whole program, cut at the marker, count only sites
that reach the prompt; also problems that are not partial (the marker between prompt and solution)."""

from __future__ import annotations

import textwrap

import pytest

from pytest_recode.problems import Problem, load_problems, partial_variant
from pytest_recode.transforms import Edit, NotApplicable, Perturbation, get_transform, transform_names

CUT = "# cut\n"
CODE = [n for n in transform_names(["syntax", "format"]) if n != "VarRenamerCB"]


def problem(code: str) -> Problem:
    prompt, rest = textwrap.dedent(code).split(CUT)
    return Problem("T/0", prompt, "f", rest, "def check(candidate):\n    pass\n", partial=True)


def test_sites_only_in_the_hidden_rest_do_not_count() -> None:
    code = """\
        def f(xs):
            n = len(xs)
        # cut
            for x in xs:
                if x > n:
                    return x
            return n
        """
    for name in ["ForWhileTransformer", "OperandSwap"]:
        result = get_transform(name).perturb(problem(code))
        assert isinstance(result, NotApplicable) and "in the prompt of T/0" in result.reason


def test_a_loop_that_starts_in_the_prompt_is_rewritten_on_both_sides() -> None:
    code = """\
        def f(xs):
            for x in xs:
        # cut
                print(x)
            return xs
        """
    result = get_transform("ForWhileTransformer").perturb(problem(code))
    assert isinstance(result, Perturbation)
    assert result.perturbed.prompt == textwrap.dedent("""\
        def f(xs):
            _x_iter = iter(xs)
            while True:
                try:
                    x = next(_x_iter)
                except StopIteration:
                    break
        """)
    assert result.perturbed.canonical_solution == "        print(x)\n    return xs\n"


def test_a_rename_changes_the_prompt_and_the_rest_alike() -> None:
    code = "def f(values):\n    total = 0\n# cut\n    for v in values:\n        total += v\n    return total\n"
    result = get_transform("VarRenamerNaive").perturb(problem(code))
    assert isinstance(result, Perturbation)
    assert result.perturbed.prompt == "def f(values):\n    VAR_0 = 0\n"
    assert result.perturbed.canonical_solution == "    for v in values:\n        VAR_0 += v\n    return VAR_0\n"


def test_a_problem_that_is_not_partial_has_the_marker_between_prompt_and_solution() -> None:
    whole = Problem("T/1", 'def f(values):\n    """Sum."""\n', "f",
                    "    total = 0\n    for v in values:\n        total += v\n    return total\n",
                    "def check(candidate):\n    assert candidate([1, 2]) == 3\n")
    renamer = get_transform("VarRenamerNaive")
    renamed = renamer.perturb_with(whole, [Edit(0)])
    assert isinstance(renamed, Perturbation)
    assert renamed.perturbed.prompt == 'def f(VAR_0):\n    """Sum."""\n'
    assert "for v in VAR_0:" in renamed.perturbed.canonical_solution
    # ReCode perturbs only partial code with syntax transforms: the seeded variant leaves the prompt alone.
    seeded = renamer.perturb(whole)
    assert isinstance(seeded, Perturbation) and seeded.edits == () and not seeded.changed
    for name in ["DeadCodeInserter", "ForWhileTransformer", "OperandSwap"]:
        assert isinstance(get_transform(name).perturb(whole), NotApplicable)  # nothing of the body is shown
    blank = get_transform("new_line_afterdoc").perturb(whole)
    assert isinstance(blank, Perturbation) and blank.perturbed.prompt == 'def f(values):\n    """Sum."""\n\n'


def test_a_cut_inside_brackets_leaves_the_end_of_the_prompt_alone() -> None:
    code = (
        "def f(a, b):\n    n = a\n    pairs = [\n        (a, b),\n# cut\n        (b, a),\n    ]\n    return pairs, n\n"
    )
    result = get_transform("DeadCodeInserterLast").perturb(problem(code))
    assert isinstance(result, NotApplicable)
    blank = get_transform("new_line_aftercode").perturb(problem(code))
    assert isinstance(blank, Perturbation)
    compile(blank.perturbed.prompt + blank.perturbed.canonical_solution, "<t>", "exec")


def test_no_edit_ever_moves_the_marker() -> None:
    code = "def f(x):\n    if x:\n        y = 1\n# cut\n        return y\n    return 0\n"
    for name in CODE:
        transform = get_transform(name)
        source = problem(code)
        sites = transform.sites(source)
        if not sites:
            continue
        result = transform.perturb_with(source, [Edit(i) for i in range(len(sites))])
        assert isinstance(result, Perturbation)
        assert "# pytest-recode" not in result.perturbed.prompt + result.perturbed.canonical_solution


HUMANEVAL = [partial_variant(p) or p for p in load_problems("humaneval")][::4]


@pytest.mark.parametrize("name", CODE)
def test_every_site_on_humaneval_changes_the_prompt_and_compiles(name: str) -> None:
    transform = get_transform(name)
    for source in HUMANEVAL:
        for index, site in enumerate(transform.sites(source)):
            for option in sorted({0, len(site.options) - 1}):
                result = transform.perturb_with(source, [Edit(index, option)])
                assert isinstance(result, Perturbation) and result.changed, (source.task_id, index, option)
                new = result.perturbed
                compile(new.prompt + new.canonical_solution, source.task_id, "exec")
                assert new.test == source.test and new.entry_point == source.entry_point


def test_a_prompt_that_stops_mid_line_is_not_applicable() -> None:
    stub = Problem("T/3", "def f(x):\n    return x +", "f", " 1\n", "def check(candidate):\n    pass\n")
    for name in CODE:
        result = get_transform(name).perturb(stub)
        assert isinstance(result, NotApplicable) and "does not end with a line break" in result.reason


@pytest.mark.parametrize("name", [n for n in CODE if get_transform(n).randomized])
def test_randomized_transforms_change_every_problem_with_sites_at_every_seed(name: str) -> None:
    transform = get_transform(name)
    for source in HUMANEVAL:
        if not transform.seeded_sites(source):  # type: ignore[attr-defined]
            continue
        for seed in range(5):
            result = transform.perturb(source, seed)
            assert isinstance(result, Perturbation) and result.changed, (source.task_id, seed)
