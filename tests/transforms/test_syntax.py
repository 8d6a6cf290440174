"""Syntax transforms: exact before/after pairs on partial code, one behaviour per test."""

from __future__ import annotations

import random
import textwrap

import pytest

from pytest_recode.problems import Problem
from pytest_recode.transforms import Edit, NotApplicable, Perturbation, get_transform

CUT = "# cut\n"


def problem(code: str, *, entry_point: str = "f", test: str = "def check(candidate):\n    pass\n") -> Problem:
    """A partial-code problem from dedented code whose line ``# cut`` ends the prompt."""
    prompt, rest = textwrap.dedent(code).split(CUT)
    return Problem("T/0", prompt, entry_point, rest, test, partial=True)


def show(p: Problem) -> str:
    return p.prompt + CUT + p.canonical_solution


def perturbed(name: str, code: str, edits: list[Edit] | None = None, **kwargs: str) -> str:
    transform = get_transform(name)
    source = problem(code, **kwargs)
    result = transform.perturb_with(source, edits if edits is not None else [Edit(0)])
    assert isinstance(result, Perturbation), result
    return show(result.perturbed)


def not_applicable(name: str, code: str) -> str:
    result = get_transform(name).perturb(problem(code))
    assert isinstance(result, NotApplicable), result
    return result.reason


# -- DeadCodeInserter ---------------------------------------------------------------------------------
LOOP = """\
    def f(xs):
        \"\"\"Sum of xs.\"\"\"
        total = 0
        for x in xs:
            total += x
    # cut
        return total
    """


def test_dead_code_copies_the_nearest_statement_under_if_false() -> None:
    assert perturbed("DeadCodeInserter", LOOP) == textwrap.dedent("""\
        def f(xs):
            \"\"\"Sum of xs.\"\"\"
            if False:
                total = 0
            total = 0
            for x in xs:
                total += x
        # cut
            return total
        """)


@pytest.mark.parametrize(
    ("option", "block"),
    [
        (1, "    while False:\n        total = 0\n"),
        (2, "    for _i_0 in range(0):\n        total = 0\n"),
        (3, "    _i_0 = 0\n    if _i_0 < _i_0:\n        total = 0\n"),
    ],
)
def test_dead_code_wrappers(option: int, block: str) -> None:
    result = perturbed("DeadCodeInserter", LOOP, [Edit(0, option)])
    assert result == textwrap.dedent(LOOP).replace('"""Sum of xs."""\n', '"""Sum of xs."""\n' + block)


def test_dead_code_never_goes_above_the_docstring_or_outside_functions() -> None:
    sites = get_transform("DeadCodeInserter").sites(problem(LOOP))
    assert [s.location for s in sites] == [
        "dead code before line 3",
        "dead code before line 4",
        "dead code before line 5",
        "dead code before line 6",
    ]


def test_dead_code_counter_name_avoids_names_in_use() -> None:
    code = LOOP.replace("total", "_i_0")
    result = perturbed("DeadCodeInserter", code, [Edit(0, 2)])
    assert "for _i_01 in range(0):\n        _i_0 = 0\n" in result


def test_dead_code_break_copy_goes_in_a_dead_loop_outside_loops() -> None:
    code = """\
        def f(xs):
            for x in xs:
                if x:
                    break
            y = 1
        # cut
            return y
        """
    transform = get_transform("DeadCodeInserter")
    sites = transform.sites(problem(code))
    first = sites[0]  # before `for x in xs:`, outside any loop: a copy of `if x: break` needs a dead loop
    bare = [o.split("\n")[0].strip() for o in first.options if o.split("\n")[1].strip() == "if x:"]
    assert bare == ["while False:", "for _i_0 in range(0):"]
    whole_loop = [o.split("\n")[0].strip() for o in first.options if o.split("\n")[1].strip() == "for x in xs:"]
    assert "if False:" in whole_loop  # its break belongs to the copied loop
    inside = sites[1]  # before `if x:`, inside the loop: any wrapper will do
    assert any(o.startswith("        if False:\n            if x:") for o in inside.options)


def test_dead_code_sample_takes_one_site_and_is_deterministic() -> None:
    transform = get_transform("DeadCodeInserter")
    source = problem(LOOP)
    variants = [transform.perturb(source, seed) for seed in range(5)]
    assert all(isinstance(v, Perturbation) and v.size == 1 for v in variants)
    assert [v.perturbed for v in variants] == [transform.perturb(source, s).perturbed for s in range(5)]  # type: ignore[union-attr]


def test_dead_code_last_goes_right_before_the_cut() -> None:
    assert perturbed("DeadCodeInserterLast", LOOP) == textwrap.dedent("""\
        def f(xs):
            \"\"\"Sum of xs.\"\"\"
            total = 0
            for x in xs:
                total += x
                if False:
                    total += x
        # cut
            return total
        """)


def test_dead_code_last_opens_the_block_after_a_header() -> None:
    code = """\
        def f(xs):
            total = 0
            for x in xs:
        # cut
                total += x
            return total
        """
    assert perturbed("DeadCodeInserterLast", code) == textwrap.dedent("""\
        def f(xs):
            total = 0
            for x in xs:
                if False:
                    total = 0
        # cut
                total += x
            return total
        """)


def test_dead_code_not_applicable_without_a_statement_to_copy() -> None:
    code = '''\
        def f(xs):
            """Only a docstring in the prompt."""
        # cut
            return xs
        '''
    assert "no statement of a function in the prompt to copy" in not_applicable("DeadCodeInserter", code)


