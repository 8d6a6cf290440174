"""Code transforms keep behaviour: a property test on tricky Python neither dataset has, and (slow) the
canonical solutions of HumanEval and MBPP run in the sandbox after every code and name transform."""

from __future__ import annotations

import asyncio
import textwrap
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_recode.problems import Problem
from pytest_recode.transforms import NotApplicable, Perturbation, get_transform, transform_names
from pytest_recode.transforms._base import Edit

# Each snippet: the program (entry point `f`, its docstring ends the nominal prompt) and inputs for `f`.
SNIPPETS: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
    "decorators": ('''
        import functools

        def twice(fn):
            @functools.wraps(fn)
            def wrapper(*args):
                return fn(*args) * 2
            return wrapper

        @twice
        def f(n):
            """Twice the sum of the even numbers below n."""
            total = 0
            for i in range(n):
                if i % 2 == 0:
                    total += i
            return total
        ''', [(0,), (5,), (10,)]),
    "closure-nonlocal": ('''
        def f(xs):
            """Sum of the positive values, counted by a closure."""
            count = 0
            def bump(k):
                nonlocal count
                count += k
                return count
            for x in xs:
                if x > 0:
                    bump(x)
            return count
        ''', [([],), ([1, -2, 3],)]),
    "global": ('''
        CALLS = [0]

        def f(x):
            """Doubles x and counts calls in a global."""
            global CALLS
            CALLS = [CALLS[0] + 1]
            y = x * 2
            if y > 10:
                return y - 1
            return y
        ''', [(1,), (7,)]),
    "shadowing-comprehensions": ('''
        def f(xs):
            """Comprehensions that shadow names of the function."""
            x = 100
            ys = [x * 2 for x in xs if x != 3]
            zs = {x: [x for x in range(x)] for x in ys}
            total = sum(len(v) for v in zs.values())
            return x, ys, total
        ''', [([],), ([1, 2, 3],)]),
    "walrus": ('''
        def f(xs):
            """Walrus in a while condition and a comprehension."""
            out = []
            i = 0
            while (n := len(xs) - i) > 0:
                out.append(n)
                i += 1
            if any((big := x) > 5 for x in xs):
                out.append(big)
            return out
        ''', [([],), ([1, 9, 2],), ([1, 2],)]),
    "match": ('''
        def f(p):
            """Structural pattern matching."""
            match p:
                case [a, b]:
                    result = a + b
                case {"k": v}:
                    result = v
                case int() as n if n > 3:
                    result = n * 2
                case _:
                    result = None
            return result
        ''', [([1, 2],), ({"k": 5},), (7,), (1,)]),
    "f-strings": ('''
        def f(name, width):
            """Formats with nested fields."""
            label = name.upper()
            text = f"{label!r:>{width}}|{name}|{width + 1}"
            if len(text) > width:
                text = f"{text[:width]}"
            return text
        ''', [("ab", 3), ("abcdef", 20)]),
    "lambdas": ('''
        def f(xs):
            """Sorts with lambdas."""
            key = lambda x: (-x, x % 3)
            pairs = sorted(xs, key=key)
            scale = (lambda k: lambda v: v * k)(3)
            return [scale(p) for p in pairs if p >= 0]
        ''', [([],), ([3, -1, 4, 1],)]),
    "async": ('''
        import asyncio

        async def double(x):
            await asyncio.sleep(0)
            return 2 * x

        async def f(xs):
            """Awaits in a loop."""
            total = 0
            for x in xs:
                value = await double(x)
                if value > 2:
                    total += value
            return total
        ''', [([],), ([1, 2, 3],)]),
    "methods": ('''
        class Counter:
            step = 2

            def __init__(self, start):
                self.value = start

            def add(self, k):
                for _ in range(k):
                    self.value += self.step
                return self.value

        def f(start, k):
            """Uses a class."""
            c = Counter(start)
            c.add(k)
            return c.value
        ''', [(0, 0), (1, 3)]),
    "future-imports": ('''
        from __future__ import annotations

        import math

        def f(x: float) -> list[float]:
            """Roots of the whole numbers below x."""
            out: list[float] = []
            for i in range(int(x)):
                if i > 0:
                    out.append(math.sqrt(i))
            return out
        ''', [(0.5,), (4.0,)]),
    "loops-and-handlers": ('''
        def f(xs):
            """Loops with break, continue and else; handlers."""
            seen = []
            for x in xs:
                if x < 0:
                    continue
                if x > 100:
                    break
                seen.append(x)
            else:
                seen.append(-1)
            try:
                r = 10 // len(seen)
            except ZeroDivisionError:
                r = 0
            finally:
                seen.append(0)
            return seen, r
        ''', [([],), ([1, -1, 2],), ([5, 200, 3],)]),
    "generators": ('''
        def f(n):
            """A generator and a dict iteration."""
            def gen(k):
                for i in range(k):
                    if i % 2:
                        yield i
                return
            counts = {}
            for v in gen(n):
                counts[v] = counts.get(v, 0) + 1
            for key in {3: 1, 1: 2}:
                counts[key] = counts.get(key, 0) - 1
            return sorted(counts.items())
        ''', [(0,), (6,)]),
    "super-and-one-liners": ('''
        class Base:
            def size(self, xs):
                return len(xs)

        class Child(Base):
            def size(self, xs):
                n = super().size(xs); m = n * 2
                if n > 2: return m
                return n

        def f(xs):
            """Zero-argument super, semicolons and one-line bodies."""
            obj = Child()
            for x in xs: obj.size([x])
            n = obj.size(xs)
            if n == 0: return -1
            return n
        ''', [([],), ([1, 2, 3],), ([4],)]),
    "with-del-star-escapes": (r'''
        import re

        def f(text, *rest, **options):
            """Regular expressions, with, del, starred targets."""
            words = re.findall(r"\b\w{2,}\b", text)
            first, *others = words or [""]
            with open("/dev/null") as handle:
                data = handle.read()
            del handle
            count = len(others) + len(rest) + len(options)
            return first, count, data, "tab\tend"
        ''', [("ab cd e",), ("x yz", 3)]),
    "loop-shapes": ('''
        def f(n):
            """Loops over ranges and local sequences, with continue, appends, closures and a late read."""
            xs = [3, 1, 2]
            out = []
            for x in xs:
                if x == 1:
                    continue
                if len(xs) < 6:
                    xs.append(x * 10)
                out.append(x)
            for i in range(n, 0, -2):
                out.append(i)
            fs = []
            for i in range(len(out)):
                fs.append(lambda: i)
            for c in "abc".upper():
                out.append(c)
            for k in range(3):
                if k == 1:
                    continue
                out.append(k)
            return out, [g() for g in fs], i
        ''', [(0,), (5,)]),
    "tab-indented": (
        'def f(xs):\n\t"""Tabs for indentation."""\n\ttotal = 0\n\tfor x in xs:\n\t\tif x % 2:\n'
        "\t\t\ttotal += x\n\t\telse:\n\t\t\ttotal -= 1\n\treturn total\n",
        [([],), ([1, 2, 3],)],
    ),
}

