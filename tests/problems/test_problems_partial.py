"""Partial code as ReCode cuts it, and the split marker that carries the cut through code transforms."""

from __future__ import annotations

import ast
import json
import textwrap
import warnings
from pathlib import Path

from shared_data import SHARED_DATA

import pytest

from pytest_recode import Problem, load_problems
from pytest_recode.problems import SPLIT_MARKER, join_at_marker, partial_variant, split_at_marker

REFERENCE = Path(SHARED_DATA) / "recode-reference" / "humaneval_partial.jsonl"
HUMANEVAL = load_problems("humaneval")
HUMANEVAL_PARTIAL = load_problems("humaneval", partial=True)


def problem(body: str, prompt: str = 'def f(x):\n    """Doc."""\n') -> Problem:
    """A problem whose body is ``body`` dedented and then indented by four spaces."""
    return Problem("t/0", prompt, "f", textwrap.indent(textwrap.dedent(body), "    "),
                   "def check(candidate):\n    pass\n")


def test_humaneval_has_127_partial_variants() -> None:
    assert len(HUMANEVAL_PARTIAL) == 127
    assert all(p.partial and p.dataset == "humaneval" for p in HUMANEVAL_PARTIAL)
    without = {p.task_id for p in HUMANEVAL} - {p.task_id for p in HUMANEVAL_PARTIAL}
    assert len(without) == 37
    by_id = {p.task_id: p for p in HUMANEVAL}
    assert all(len(by_id[t].canonical_solution.rstrip("\n").split("\n")) == 1 for t in without)


@pytest.mark.skipif(not REFERENCE.exists(), reason=f"ReCode's partial HumanEval is not at {REFERENCE}")
def test_partial_prompts_equal_recodes_up_to_trailing_whitespace() -> None:
    reference = {row["task_id"]: row for row in map(json.loads, REFERENCE.read_text(encoding="utf-8").splitlines())}
    ours = {p.task_id: p for p in HUMANEVAL_PARTIAL}
    # ReCode keeps the 37 problems without a partial variant with partial=None and the nominal prompt
    assert {t for t, row in reference.items() if row["partial"] is None} == set(reference) - set(ours)
    for task_id, mine in ours.items():
        assert mine.prompt.rstrip() == reference[task_id]["prompt"].rstrip(), task_id
        assert mine.canonical_solution.rstrip() == reference[task_id]["canonical_solution"].rstrip(), task_id


def test_the_cut_is_after_half_of_the_body_lines() -> None:
    variant = partial_variant(problem("""\
        a = 1
        b = 2

        c = 3
        return a + b + c
    """))
    assert variant is not None  # 5 lines, blank one included: 2 go to the prompt
    assert variant.prompt.endswith('"""\n    a = 1\n    b = 2\n')
    assert variant.canonical_solution == "\n    c = 3\n    return a + b + c\n"
    assert partial_variant(variant) is variant  # already partial


def test_a_one_line_body_has_no_partial_variant() -> None:
    assert partial_variant(problem("return x\n")) is None


def test_the_cut_never_falls_inside_a_multiline_string() -> None:
    # 5 lines: the cut after line 2 would fall inside the string, so it moves back to after line 1
    variant = partial_variant(problem('y = 1\ns = """a\nb\nc"""\nreturn s\n'))
    assert variant is not None and variant.prompt.endswith('"""\n    y = 1\n')
    assert variant.canonical_solution == '    s = """a\n    b\n    c"""\n    return s\n'
    assert ast.parse(join_at_marker(variant))


def test_the_cut_never_follows_a_backslash_continuation() -> None:
    # 3 lines: the cut after line 1 would follow the backslash, and there is no earlier line
    assert partial_variant(problem("y = x + \\\n    1\nreturn y\n")) is None


def test_the_cut_may_fall_inside_brackets() -> None:
    variant = partial_variant(problem("y = [\n    1,\n    2,\n]\nreturn y\n"))
    assert variant is not None and variant.prompt.endswith("\n    y = [\n        1,\n")
    joined = join_at_marker(variant)
    assert f"        {SPLIT_MARKER}\n        2,\n" in joined
    ast.parse(joined)  # a comment is legal inside brackets


def test_the_cut_never_falls_inside_a_multiline_fstring() -> None:
    variant = partial_variant(problem('y = 1\ns = f"""{x}\n{y}\nend"""\nreturn s\n'))
    assert variant is not None and variant.prompt.endswith('"""\n    y = 1\n')


def test_join_at_marker_puts_the_marker_at_the_indent_of_the_rest() -> None:
    variant = partial_variant(problem("for i in x:\n    if i:\n        return i\nreturn None\n"))
    assert variant is not None
    assert join_at_marker(variant) == (
        variant.prompt + f"            {SPLIT_MARKER}\n" + "            return i\n    return None\n"
    )


@pytest.mark.parametrize("dataset", ["humaneval", "builtin", "mbpp"])
def test_join_and_split_round_trip_and_the_joined_program_parses(dataset: str, request: pytest.FixtureRequest) -> None:
    mbpp_path = request.getfixturevalue("mbpp_path") if dataset == "mbpp" else None
    unparsable = {"MBPP/64", "MBPP/966"}  # their canonical solutions do not parse, with or without a marker
    partials = load_problems(dataset, partial=True, mbpp_path=mbpp_path)
    assert partials
    for variant in partials:
        joined = join_at_marker(variant)
        assert split_at_marker(joined) == (variant.prompt, variant.canonical_solution)
        if variant.task_id not in unparsable:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # MBPP's invalid escape sequences such as "\d"
                ast.parse(joined)
            # the marker is a comment of its own line: removing it gives back the reference program
            lines = [line for line in joined.split("\n") if line.strip() != SPLIT_MARKER]
            assert "\n".join(lines) == variant.reference_program


def test_mbpp_has_a_partial_variant_for_every_problem(mbpp_path: str) -> None:
    assert len(load_problems("mbpp", partial=True, mbpp_path=mbpp_path)) == 974


def test_split_at_marker_keeps_what_a_transform_did_on_both_sides() -> None:
    source = f"def f(x):\n    VAR_0 = x\n    {SPLIT_MARKER}\n    return VAR_0\n"
    assert split_at_marker(source) == ("def f(x):\n    VAR_0 = x\n", "    return VAR_0\n")
    assert split_at_marker(f"def f():\n    pass\n    {SPLIT_MARKER}") == ("def f():\n    pass\n", "")


@pytest.mark.parametrize(("source", "count"), [("def f():\n    pass\n", 0),
                                                (f"{SPLIT_MARKER}\nx = 1\n{SPLIT_MARKER}\n", 2)])
def test_split_at_marker_refuses_a_lost_or_copied_marker(source: str, count: int) -> None:
    message = f"expected the split marker once in the transformed program, found it {count} times"
    with pytest.raises(ValueError, match=message):
        split_at_marker(source)
