"""ForWhileTransformer: ReCode's index and counter loops where they are exact, the iterator elsewhere;
exact before/after pairs, one behaviour per test, and every shape run on HumanEval's solutions."""

from __future__ import annotations

import textwrap

import pytest

from pytest_recode.problems import Problem, load_problems, partial_variant
from pytest_recode.transforms import Edit, NotApplicable, Perturbation, get_transform

CUT = "# cut\n"
NO_CALLS = "def check(candidate):\n    pass\n"


def problem(code: str, test: str = NO_CALLS) -> Problem:
    prompt, rest = textwrap.dedent(code).split(CUT)
    return Problem("T/0", prompt, "f", rest, test, partial=True)


def rewritten(code: str, test: str = NO_CALLS, edits: list[Edit] | None = None) -> str:
    result = get_transform("ForWhileTransformer").perturb_with(problem(code, test), edits or [Edit(0)])
    assert isinstance(result, Perturbation), result
    return result.perturbed.prompt + CUT + result.perturbed.canonical_solution


def shapes(code: str, test: str = NO_CALLS) -> list[str]:
    """The first line of each option of the first loop: which shapes it offers, ReCode's first."""
    [first, *_] = get_transform("ForWhileTransformer").sites(problem(code, test))
    return [option.split("\n")[0] for option in first.options]


SUM = "def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n# cut\n    return total\n"
LISTS = "def check(candidate):\n    assert candidate([1, 2]) == 3\n    assert candidate([]) == 0\n"


# -- the iterator, exact for every iterable ---------------------------------------------------------
def test_an_iterable_of_unknown_kind_is_driven_through_its_iterator() -> None:
    assert rewritten(SUM) == (
        "def f(xs):\n    total = 0\n    _x_iter = iter(xs)\n    while True:\n        try:\n"
        "            x = next(_x_iter)\n        except StopIteration:\n            break\n        total += x\n# cut\n    return total\n"
    )


def test_the_iterator_shape_follows_tab_indentation() -> None:
    code = "def f(xs):\n\tfor x in xs:\n\t\tprint(x)\n# cut\n\treturn xs\n"
    assert rewritten(code) == (
        "def f(xs):\n\t_x_iter = iter(xs)\n\twhile True:\n\t\ttry:\n\t\t\tx = next(_x_iter)\n"
        "\t\texcept StopIteration:\n\t\t\tbreak\n\t\tprint(x)\n# cut\n\treturn xs\n"
    )


# -- ReCode's index loop over a sequence -----------------------------------------------------------
def test_a_parameter_the_tests_pass_a_list_gets_recodes_index_loop() -> None:
    assert rewritten(SUM, LISTS) == (
        "def f(xs):\n    total = 0\n    _x_i = 0\n    while _x_i < len(xs):\n        x = xs[_x_i]\n"
        "        total += x\n        _x_i += 1\n# cut\n    return total\n"
    )


def test_the_index_shape_comes_first_and_the_iterator_stays_an_option() -> None:
    assert shapes(SUM, LISTS) == ["_x_i = 0", "_x_iter = iter(xs)"]


def test_a_continue_gets_the_increment_before_the_body() -> None:
    code = ("def f(xs):\n    n = 0\n    for x in xs:\n        if x:\n            continue\n        n += 1\n"
            "# cut\n    return n\n")
    assert rewritten(code, LISTS) == (
        "def f(xs):\n    n = 0\n    _x_i = 0\n    while _x_i < len(xs):\n        x = xs[_x_i]\n        _x_i += 1\n"
        "        if x:\n            continue\n        n += 1\n# cut\n    return n\n"
    )


def test_a_loop_that_ends_the_program_without_a_newline_gets_its_increment_on_a_line_of_its_own() -> None:
    code = "def f(xs):\n    n = 0\n    for x in xs:\n# cut\n        n += x"
    assert rewritten(code, LISTS).endswith("# cut\n        n += x\n        _x_i += 1\n")


def test_when_the_body_ends_in_the_hidden_rest_so_does_the_increment() -> None:
    code = "def f(xs):\n    n = 0\n    for x in xs:\n        n += x\n# cut\n        n -= 1\n    return n\n"
    assert rewritten(code, LISTS) == (
        "def f(xs):\n    n = 0\n    _x_i = 0\n    while _x_i < len(xs):\n        x = xs[_x_i]\n        n += x\n"
        "# cut\n        n -= 1\n        _x_i += 1\n    return n\n"
    )


@pytest.mark.parametrize(
    ("loop", "test"),
    [
        ("for c in 'abc':", NO_CALLS),  # a string literal
        ("for x in [1, 2, 3]:", NO_CALLS),  # a list of literals
        ("for w in s.split():", "def check(candidate):\n    assert candidate('a b') == 1\n"),  # a str method
        ("for x in sorted(s):", NO_CALLS),  # a builtin that makes a list
        ("for x in s[1:]:", "def check(candidate):\n    assert candidate('ab') == 1\n"),  # a slice of a string
    ],
)
def test_other_sequences_get_the_index_loop(loop: str, test: str) -> None:
    code = f"def f(s):\n    n = 0\n    {loop}\n        n += 1\n# cut\n    return n\n"
    assert shapes(code, test)[0].endswith("_i = 0")


