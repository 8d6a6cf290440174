"""Variable renaming is scope-aware: exactly the occurrences of one variable change, and nothing else."""

from __future__ import annotations

import textwrap

import pytest

from pytest_recode.problems import Problem
from pytest_recode.transforms import Edit, NotApplicable, Perturbation, get_transform

CUT = "# cut\n"
TEST = "def check(candidate):\n    pass\n"


def problem(code: str, test: str = TEST) -> Problem:
    prompt, rest = textwrap.dedent(code).split(CUT)
    return Problem("T/0", prompt, "f", rest, test, partial=True)


def locations(code: str, test: str = TEST) -> list[str]:
    return [s.location for s in get_transform("VarRenamerNaive").sites(problem(code, test))]


def rename(code: str, location: str) -> str:
    """Rename the variable at ``location`` (a site's location) with VarRenamerNaive to ``NEW``."""
    transform = get_transform("VarRenamerNaive")
    source = problem(code)
    sites = transform.sites(source)
    index = [s.location for s in sites].index(location)
    result = transform.perturb_with(source, [Edit(index)])
    assert isinstance(result, Perturbation)
    whole = result.perturbed.prompt + CUT + result.perturbed.canonical_solution
    return whole.replace(sites[index].options[0], "NEW")


def test_attributes_and_keyword_arguments_keep_their_names() -> None:
    code = """\
        def f(obj):
            total = obj.total
            obj.update(total=total)
        # cut
            return total
        """
    assert rename(code, "variable total of f()") == textwrap.dedent("""\
        def f(obj):
            NEW = obj.total
            obj.update(total=NEW)
        # cut
            return NEW
        """)


def test_comprehension_variables_are_their_own_variables() -> None:
    code = """\
        def f(xs):
            x = 10
            ys = [x * 2 for x in xs if x]
        # cut
            return ys, x
        """
    assert "variable x of a comprehension" in locations(code)
    assert rename(code, "variable x of a comprehension") == textwrap.dedent("""\
        def f(xs):
            x = 10
            ys = [NEW * 2 for NEW in xs if NEW]
        # cut
            return ys, x
        """)
    assert rename(code, "variable x of f()") == textwrap.dedent("""\
        def f(xs):
            NEW = 10
            ys = [x * 2 for x in xs if x]
        # cut
            return ys, NEW
        """)


def test_closures_rename_the_captured_variable_inside_nested_functions_and_lambdas() -> None:
    code = """\
        def f(step):
            def add(v):
                return v + step
            scale = lambda v: v * step
        # cut
            return add(1) + scale(2)
        """
    assert rename(code, "parameter step of f()") == textwrap.dedent("""\
        def f(NEW):
            def add(v):
                return v + NEW
            scale = lambda v: v * NEW
        # cut
            return add(1) + scale(2)
        """)
    assert "parameter v of a lambda" in locations(code) and "parameter v of add()" in locations(code)


def test_names_inside_f_strings_are_renamed() -> None:
    code = """\
        def f(name, width):
            text = f"{name!r:>{width}} {name}"
        # cut
            return text
        """
    assert rename(code, "parameter name of f()") == textwrap.dedent("""\
        def f(NEW, width):
            text = f"{NEW!r:>{width}} {NEW}"
        # cut
            return text
        """)


def test_methods_rename_locals_and_self_never_class_attributes() -> None:
    code = """\
        class Box:
            size = 3

            def f(self, extra):
                size = self.size + extra
        # cut
                return size
        """
    found = locations(code)
    assert "variable size of f()" in found and not any("Box" in place for place in found)
    assert rename(code, "variable size of f()") == textwrap.dedent("""\
        class Box:
            size = 3

            def f(self, extra):
                NEW = self.size + extra
        # cut
                return NEW
        """)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("COUNT = 0\ndef f(x):\n    global COUNT\n    COUNT = x\n# cut\n    return COUNT\n", "COUNT"),
        ("def f(x):\n    n = 0\n    def g():\n        nonlocal n\n        n += x\n    g()\n# cut\n    return n\n", "n"),
        ("def f(p):\n    match p:\n        case [a, b]:\n            a = b\n# cut\n    return p\n", "a"),
        ("def f(xs):\n    if any((hit := x) > 1 for x in xs):\n        pass\n# cut\n    return hit\n", "hit"),
        ("LIMIT = 3\ndef f(x):\n    return min(x, LIMIT)\n# cut\n", "LIMIT"),
        ("import math\ndef f(x):\n    return math.sqrt(x)\n# cut\n", "math"),
    ],
    ids=["global", "nonlocal", "match-capture", "walrus-in-comprehension", "module-global", "import"],
)
def test_names_the_analysis_cannot_account_for_are_left_alone(code: str, name: str) -> None:
    assert not any(place.split()[1] == name for place in locations(code))


def test_a_parameter_the_tests_pass_by_keyword_keeps_its_name() -> None:
    code = "def f(values, limit):\n    kept = [v for v in values if v < limit]\n# cut\n    return kept\n"
    test = "def check(candidate):\n    assert candidate([1, 5], limit=3) == [1]\n"
    found = locations(code, test)
    assert "parameter values of f()" in found and "parameter limit of f()" not in found


def test_programs_that_read_variables_by_name_are_not_applicable() -> None:
    code = "def f(x):\n    y = x + 1\n# cut\n    return eval('y')\n"
    result = get_transform("VarRenamerNaive").perturb(problem(code))
    assert isinstance(result, NotApplicable) and "reads variables by name" in result.reason


def test_new_names_avoid_every_name_in_the_program_and_tests() -> None:
    code = "def f(x):\n    VAR_0 = x\n    VAR_1 = VAR_0\n# cut\n    return VAR_1\n"
    test = "def check(candidate):\n    VAR_2 = 1\n    assert candidate(VAR_2) == 1\n"
    sites = get_transform("VarRenamerNaive").sites(problem(code, test))
    assert [s.options[0] for s in sites] == ["VAR_3", "VAR_4", "VAR_5"]


def test_only_variables_seen_in_the_prompt_are_sites() -> None:
    code = "def f(x):\n    y = x\n# cut\n    z = y * 2\n    return z\n"
    assert locations(code) == ["parameter x of f()", "variable y of f()"]


def test_regular_expressions_keep_their_backslashes() -> None:
    # ReCode's renamers printed code back through a formatter that dropped backslashes.
    code = 'import re\n\ndef f(text):\n    words = re.findall(r"\\b\\w{4,}\\b", text)\n# cut\n    return words\n'
    result = rename(code, "variable words of f()")
    assert result == code.replace("    words", "    NEW").replace("return words", "return NEW")
    assert r'r"\b\w{4,}\b"' in result


def test_async_functions_and_decorators() -> None:
    code = """\
        import functools

        @functools.lru_cache(maxsize=None)
        async def f(delay):
            result = await delay
        # cut
            return result
        """
    assert rename(code, "variable result of f()") == textwrap.dedent("""\
        import functools

        @functools.lru_cache(maxsize=None)
        async def f(delay):
            NEW = await delay
        # cut
            return NEW
        """)