CODE_TRANSFORMS = [n for n in transform_names(["function_name", "syntax", "format"]) if n != "VarRenamerCB"]


def _split(program: str, cut: int) -> Problem:
    """The snippet as a problem whose prompt ends ``cut`` lines into the body of ``f``."""
    lines = textwrap.dedent(program).lstrip("\n").splitlines(keepends=True)
    doc_end = next(i for i, line in enumerate(lines) if line.rstrip().endswith('"""') and '"""' in line
                   and i > 0 and lines[i - 1].lstrip().startswith(("def f", "async def f")))
    prompt = "".join(lines[: doc_end + 1 + cut])
    rest = "".join(lines[doc_end + 1 + cut :])
    return Problem("tricky", prompt, "f", rest, "def check(candidate):\n    pass\n", partial=cut > 0)


def _run(problem: Problem, inputs: list[tuple[Any, ...]]) -> list[str]:
    namespace: dict[str, Any] = {"__name__": "snippet"}
    exec(compile(problem.prompt + problem.canonical_solution, "<snippet>", "exec"), namespace)  # noqa: S102
    outcomes = []
    for args in inputs:
        try:
            value = namespace[problem.entry_point](*[a.copy() if hasattr(a, "copy") else a for a in args])
            if asyncio.iscoroutine(value):
                value = asyncio.run(value)
            outcomes.append(repr(value))
        except Exception as exc:  # noqa: BLE001 - the outcome is the exception's type
            outcomes.append(type(exc).__name__)
    return outcomes


