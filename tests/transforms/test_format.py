"""Format transforms: exact before/after pairs, one behaviour per test."""

from __future__ import annotations

import textwrap

import pytest

from pytest_recode.problems import Problem
from pytest_recode.transforms import Edit, NotApplicable, Perturbation, get_transform

CUT = "# cut\n"


def problem(code: str) -> Problem:
    prompt, rest = textwrap.dedent(code).split(CUT)
    return Problem("T/0", prompt, "f", rest, "def check(candidate):\n    pass\n", partial=True)


def show(p: Problem) -> str:
    return p.prompt + CUT + p.canonical_solution


def perturbed(name: str, code: str, edits: list[Edit] | None = None) -> str:
    result = get_transform(name).perturb_with(problem(code), edits if edits is not None else [Edit(0)])
    assert isinstance(result, Perturbation), result
    return show(result.perturbed)


PROGRAM = '''\
    def f(values, sep):
        """Join values.

            >>> f(['a'], '-')
        """
        pattern = """keep
        this"""
        # a comment
        out = sep.join(v for v in values
                       if v)
    # cut
        return out
    '''


# -- tab_indent -------------------------------------------------------------------------------------
def test_tab_indent_turns_every_four_leading_spaces_into_a_tab_as_recode_does() -> None:
    assert perturbed("tab_indent", PROGRAM) == (
        "def f(values, sep):\n"
        '\t"""Join values.\n'
        "\n"
        "\t\t>>> f(['a'], '-')\n"  # docstring lines too, deeper ones included
        '\t"""\n'
        '\tpattern = """keep\n'
        '    this"""\n'  # inside a string that is data: unchanged
        "\t# a comment\n"
        "\tout = sep.join(v for v in values\n"
        "\t\t\t\t   if v)\n"  # a continuation line: 19 spaces, four tabs and three spaces
        "# cut\n"
        "\treturn out\n"
    )


def test_tab_indent_gives_a_tab_per_level_where_four_spaces_are_no_level() -> None:
    # Two-space blocks: a tab for four spaces would make `if` (2 spaces) and its body (one tab) ambiguous.
    code = "def f(a, b):\n  if a:\n    return b\n# cut\n  return a\n"
    assert perturbed("tab_indent", code) == "def f(a, b):\n\tif a:\n\t\treturn b\n# cut\n\treturn a\n"
    deeper = "def f(xs):\n    values = [1,\n              2]\n# cut\n    return values\n"
    assert perturbed("tab_indent", deeper) == "def f(xs):\n\tvalues = [1,\n\t\t\t  2]\n# cut\n\treturn values\n"


def test_tab_indent_turns_tabs_into_four_spaces_per_level() -> None:
    code = "def f(xs):\n\tfor x in xs:\n\t\tif x:\n# cut\n\t\t\treturn x\n\treturn None\n"
    assert perturbed("tab_indent", code) == (
        "def f(xs):\n    for x in xs:\n        if x:\n# cut\n            return x\n    return None\n"
    )


def test_tab_indent_is_one_site_for_the_whole_program() -> None:
    sites = get_transform("tab_indent").sites(problem(PROGRAM))
    assert [(s.location, s.original, s.options) for s in sites] == [("indentation", "    ", ("tabs",))]


# -- split_lines ------------------------------------------------------------------------------------
def test_split_lines_breaks_the_longest_line_near_its_middle() -> None:
    code = "def f(values, sep):\n    out = sep.join(v for v in values)\n# cut\n    return out\n"
    assert perturbed("split_lines", code) == (
        "def f(values, sep):\n    out = sep.join(v \\\n        for v in values)\n# cut\n    return out\n"
    )


def test_split_lines_sites_are_lines_longest_first_and_options_gaps_middle_first() -> None:
    # Longest as ReCode measures it, whitespace aside: "deff(a,b):" (10) before "returna+b" (9).
    code = "def f(a, b):\n    return a + b\n# cut\n"
    sites = get_transform("split_lines").sites(problem(code))
    assert [s.location for s in sites] == ["line 1", "line 2"]
    assert sites[0].options == ("def f(a, \\\n    b):", "def \\\n    f(a, b):")
    assert sites[1].options == ("    return \\\n        a + b", "    return a \\\n        + b",
                                "    return a + \\\n        b")


def test_split_lines_seeded_variant_never_splits_the_entry_points_signature() -> None:
    code = "def f(a, b):\n    return a + b\n# cut\n"
    result = get_transform("split_lines").perturb(problem(code), 0)
    assert isinstance(result, Perturbation) and result.edits == (Edit(1, 0),)
    assert result.perturbed.prompt == "def f(a, b):\n    return \\\n        a + b\n"
    only_signature = get_transform("split_lines").perturb(problem("def f(a, b):\n    pass\n# cut\n"), 0)
    assert isinstance(only_signature, Perturbation) and not only_signature.changed  # as ReCode: nothing to split


def test_split_lines_samples_one_split() -> None:
    result = get_transform("split_lines").perturb(problem(PROGRAM), 0)
    assert isinstance(result, Perturbation) and len(result.edits) == 1 and result.edits[0].option == 0


