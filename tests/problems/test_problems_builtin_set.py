"""The built-in problem set: its shape, that every canonical solution and docstring example is right, and
that it exercises what the transforms need (loops, comparisons, recursion, a helper function)."""

from __future__ import annotations

import ast
import doctest
import re
import time
from collections.abc import Iterator

import pytest

from pytest_recode import load_problems
from pytest_recode.problems import Problem

BUILTIN = load_problems("builtin")
IDS = [p.task_id for p in BUILTIN]


def entry_function(problem: Problem) -> ast.FunctionDef:
    tree = ast.parse(problem.reference_program)
    (function,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == problem.entry_point]
    return function


def run_reference(problem: Problem) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "builtin_problem"}
    exec(compile(problem.test_program(problem.canonical_solution), problem.task_id, "exec"), namespace)
    return namespace


def walk_body(function: ast.FunctionDef) -> Iterator[ast.AST]:
    for statement in function.body[1:]:  # after the docstring
        yield from ast.walk(statement)


def test_at_least_24_problems_numbered_in_order_with_distinct_entry_points() -> None:
    assert len(BUILTIN) >= 24
    assert IDS == [f"builtin/{i}" for i in range(len(BUILTIN))]
    assert len({p.entry_point for p in BUILTIN}) == len(BUILTIN)
    assert {p.dataset for p in BUILTIN} == {"builtin"}


@pytest.mark.parametrize("problem", BUILTIN, ids=IDS)
def test_prompt_shape(problem: Problem) -> None:
    tree = ast.parse(problem.prompt)  # the prompt alone is a valid module: the docstring is the body
    last = tree.body[-1]
    assert isinstance(last, ast.FunctionDef) and last.name == problem.entry_point
    assert last.returns is not None and all(a.annotation is not None for a in last.args.args)
    docstring = ast.get_docstring(last, clean=True)
    assert docstring is not None
    description, _, examples = docstring.partition(">>> ")
    assert len(description.split()) >= 5, "the natural-language description comes first"
    assert examples, "at least one >>> example"
    assert problem.prompt.endswith('"""\n') or problem.prompt.endswith("'''\n")


@pytest.mark.parametrize("problem", BUILTIN, ids=IDS)
def test_docstring_examples_are_true(problem: Problem) -> None:
    namespace = run_reference(problem)
    docstring = ast.get_docstring(entry_function(problem), clean=False)
    assert docstring is not None
    test = doctest.DocTestParser().get_doctest(docstring, namespace, problem.entry_point, problem.task_id, 0)
    assert len(test.examples) >= 2
    assert all(example.want.strip() for example in test.examples), "every example shows its output"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    result = runner.run(test, out=report.append)
    assert result.failed == 0, "".join(report)


@pytest.mark.parametrize("problem", BUILTIN, ids=IDS)
def test_canonical_solution_passes_quickly(problem: Problem) -> None:
    started = time.perf_counter()
    run_reference(problem)
    # A budget with a wide margin (each takes well under 1 ms here), so that sandbox and benchmark runs
    # over the set stay dominated by overhead, not by the problems.
    assert time.perf_counter() - started < 0.05


@pytest.mark.parametrize("problem", BUILTIN, ids=IDS)
def test_solution_and_test_shape(problem: Problem) -> None:
    lines = problem.canonical_solution.rstrip("\n").split("\n")
    assert all(line.startswith("    ") and not line.startswith("\t") for line in lines if line.strip())
    tree = ast.parse(problem.test)
    (check,) = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert check.name == "check" and [a.arg for a in check.args.args] == ["candidate"]
    assert sum(isinstance(n, ast.Assert) for n in ast.walk(check)) >= 3
    imports = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(problem.reference_program + problem.test))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert imports <= {"typing", "math", "re"}, "deterministic: no random, time or I/O"


@pytest.mark.parametrize("problem", [p for p in BUILTIN if entry_function(p).returns is not None
                                     and ast.unparse(entry_function(p).returns) == "float"],
                         ids=lambda p: p.task_id)
def test_float_results_are_compared_with_a_tolerance(problem: Problem) -> None:
    asserts = [n for n in ast.walk(ast.parse(problem.test)) if isinstance(n, ast.Assert)]
    assert asserts and all("abs(" in ast.unparse(a.test) for a in asserts if "candidate" in ast.unparse(a))