def test_a_local_bound_only_to_lists_gets_the_index_loop() -> None:
    code = "def f(n):\n    ys = [1, 2]\n    for y in ys:\n        n += y\n# cut\n    return n\n"
    assert shapes(code)[0] == "_y_i = 0"


@pytest.mark.parametrize(
    ("code", "test"),
    [
        # the tests pass a dict: it has no index
        ("def f(d):\n    for k in d:\n        print(k)\n# cut\n    return d\n",
         "def check(candidate):\n    assert candidate({1: 2}) == {1: 2}\n"),
        # the tests pass something they compute: unknown
        ("def f(xs):\n    for x in xs:\n        print(x)\n# cut\n    return xs\n",
         "def check(candidate):\n    assert candidate(list(range(3))) == [0, 1, 2]\n"),
        # the body rebinds the name: `for` would go on over the old list
        ("def f(xs):\n    for x in xs:\n        xs = xs[1:]\n# cut\n    return xs\n", LISTS),
        # the function rebinds the parameter
        ("def f(xs):\n    xs = set(xs)\n    for x in xs:\n        print(x)\n# cut\n    return xs\n", LISTS),
        # re-evaluated at every turn, the slice would see the appends
        ("def f(xs):\n    for x in xs[:]:\n        xs.append(x)\n# cut\n    return xs\n", LISTS),
        # a generator has no index
        ("def f(n):\n    for x in (i for i in range(n)):\n        print(x)\n# cut\n    return n\n", NO_CALLS),
        # the program calls the entry point itself: what the tests pass says nothing of its own calls
        ("def f(xs):\n    for x in xs:\n        f(set(xs))\n# cut\n    return xs\n", LISTS),
        # a nested function binds the name of its own: the outer name may be anything
        ("def f(n):\n    def g():\n        ys = [1]\n        return ys\n    for y in ys:\n        print(y)\n"
         "# cut\n    return g\n", NO_CALLS),
        # the loop rebinds what it iterates
        ("def f(s):\n    for s in s.split():\n        print(s)\n# cut\n    return s\n",
         "def check(candidate):\n    assert candidate('a b') == 'b'\n"),
    ],
)
def test_no_index_loop_where_it_would_change_the_meaning(code: str, test: str) -> None:
    assert shapes(code, test)[0].endswith("= iter(" + code.split(" in ", 1)[1].split(":\n")[0] + ")")


def test_appending_to_the_list_in_the_body_behaves_as_under_for() -> None:
    # A list iterator indexes and checks the length at every turn too: the index loop sees the appends.
    code = "def f(xs):\n    for x in xs:\n        if x < 3:\n            xs.append(x + 3)\n# cut\n    return xs\n"
    assert shapes(code, LISTS)[0] == "_x_i = 0"


# -- ReCode's counter loop over range -----------------------------------------------------------------
def test_a_range_loop_becomes_recodes_counter_loop() -> None:
    code = "def f(n):\n    total = 0\n    for i in range(1, n, 2):\n        total += i\n# cut\n    return total\n"
    assert rewritten(code) == (
        "def f(n):\n    total = 0\n    i = 1\n    while i < n:\n        total += i\n        i += 2\n"
        "# cut\n    return total\n"
    )


def test_a_negative_step_counts_down() -> None:
    code = "def f(n):\n    out = []\n    for i in range(n, 0, -1):\n        out.append(i)\n# cut\n    return out\n"
    prompt = rewritten(code).split("# cut")[0]
    assert prompt.endswith("    i = n\n    while i > 0:\n        out.append(i)\n        i -= 1\n")


@pytest.mark.parametrize(
    "body",
    [
        "        if i == 2:\n            continue\n        total += i\n",  # continue would skip the increment
        "        total += i\n        i = 0\n",  # the body assigns the variable
        "        fs.append(lambda: i)\n",  # a closure sees where the variable ends
    ],
)
def test_the_loop_variable_counts_only_where_nothing_can_tell(body: str) -> None:
    code = f"def f(n):\n    total = 0\n    fs = []\n    for i in range(n):\n{body}# cut\n    return total, fs\n"
    assert rewritten(code).split("# cut")[0].endswith(
        "    _i_i = 0\n    while _i_i < n:\n        i = _i_i\n        _i_i += 1\n" + body
    )


def test_a_variable_read_after_the_loop_gets_a_fresh_counter() -> None:
    code = "def f(n):\n    i = -1\n    for i in range(n):\n        pass\n# cut\n    return i\n"
    assert "    i = _i_i\n" in rewritten(code)


def test_a_later_loop_over_the_same_name_does_not_read_it() -> None:
    code = ("def f(n):\n    t = 0\n    for i in range(n):\n        t += i\n    for i in range(2):\n        t -= i\n"
            "# cut\n    return t\n")
    assert rewritten(code).startswith("def f(n):\n    t = 0\n    i = 0\n    while i < n:\n")


