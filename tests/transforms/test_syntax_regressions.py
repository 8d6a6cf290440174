"""ReCode's defects in its code transforms (RECODE.md, last section), one before/after pair per behaviour."""

from __future__ import annotations

import textwrap

from pytest_recode.problems import Problem
from pytest_recode.transforms import Edit, Perturbation, get_transform

CUT = "# cut\n"


def problem(code: str) -> Problem:
    prompt, rest = textwrap.dedent(code).split(CUT)
    return Problem("T/0", prompt, "f", rest, "def check(candidate):\n    pass\n", partial=True)


def apply(name: str, code: str, edits: list[Edit]) -> str:
    result = get_transform(name).perturb_with(problem(code), edits)
    assert isinstance(result, Perturbation)
    return result.perturbed.prompt + CUT + result.perturbed.canonical_solution


def test_backslashes_survive_a_syntax_transform() -> None:
    # ReCode stripped backslashes from the code: r"\b\w{4,}\b" lost its meaning.
    before = r'''
        import re

        def f(text, n):
            words = re.findall(r"\b\w{4,}\b", text)
            if len(words) > n:
                return "\t".join(words)
        # cut
            return text + \
                "!"
        '''
    after = r'''
        import re

        def f(text, n):
            words = re.findall(r"\b\w{4,}\b", text)
            if n < len(words):
                return "\t".join(words)
        # cut
            return text + \
                "!"
        '''
    assert apply("OperandSwap", before, [Edit(0)]) == textwrap.dedent(after)


def test_no_formatter_touches_unrelated_code() -> None:
    # ReCode ran black over the result, reformatting every line it did not mean to change.
    before = """
        def f( a,b ):
            xs=[1,2 ,3,]   # odd, but theirs
            if a<b :
                return 'single quotes'
        # cut
            return xs
        """
    after = """
        def f( a,b ):
            xs=[1,2 ,3,]   # odd, but theirs
            if b>a :
                return 'single quotes'
        # cut
            return xs
        """
    assert apply("OperandSwap", before, [Edit(0)]) == textwrap.dedent(after)


def test_dead_code_goes_below_future_imports_imports_and_docstrings() -> None:
    # ReCode inserted dead code at the top of the module, above the imports.
    code = '''
        """Module docstring."""
        from __future__ import annotations
        import math

        def f(x):
            """Function docstring."""
            y = math.sqrt(x)
        # cut
            return y
        '''
    sites = get_transform("DeadCodeInserter").sites(problem(code))
    assert [s.location for s in sites] == ["dead code before line 8", "dead code before line 9"]
    assert apply("DeadCodeInserter", code, [Edit(0)]) == textwrap.dedent('''
        """Module docstring."""
        from __future__ import annotations
        import math

        def f(x):
            """Function docstring."""
            if False:
                y = math.sqrt(x)
            y = math.sqrt(x)
        # cut
            return y
        ''')


def test_dead_code_never_copies_from_a_nested_function() -> None:
    # A copy of `total = ...` from `inner` into `f` would make `total` local to `f`: UnboundLocalError.
    code = """
        total = 10

        def f(xs):
            def inner(v):
                total = v * 2
                return total
            ys = [inner(x) for x in xs]
        # cut
            return ys, total
        """
    sites = get_transform("DeadCodeInserter").sites(problem(code))
    outer = [s for s in sites if s.location == "dead code before line 8"]
    assert outer and not any("total = v * 2" in option for option in outer[0].options)


def test_dead_code_keeps_two_space_indentation() -> None:
    # MBPP's solutions use 2 spaces, tabs, even 1 space; the block follows the code around it.
    code = "def f(xs):\n  n = len(xs)\n  m = n + 1\n# cut\n  return m\n"
    assert apply("DeadCodeInserter", code, [Edit(1, 1)]) == (
        "def f(xs):\n  n = len(xs)\n  while False:\n    n = len(xs)\n  m = n + 1\n# cut\n  return m\n"
    )


def test_dead_code_never_shows_the_hidden_rest_of_the_solution() -> None:
    code = """
        def f(xs):
            n = len(xs)
        # cut
            secret = n * 42
            return secret
        """
    sites = get_transform("DeadCodeInserter").sites(problem(code))
    assert not any("secret" in option for site in sites for option in site.options)


def test_split_lines_keeps_string_method_calls_whole() -> None:
    # ReCode's split_lines turned `"".join(parts)` into `""join(parts)`.
    code = 'def f(parts):\n    return "".join(parts)\n# cut\n'
    assert apply("split_lines", code, [Edit(0)]) == 'def f(parts):\n    return \\\n        "".join(parts)\n# cut\n'
    options = [o for s in get_transform("split_lines").sites(problem(code)) for o in s.options]
    assert all('"".join(parts)' in o or "def" in o for o in options)
