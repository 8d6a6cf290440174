from __future__ import annotations

import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_recode.models import truncate_completion
from pytest_recode.problems import Problem, load_problems


def d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture(scope="module")
def humaneval() -> dict[str, Problem]:
    return {p.task_id: p for p in load_problems("humaneval")}


# ReCode's truncation keeps only the first top-level function of prompt + completion: for these four the
# prompt itself defines a helper first, and the completion came back empty.
@pytest.mark.parametrize("task_id", ["HumanEval/10", "HumanEval/32", "HumanEval/38", "HumanEval/50"])
def test_prompt_with_a_helper_keeps_the_completion(humaneval: dict[str, Problem], task_id: str) -> None:
    problem = humaneval[task_id]
    tail = '\n\nif __name__ == "__main__":\n    import doctest\n    doctest.testmod()\n'
    out = truncate_completion(problem.prompt, problem.canonical_solution + tail, problem.entry_point)
    assert out == problem.canonical_solution
    assert out.strip()


def test_every_canonical_solution_survives_with_helper_and_junk(humaneval: dict[str, Problem]) -> None:
    helper = "\n\ndef _helper(x):\n    return x\n"
    junk = '\n\n# Example usage\nif __name__ == "__main__":\n    print(1)\n'
    for problem in humaneval.values():
        out = truncate_completion(problem.prompt, problem.canonical_solution + helper + junk, problem.entry_point)
        assert out == problem.canonical_solution + helper, problem.task_id


PROMPT = d('''
    def add(a, b):
        """Add."""
    ''')


@pytest.mark.parametrize(
    ("completion", "expected"),
    [
        # nothing to cut: unchanged, byte for byte
        ("    return a + b\n", "    return a + b\n"),
        ("    return a + b", "    return a + b"),
        # top-level code after the body
        ("    return a + b\nprint(add(1, 2))\n", "    return a + b\n"),
        ("    return a + b\n\nassert add(1, 2) == 3\n", "    return a + b\n"),
        ("    return a + b\n\n\nresult = add(1, 2)\n", "    return a + b\n"),
        ("    return a + b\n\nfor i in range(3):\n    add(i, i)\n", "    return a + b\n"),
        ("    return a + b\n```\n\nThis adds.", "    return a + b\n"),
        ('    return a + b\n\n\n# Test\nif __name__ == "__main__":\n    main()\n', "    return a + b\n"),
        # helpers, classes, imports and decorated functions after the body are kept
        (
            "    return _plus(a, b)\n\n\ndef _plus(a, b):\n    return a + b\n\nprint(1)\n",
            "    return _plus(a, b)\n\n\ndef _plus(a, b):\n    return a + b\n",
        ),
        (
            "    return Adder().run(a, b)\n\nimport math\n\n@dataclass\nclass Adder:\n    pass\nadd(1, 2)\n",
            "    return Adder().run(a, b)\n\nimport math\n\n@dataclass\nclass Adder:\n    pass\n",
        ),
        (
            "    return a + b\n\nasync def later():\n    pass\n",
            "    return a + b\n\nasync def later():\n    pass\n",
        ),
        # a second definition of the function under test would replace the one the prompt began
        ("    return a + b\n\ndef add(a, b):\n    return 0\n", "    return a + b\n"),
        # a column-0 line inside a string is not top-level code
        (
            '    s = """\nprint(1)\n"""\n    return a + b\nprint(2)\n',
            '    s = """\nprint(1)\n"""\n    return a + b\n',
        ),
        # only a Markdown fence or other junk: nothing of the body survives, so nothing is kept
        ("\nprint(1)\n", ""),
    ],
)
def test_cases(completion: str, expected: str) -> None:
    assert truncate_completion(PROMPT, completion, "add") == expected


def test_text_cut_mid_token_still_drops_obvious_top_level_code() -> None:
    completion = '    return a + b\nprint("unterminated\n'
    assert truncate_completion(PROMPT, completion, "add") == "    return a + b\n"


def test_unterminated_string_in_body_is_left_alone() -> None:
    assert truncate_completion(PROMPT, "    return 'abc\n", "add") == "    return 'abc\n"


def test_prompt_ending_mid_line() -> None:
    prompt = "def f(x):\n    return x +"
    assert truncate_completion(prompt, " 1\nprint(f(1))\n", "f") == " 1\n"


def test_entry_point_defined_by_the_completion() -> None:
    prompt = "# Write f.\n"
    completion = "def f(x):\n    return x\n\nprint(f(1))\n"
    assert truncate_completion(prompt, completion, "f") == "def f(x):\n    return x\n"


_LINES = st.sampled_from(
    ["    x = 1", "    return x", "", "print(x)", "assert x", "def g():", "    pass", "# note", "```", "if x:", "    y = [", "]"]
)


@given(st.lists(_LINES, max_size=12))
def test_result_is_a_prefix_up_to_trailing_space(lines: list[str]) -> None:
    completion = "\n".join(lines) + "\n"
    out = truncate_completion(PROMPT, completion, "add")
    assert completion.startswith(out.rstrip())
    if out != completion:
        assert out == "" or out.endswith("\n") and not out.endswith("\n\n")
        # idempotent: cutting again changes nothing
        assert truncate_completion(PROMPT, out, "add") == out