def test_a_bound_the_body_may_change_is_read_once() -> None:
    code = "def f(xs):\n    for i in range(len(xs)):\n        xs.append(i)\n# cut\n    return xs\n"
    assert rewritten(code).startswith(
        "def f(xs):\n    i = 0\n    _i_stop = len(xs)\n    while i < _i_stop:\n        xs.append(i)\n        i += 1\n"
    )


def test_a_bound_that_reads_the_loop_variable_is_read_once() -> None:
    code = "def f(n):\n    t = 0\n    for i in range(n - t):\n        t += 1\n# cut\n    return t\n"
    assert rewritten(code).startswith("def f(n):\n    t = 0\n    i = 0\n    _i_stop = n - t\n    while i < _i_stop:\n")


def test_range_with_a_step_that_is_not_a_literal_keeps_the_iterator() -> None:
    code = "def f(n, k):\n    for i in range(0, n, k):\n        print(i)\n# cut\n    return n\n"
    assert shapes(code) == ["_i_iter = iter(range(0, n, k))"]


# -- what is left, and the seeded choice --------------------------------------------------------------
@pytest.mark.parametrize(
    "loop",
    [
        "for x in xs:\n        print(x)\n    else:\n        print(0)\n",  # else clause
        "for x.attr in xs:\n        print(x)\n",  # attribute target
        "for x in xs: print(x)\n",  # one-line body
    ],
)
def test_loops_it_cannot_rewrite_exactly_are_left(loop: str) -> None:
    code = f"def f(xs):\n    {loop}# cut\n    return xs\n"
    result = get_transform("ForWhileTransformer").perturb(problem(code))
    assert isinstance(result, NotApplicable) and "no for loop to rewrite" in result.reason


def test_when_next_is_rebound_only_recodes_shapes_remain() -> None:
    code = "def f(xs):\n    next = 1\n    for x in xs:\n        print(x)\n# cut\n    return next\n"
    result = get_transform("ForWhileTransformer").perturb(problem(code))
    assert isinstance(result, NotApplicable) and "rebinds 'next'" in result.reason
    assert shapes(code, LISTS) == ["_x_i = 0"]


def test_tuple_targets_comments_and_bare_tuples() -> None:
    code = "def f(d):\n    for k, v in (1, 2), (3, 4):  # pairs\n        print(k)\n# cut\n    return d\n"
    assert rewritten(code) == (
        "def f(d):\n    _k_i = 0\n    while _k_i < len(((1, 2), (3, 4))):  # pairs\n"
        "        k, v = ((1, 2), (3, 4))[_k_i]\n"
        "        print(k)\n        _k_i += 1\n# cut\n    return d\n"
    )


def test_the_seeded_variant_rewrites_the_outermost_loop_first() -> None:
    code = ("def f(n):\n    t = 0\n    if n:\n        for j in range(n):\n            t += j\n"
            "    for i in range(n):\n        t += i\n# cut\n    return t\n")
    result = get_transform("ForWhileTransformer").perturb(problem(code))
    assert isinstance(result, Perturbation) and len(result.edits) == 1
    assert "for j in range(n)" in result.perturbed.prompt and "for i in" not in result.perturbed.prompt


def test_the_seeded_variant_leaves_the_prompt_when_the_first_loop_is_in_the_hidden_rest() -> None:
    code = ("def f(n):\n    t = 0\n    if n:\n        for j in range(n):\n# cut\n            t += j\n"
            "    for i in range(n):\n        t += i\n    return t\n")
    transform = get_transform("ForWhileTransformer")
    assert len(transform.sites(problem(code))) == 1  # the loop of the prompt is still there to search
    result = transform.perturb(problem(code))
    assert isinstance(result, Perturbation) and not result.changed


# -- every shape on HumanEval ----------------------------------------------------------------------
def _passes(candidate: Problem) -> bool:
    namespace: dict[str, object] = {}
    exec(candidate.prompt + candidate.canonical_solution + "\n" + candidate.test, namespace)  # noqa: S102
    namespace["check"](namespace[candidate.entry_point])  # type: ignore[operator]
    return True


@pytest.mark.slow
def test_every_loop_shape_keeps_humaneval_solutions_passing() -> None:
    transform = get_transform("ForWhileTransformer")
    checked = 0
    for nominal in load_problems("humaneval"):
        # The partial-code variant, and the whole solution shown, so that every loop of it is a site.
        shown = nominal.with_changes(prompt=nominal.prompt + nominal.canonical_solution, canonical_solution="")
        for source in (partial_variant(nominal) or nominal, shown):
            for index, site in enumerate(transform.sites(source)):
                for option in range(len(site.options)):
                    changed = transform.apply(source, [Edit(index, option)])
                    assert _passes(changed), (source.task_id, index, option)
                    checked += 1
    assert checked >= 300
