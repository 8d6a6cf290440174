"""Helpers shared by the equivalence tests (a module of its own: test modules cannot import from conftest)."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any

from pytest_recode.execution import CallOutcome, Sandbox, decode_value
from pytest_recode.problems import Problem

if TYPE_CHECKING:
    from pytest_recode.equivalence import Outcome

#: The sentence :func:`with_docstring_sentence` adds: it says nothing the function depends on.
SENTENCE = "This sentence changes nothing about the function."


def _docstring_node(problem: Problem) -> ast.Expr:
    """The entry point's docstring: the first string statement of its body (HumanEval/115 puts an
    ``import`` before it, so it is not always the first statement)."""
    tree = ast.parse(problem.prompt)
    functions = [node for node in ast.walk(tree)
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == problem.entry_point]
    if not functions:
        raise LookupError(f"{problem.task_id}: no function {problem.entry_point!r} in the prompt")
    for statement in functions[-1].body:
        if (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
                and isinstance(statement.value.value, str)):
            return statement
    raise LookupError(f"{problem.task_id}: {problem.entry_point!r} has no docstring")


def with_docstring_sentence(problem: Problem, sentence: str = SENTENCE) -> Problem:
    """The problem with ``sentence`` added at the end of its entry point's docstring, just before the
    closing quotes (on a line of its own, indented like the quotes, where the quotes stand alone)."""
    node = _docstring_node(problem)
    lines = problem.prompt.splitlines(keepends=True)
    assert node.end_lineno is not None and node.end_col_offset is not None
    line = lines[node.end_lineno - 1]
    # ast's columns count UTF-8 bytes; turn the end column into a character index.
    end = len(line.encode("utf-8")[: node.end_col_offset].decode("utf-8"))
    before_end = line[:end]
    quotes = 3 if before_end.endswith(('"""', "'''")) else 1
    at = end - quotes
    head = line[:at]
    if head.strip() == "":  # the closing quotes stand on their own line: add a line before them
        insertion = f"{sentence}\n{head}"
    else:
        insertion = f" {sentence}"
    lines[node.end_lineno - 1] = line[:at] + insertion + line[at:]
    changed = problem.with_changes(prompt="".join(lines))
    # Only the docstring changed, and it gained the sentence.
    assert _dump_without_docstring(changed) == _dump_without_docstring(problem)
    assert sentence in docstring_text(changed) and sentence not in docstring_text(problem)
    return changed


def _dump_without_docstring(problem: Problem) -> str:
    tree = ast.parse(problem.prompt)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == problem.entry_point:
            node.body = [s for s in node.body
                         if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)
                                 and isinstance(s.value.value, str))]
    return ast.dump(tree)


def docstring_text(problem: Problem) -> str:
    """The text of the entry point's docstring (as :func:`with_docstring_sentence` finds it)."""
    value = _docstring_node(problem).value
    assert isinstance(value, ast.Constant)
    return str(value.value)


def camel_case(name: str) -> str:
    """``sum_product`` -> ``sumProduct``."""
    first, *rest = name.split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


def renamed(problem: Problem, completion: str, new_name: str) -> tuple[Problem, str]:
    """The problem with its entry point renamed everywhere in the prompt (and in the completion, which may
    recurse), and the renamed completion."""
    pattern = re.compile(rf"\b{re.escape(problem.entry_point)}\b")
    return (problem.with_changes(prompt=pattern.sub(new_name, problem.prompt), entry_point=new_name),
            pattern.sub(new_name, completion))


def rerun(sandbox: Sandbox, problem: Problem, completion: str, args: tuple[Any, ...]) -> CallOutcome:
    """Call ``problem.prompt + completion``'s entry point once on ``args``, in the sandbox."""
    result = sandbox.call(problem.prompt + completion, problem.entry_point, [args])
    assert result.passed, (result.status, result.exception_type, result.message)
    (outcome,) = result.outcomes
    return outcome


def same_outcome(outcome: Outcome, call: CallOutcome) -> bool:
    """Whether a verdict's outcome is what a fresh call gave (value, exception type, mutated arguments)."""
    if call.raised:
        return (outcome.kind == "raised" and outcome.exception_type == call.exception_type
                and outcome.message == call.message)
    return (outcome.kind == "returned" and outcome.value == call.value
            and outcome.arguments_after == call.arguments_after)


def decoded(outcome: Outcome) -> Any:
    """The value a returned outcome holds, as Python data."""
    assert outcome.kind == "returned", outcome
    return decode_value(outcome.value)