_TRANSFORMS: dict[str, Any] = {}


def _transform(name: str) -> Any:
    if name not in _TRANSFORMS:
        _TRANSFORMS[name] = get_transform(name)
    return _TRANSFORMS[name]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_code_transforms_keep_behaviour_on_tricky_python(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(CODE_TRANSFORMS), label="transform")
    transform = _transform(name)
    if transform.unavailable() is not None:
        return
    snippet = data.draw(st.sampled_from(sorted(SNIPPETS)), label="snippet")
    program, inputs = SNIPPETS[snippet]
    body_lines = len(_split(program, 0).canonical_solution.splitlines())
    problem = _split(program, data.draw(st.integers(0, body_lines - 1), label="cut"))
    sites = transform.sites(problem)
    if not sites:
        assert isinstance(transform.perturb(problem), NotApplicable)
        return
    chosen = data.draw(st.lists(st.integers(0, len(sites) - 1), min_size=1, max_size=4, unique=True), label="sites")
    edits = [Edit(i, data.draw(st.integers(0, len(sites[i].options) - 1), label="option")) for i in chosen]
    result = transform.perturb_with(problem, edits)
    assert isinstance(result, Perturbation) and result.changed
    new = result.perturbed
    compile(new.prompt + new.canonical_solution, "<perturbed>", "exec")
    assert _run(new, inputs) == _run(problem, inputs)


@pytest.mark.parametrize("snippet", sorted(SNIPPETS))
def test_snippets_are_what_they_claim(snippet: str) -> None:
    program, inputs = SNIPPETS[snippet]
    whole = _split(program, 0)
    assert _run(whole, inputs)  # they run
    assert whole.prompt.rstrip().endswith('"""')


# -- whole datasets, in the sandbox (slow) ------------------------------------------------------------
def _preserved(problems: list[Problem], category: str) -> tuple[int, int, list[str]]:
    from pytest_recode.execution import SandboxConfig, open_sandbox
    from pytest_recode.pipeline._dataset import check_variants, perturb_dataset
    from pytest_recode.transforms import make_transforms

    names = [n for n in transform_names([category]) if n != "VarRenamerCB"]
    done = []
    for transform in make_transforms(names):
        if transform.unavailable() is None:
            done.append((transform, list(perturb_dataset(transform, problems, 5))))
    # MBPP/123's reference solution takes ~2.6 s alone: a loaded machine must not turn it into a timeout.
    with open_sandbox(SandboxConfig(timeout_s=30)) as sandbox:
        report = check_variants(done, sandbox)
    failures = [f"{c.transform} {t} s{s}: {d}" for c in report.checks for t, s, d in c.failures]
    return report.preserved, report.total, failures


# One test per category, so that xdist spreads a dataset's tens of thousands of programs over its workers.
CODE_AND_NAME = ["syntax", "format", "function_name"]
#: variants each category checks on HumanEval (8,200 in all at 5 seeds), for a floor that
#: would notice transforms silently applying to fewer problems
HUMANEVAL_AT_LEAST = {"syntax": 2200, "format": 1600, "function_name": 4200}


@pytest.mark.slow
@pytest.mark.parametrize("category", CODE_AND_NAME)
def test_humaneval_canonical_solutions_survive_every_code_and_name_transform(category: str) -> None:
    from pytest_recode.problems import load_problems

    preserved, total, failures = _preserved(load_problems("humaneval"), category)
    assert (preserved, failures) == (total, [])
    assert total >= HUMANEVAL_AT_LEAST[category]


@pytest.mark.slow
@pytest.mark.parametrize("category", CODE_AND_NAME)
def test_mbpp_canonical_solutions_survive_every_code_and_name_transform(mbpp_path: str, category: str) -> None:
    from pytest_recode.problems import load_problems

    preserved, total, failures = _preserved(load_problems("mbpp", mbpp_path=mbpp_path), category)
    assert (preserved, failures) == (total, [])