# -- OperandSwap --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("a < b", "b > a"),
        ("a <= b", "b >= a"),
        ("a >= b", "b <= a"),
        ("a == b", "b == a"),
        ("a != b", "b != a"),
        ("a is not None", "None is not a"),
        ("len(a) > b[0]", "b[0] < len(a)"),
        ("(a + 1)  <  b", "b  >  (a + 1)"),
    ],
)
def test_operand_swap_mirrors_the_operator(before: str, after: str) -> None:
    code = f"def f(a, b):\n    if {before}:\n# cut\n        return 1\n"
    assert perturbed("OperandSwap", code) == f"def f(a, b):\n    if {after}:\n# cut\n        return 1\n"


def test_operand_swap_keeps_tokens_apart() -> None:
    # `x=="a"or y` swapped naively gives `"a"==xor y`, which does not parse.
    code = 'def f(x, y):\n    if x=="a"or y:\n# cut\n        return 1\n'
    assert perturbed("OperandSwap", code) == 'def f(x, y):\n    if "a"==x or y:\n# cut\n        return 1\n'


@pytest.mark.parametrize(
    "test",
    [
        "a < b < c",  # a chain: swapping changes which comparison short-circuits first
        "a in b",  # no mirror
        "a.pop() < b.pop()",  # both sides have effects: their order matters
        "(b := a) < b",  # a walrus binds what the other side reads
    ],
)
def test_operand_swap_leaves_what_it_cannot_swap_safely(test: str) -> None:
    code = f"def f(a, b, c):\n    if {test}:\n# cut\n        return 1\n"
    assert "no comparison whose operands can be swapped" in not_applicable("OperandSwap", code)


def test_operand_swap_keeps_the_outer_of_nested_comparisons() -> None:
    code = "def f(a, b, c):\n    return (a < b) == (b < c)\n# cut\n"
    assert perturbed("OperandSwap", code) == "def f(a, b, c):\n    return (b < c) == (a < b)\n# cut\n"


# -- VarRenamerNaive / VarRenamerRN --------------------------------------------------------------------
def test_var_renamer_naive_renames_the_most_used_variable_on_both_sides_of_the_cut() -> None:
    assert perturbed("VarRenamerNaive", LOOP) == textwrap.dedent("""\
        def f(xs):
            \"\"\"Sum of xs.\"\"\"
            VAR_0 = 0
            for x in xs:
                VAR_0 += x
        # cut
            return VAR_0
        """)


def test_var_renamer_naive_numbers_further_variables() -> None:
    sites = get_transform("VarRenamerNaive").sites(problem(LOOP))
    assert [(s.original, s.options) for s in sites] == [("total", ("VAR_0",)), ("xs", ("VAR_1",)), ("x", ("VAR_2",))]


def test_var_renamer_rn_names_have_the_same_length_and_differ_by_seed() -> None:
    transform = get_transform("VarRenamerRN")
    source = problem(LOOP)
    names = set()
    for seed in range(5):
        result = transform.perturb(source, seed)
        assert isinstance(result, Perturbation) and result.edits[0].site == 0
        new = transform.sites(source)[0].options[result.edits[0].option]
        assert len(new) == len("total") and new.isalnum() and new[0].isalpha()
        assert show(result.perturbed) == show(source).replace("total", new)
        names.add(new)
    assert len(names) > 1


def test_var_renamer_rn_one_letter_names_stay_distinct_across_sites() -> None:
    code = "def f(a, b, c, d):\n    e = a + b + c + d\n# cut\n    return e\n"
    sites = get_transform("VarRenamerRN").sites(problem(code))
    options = [o for s in sites for o in s.options]
    assert len(options) == len(set(options))  # any subset of sites can be applied together
    assert all(len(o) == 1 for o in sites[0].options)  # longer only once one-letter names run out


def test_randomized_flags_follow_recode() -> None:
    flags = {n: get_transform(n).randomized for n in
             ["DeadCodeInserter", "DeadCodeInserterLast", "ForWhileTransformer", "OperandSwap",
              "VarRenamerNaive", "VarRenamerRN", "VarRenamerCB"]}
    assert flags == {"DeadCodeInserter": True, "DeadCodeInserterLast": False, "ForWhileTransformer": False,
                     "OperandSwap": False, "VarRenamerNaive": False, "VarRenamerRN": True, "VarRenamerCB": False}


def test_apply_with_no_edits_is_the_identity() -> None:
    for name in ["DeadCodeInserter", "ForWhileTransformer", "OperandSwap", "VarRenamerNaive"]:
        source = problem(LOOP)
        assert get_transform(name).apply(source, []) == source


def test_sample_uses_only_the_generator() -> None:
    transform = get_transform("DeadCodeInserter")
    source = problem(LOOP)
    sites = transform.sites(source)
    assert transform.sample(source, random.Random(3), sites) == transform.sample(source, random.Random(3), sites)


def test_dead_code_copies_the_header_of_a_block_the_prompt_stops_in() -> None:
    # Partial code often ends inside a loop: its header, with `pass` for a body, is a copy that shows nothing
    # of the hidden rest.
    code = """\
        def f(a, b):
            \"\"\"Greatest common divisor.\"\"\"
            while b:
        # cut
                a, b = b, a % b
            return a
        """
    assert perturbed("DeadCodeInserterLast", code) == textwrap.dedent("""\
        def f(a, b):
            \"\"\"Greatest common divisor.\"\"\"
            while b:
                if False:
                    while b:
                        pass
        # cut
                a, b = b, a % b
            return a
        """)