def test_split_lines_never_splits_inside_strings_or_comments() -> None:
    code = 'def f():\n    x = "a b c d e f g h"  # one two three four\n# cut\n    return x\n'
    sites = get_transform("split_lines").sites(problem(code))
    texts = [option for site in sites for option in site.options]
    assert texts == ['    x = \\\n        "a b c d e f g h"  # one two three four',
                     '    x \\\n        = "a b c d e f g h"  # one two three four',
                     "def \\\n    f():"]


# -- doc2comments -----------------------------------------------------------------------------------
def test_doc2comments_turns_the_docstring_into_comment_lines() -> None:
    assert perturbed("doc2comments", PROGRAM) == textwrap.dedent('''\
        def f(values, sep):
            # Join values.

            # >>> f(['a'], '-')
            pattern = """keep
            this"""
            # a comment
            out = sep.join(v for v in values
                           if v)
        # cut
            return out
        ''')


def test_doc2comments_keeps_backslashes_and_a_trailing_comment() -> None:
    code = 'def f(s):\n    r"""Match \\b\\w+\\b here."""  # note\n# cut\n    return s\n'
    expected = "def f(s):\n    # Match \\b\\w+\\b here.\n    # note\n# cut\n    return s\n"
    assert perturbed("doc2comments", code) == expected


def test_doc2comments_leaves_a_body_that_is_only_a_docstring() -> None:
    code = 'class K:\n    """Only a docstring."""\n\ndef f():\n    """Doc."""\n# cut\n    return 1\n'
    sites = get_transform("doc2comments").sites(problem(code))
    assert [s.location for s in sites] == ["docstring on line 5"]


# -- blank lines ------------------------------------------------------------------------------------
def test_new_lines_sites_are_the_prompts_line_ends_outside_strings() -> None:
    transform = get_transform("new_lines")
    sites = transform.sites(problem(PROGRAM))
    assert [s.location for s in sites] == ["after line 1", "after line 5", "after line 7", "after line 8",
                                           "after line 9", "after line 10"]
    # ReCode's seeded variant draws from the docstring's closing line on.
    assert transform.seeded_sites(problem(PROGRAM)) == [1, 2, 3, 4, 5]  # type: ignore[attr-defined]


def test_new_lines_inserts_blank_lines_after_the_chosen_lines() -> None:
    code = "def f(x):\n    y = x\n    z = y\n# cut\n    return z\n"
    expected = "def f(x):\n    y = x\n\n    z = y\n\n# cut\n    return z\n"
    assert perturbed("new_lines", code, [Edit(1), Edit(2)]) == expected


def test_new_lines_changes_every_seed() -> None:
    transform = get_transform("new_lines")
    source = problem(PROGRAM)
    for seed in range(5):
        result = transform.perturb(source, seed)
        assert isinstance(result, Perturbation) and result.changed and result.size >= 1


def test_new_line_aftercode_appends_a_newline_to_the_prompt() -> None:
    code = "def f(x):\n    y = x\n# cut\n    return y\n"
    assert perturbed("new_line_aftercode", code) == "def f(x):\n    y = x\n\n# cut\n    return y\n"


def test_new_line_afterdoc_inserts_a_blank_line_after_the_docstring() -> None:
    code = 'def f(x):\n    """Doc."""\n    y = x\n# cut\n    return y\n'
    assert perturbed("new_line_afterdoc", code) == 'def f(x):\n    """Doc."""\n\n    y = x\n# cut\n    return y\n'


@pytest.mark.parametrize("name", ["doc2comments", "new_line_afterdoc"])
def test_docstring_transforms_say_when_there_is_no_docstring(name: str) -> None:
    result = get_transform(name).perturb(problem("def f(x):\n    y = x\n# cut\n    return y\n"))
    assert isinstance(result, NotApplicable) and "no docstring" in result.reason


@pytest.mark.parametrize("name", ["tab_indent", "split_lines", "doc2comments", "new_lines", "new_line_aftercode",
                                  "new_line_afterdoc"])
def test_format_transforms_work_on_a_problem_that_is_not_partial(name: str) -> None:
    whole = Problem("T/1", 'def f(x):\n    """Doc."""\n', "f", "    return x\n", "def check(candidate):\n    pass\n")
    result = get_transform(name).perturb(whole)
    # split_lines: the signature is the only line to split, and ReCode's seeded variant never splits it.
    assert isinstance(result, Perturbation) and result.changed == (name != "split_lines")
    compile(result.perturbed.prompt + result.perturbed.canonical_solution, "<test>", "exec")


def test_tab_indent_converts_a_comment_line_above_the_first_statement_of_a_block() -> None:
    code = "def f(x):\n    # the first line of the body is a comment\n    y = x\n# cut\n    return y\n"
    assert perturbed("tab_indent", code) == (
        "def f(x):\n\t# the first line of the body is a comment\n\ty = x\n# cut\n\treturn y\n"
    )