def test_most_bodies_have_a_partial_code_variant() -> None:
    one_line = [p.task_id for p in BUILTIN if len(p.canonical_solution.rstrip("\n").split("\n")) == 1]
    assert 1 <= len(one_line) <= 3  # a few, to exercise "no partial variant"
    partial = load_problems("builtin", partial=True)
    assert [p.task_id for p in partial] == [t for t in IDS if t not in one_line]
    for problem in partial:
        run_reference(problem)  # the partial prompt completed by the rest is the same program


def test_the_mix_the_transforms_need() -> None:
    functions = {p.task_id: entry_function(p) for p in BUILTIN}

    def count(predicate: object) -> int:
        return sum(1 for p in BUILTIN if predicate(p, functions[p.task_id]))  # type: ignore[operator]

    def nodes(fn: ast.FunctionDef, kind: type) -> list[ast.AST]:
        return [n for n in walk_body(fn) if isinstance(n, kind)]

    recursive = count(lambda p, fn: any(isinstance(c.func, ast.Name) and c.func.id == p.entry_point
                                        for c in nodes(fn, ast.Call)))
    assert recursive >= 2
    # a function defined in the prompt before the entry point, which the solution uses (calls or passes)
    helpers = count(lambda p, fn: any(
        isinstance(d, ast.FunctionDef) and d.name != p.entry_point
        and any(n.id == d.name for n in nodes(fn, ast.Name))
        for d in ast.parse(p.prompt).body
    ))
    assert helpers >= 2
    assert count(lambda p, fn: nodes(fn, ast.While)) >= 4
    assert count(lambda p, fn: nodes(fn, ast.For)) >= 10  # ForWhileTransformer sites
    assert count(lambda p, fn: nodes(fn, ast.Compare)) >= 15  # OperandSwap sites
    nested = count(lambda p, fn: any(isinstance(inner, (ast.For, ast.While)) and inner is not outer
                                     for outer in nodes(fn, (ast.For, ast.While)) for inner in ast.walk(outer)))
    assert nested >= 3
    returns = {ast.unparse(fn.returns).split("[")[0] for fn in functions.values() if fn.returns is not None}
    assert {"str", "int", "float", "bool", "List", "Dict", "Set", "Tuple", "Optional"} <= returns


def test_docstring_styles_vary() -> None:
    docstrings = {p.task_id: ast.get_docstring(entry_function(p), clean=False) or "" for p in BUILTIN}
    texts = list(docstrings.values())
    assert any(t.startswith("\n") for t in texts), "a description starting on the line after the quotes"
    assert any(re.search(r"\n\s*\n\s*>>>", t) for t in texts), "a blank line before the examples"
    assert any(re.search(r"(?i)examples?:\s*\n\s*>>>", t) for t in texts), "an 'Example(s):' header"
    trailing = [doctest.DocTestParser().parse(t)[-1] for t in texts]  # the text after the last example
    assert any(isinstance(rest, str) and rest.strip() for rest in trailing), "text after the examples"
    assert any("'''" in p.prompt for p in BUILTIN), "a single-quoted docstring"
    assert any("`" in t for t in texts), "parameter names in backquotes"
    mentioned = sum(
        1 for p in BUILTIN
        if any(re.search(rf"\b{a.arg}\b", docstrings[p.task_id].split(">>>")[0])
               for a in entry_function(p).args.args)
    )
    assert mentioned >= len(BUILTIN) // 2, "most descriptions mention their parameters by name"


def shingles(text: str, size: int = 7) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i:i + size]) for i in range(len(words) - size + 1)}


def description(problem: Problem) -> str:
    return (ast.get_docstring(entry_function(problem), clean=True) or "").split(">>>")[0]


def assert_written_apart(others: list[Problem]) -> None:
    known = set().union(*(shingles(p.prompt) for p in others))
    assert not {p.entry_point for p in BUILTIN} & {p.entry_point for p in others}
    for problem in BUILTIN:
        assert not shingles(description(problem)) & known, problem.task_id


def test_not_taken_from_humaneval() -> None:
    assert_written_apart(load_problems("humaneval"))


def test_not_taken_from_mbpp(mbpp_path: str) -> None:
    assert_written_apart(load_problems("mbpp", mbpp_path=mbpp_path))
