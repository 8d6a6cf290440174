"""Seeded variants choose edits the way ReCode's released files show, while every site stays for the search."""

from __future__ import annotations

import random
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_recode.problems import Problem, load_problems, partial_variant
from pytest_recode.transforms import Edit, Perturbation, get_transform, transform_names
from pytest_recode.transforms._base import draw_sites

CUT = "# cut\n"
HUMANEVAL = {p.task_id: p for p in load_problems("humaneval")}


def problem(code: str, test: str = "def check(candidate):\n    pass\n") -> Problem:
    prompt, rest = textwrap.dedent(code).split(CUT)
    return Problem("T/0", prompt, "f", rest, test, partial=True)


def seeded(name: str, source: Problem, seed: int = 0) -> Perturbation:
    result = get_transform(name).perturb(source, seed)
    assert isinstance(result, Perturbation), result
    return result


# -- drawing sites -----------------------------------------------------------------------------------
@given(st.lists(st.floats(0.01, 0.99), min_size=1, max_size=8), st.integers(0, 2**32))
def test_draw_sites_draws_one_at_least_in_order_without_repeats(rates: list[float], seed: int) -> None:
    chosen = draw_sites(random.Random(seed), rates)
    assert chosen and chosen == sorted(set(chosen)) and all(0 <= i < len(rates) for i in chosen)


def test_draw_sites_keeps_recodes_odds_among_the_draws_that_change_something() -> None:
    # Two sites at p = 0.5: given one drawn at least, each pair comes a third of the time.
    rng = random.Random(7)
    counts: dict[tuple[int, ...], int] = {}
    for _ in range(6000):
        key = tuple(draw_sites(rng, [0.5, 0.5]))
        counts[key] = counts.get(key, 0) + 1
    assert set(counts) == {(0,), (1,), (0, 1)}
    assert all(abs(n / 6000 - 1 / 3) < 0.03 for n in counts.values())
    assert draw_sites(rng, [0.0, 0.0]) == []


# -- syntax ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [n for n in transform_names(["syntax"]) if n != "VarRenamerCB"])
def test_no_syntax_change_where_the_body_is_one_line(name: str) -> None:
    # ReCode has no partial code there, and its syntax files hold the nominal prompt.
    whole = HUMANEVAL["HumanEval/2"]
    assert partial_variant(whole) is None
    result = get_transform(name).perturb(whole)
    assert not result or not result.changed


COMPARISONS = """\
    def f(xs, n):
        out = []
        for x in xs:
            if x is None:
                continue
            if x < n:
                out.append(x)
        if n == 0:
            return out
    # cut
        return out
    """


def test_operand_swap_seeds_one_comparison_the_outermost_first_and_never_is() -> None:
    transform = get_transform("OperandSwap")
    source = problem(COMPARISONS)
    assert [s.original for s in transform.sites(source)] == ["n == 0", "x is None", "x < n"]
    result = seeded("OperandSwap", source)
    assert result.edits == (Edit(0),) and "if 0 == n:" in result.perturbed.prompt


def test_operand_swap_leaves_the_prompt_when_the_first_comparison_is_in_the_hidden_rest() -> None:
    code = ("def f(xs, n):\n    for x in xs:\n        if x < n:\n# cut\n            return x\n"
            "    if n == 0:\n        return 0\n")
    transform = get_transform("OperandSwap")
    assert [s.original for s in transform.sites(problem(code))] == ["x < n"]
    assert not seeded("OperandSwap", problem(code)).changed


def test_var_renamer_seeds_the_most_used_variable_of_the_whole_program() -> None:
    code = "def f(xs):\n    t = 0\n# cut\n    for x in xs:\n        if x:\n            return x, x, x\n    return t\n"
    transform = get_transform("VarRenamerNaive")
    assert [s.original for s in transform.sites(problem(code))] == ["xs", "t"]  # x is not in the prompt
    assert not seeded("VarRenamerNaive", problem(code)).changed  # x is used most, as in ReCode's choice


def test_dead_code_offers_recodes_while_counter_wrapper_and_draws_wrappers_at_recodes_odds() -> None:
    code = "def f(x):\n    y = x\n# cut\n    return y\n"
    transform = get_transform("DeadCodeInserterLast")
    [site] = transform.sites(problem(code))
    assert "    _i_0 = 0\n    while _i_0 < _i_0:\n        y = x\n" in site.options
    heads = {}
    for seed in range(300):
        option = seeded("DeadCodeInserterLast", problem(code), seed).edits[0].option
        head = site.options[option].split("\n")[0].strip()
        heads[head] = heads.get(head, 0) + 1
    assert heads["for _i_0 in range(0):"] > heads["if False:"] + heads["while False:"] - 20  # a third vs two ninths


# -- format ---------------------------------------------------------------------------------------------
TWO_DOCSTRINGS = '''\
    def helper(x):
        """Help."""
        return x

    def f(x):
        """Do it."""
        y = helper(x)
    # cut
        return y
    '''


def test_docstring_format_transforms_seed_the_entry_points_docstring_alone() -> None:
    source = problem(TWO_DOCSTRINGS)
    for name in ["doc2comments", "new_line_afterdoc"]:
        assert len(get_transform(name).sites(source)) == 2  # the helper's too, for the search
    comments = seeded("doc2comments", source).perturbed.prompt
    assert '"""Help."""' in comments and "    # Do it.\n" in comments and '"""Do it."""' not in comments
    blank = seeded("new_line_afterdoc", source).perturbed.prompt
    assert '"""Do it."""\n\n    y = helper(x)' in blank and '"""Help."""\n    return x' in blank


def test_doc2comments_writes_recodes_layout() -> None:
    assert seeded("doc2comments", HUMANEVAL["HumanEval/2"]).perturbed.prompt.endswith(
        "    # Given a positive floating point number, it can be decomposed into\n"
        "    # and integer part (largest integer smaller than given number) and decimals\n"
        "    # (leftover part always smaller than 1).\n"
        "\n"
        "    # Return the decimal part of the number.\n"
        "    # >>> truncate_number(3.5)\n"
        "    # 0.5\n"
    )


# -- function names ---------------------------------------------------------------------------------
def test_butter_finger_names_get_one_typo_each() -> None:
    for task_id in ["HumanEval/0", "HumanEval/1", "HumanEval/12"]:
        for seed in range(5):
            result = seeded("FuncRenameButterFinger", HUMANEVAL[task_id], seed)
            old, new = result.nominal.entry_point, result.perturbed.entry_point
            assert len(result.edits) == 1 and sum(a != b for a, b in zip(old, new)) == 1


def test_name_inflections_stay_within_the_part_of_speech_the_name_reads_in() -> None:
    transform = get_transform("FuncRenameInflectionalVariation")
    options = {s.original: s.options for s in transform.sites(HUMANEVAL["HumanEval/2"])}  # truncate_number
    assert options == {"truncate": ("truncates", "truncated", "truncating"), "number": ("numbers",)}
    assert transform.sites(HUMANEVAL["HumanEval/3"]) == ()  # below_zero: a preposition and a number
