"""Scope-aware renaming with libcst: find exactly the identifiers bound to one definition, edit them in place.

Edits are made at source positions found on the parsed tree rather than by re-printing the tree, so every
byte outside the renamed identifiers stays as it was (tabs, backslashes, comments, odd spacing).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import (
    Assignment,
    ClassScope,
    GlobalScope,
    MetadataWrapper,
    PositionProvider,
    Scope,
    ScopeProvider,
)

from ..problems import Problem

__all__ = [
    "ParseFailure",
    "Span",
    "entry_point_spans",
    "free_name_spans",
    "identifiers",
    "is_valid_new_name",
    "rename_entry_point",
    "replace_spans",
]


class ParseFailure(ValueError):
    """The source handed to a code transform does not parse, so nothing can be renamed safely."""


@dataclass(frozen=True, order=True)
class Span:
    """A half-open range ``[start, end)`` of character offsets into one source string."""

    start: int
    end: int


def _line_offsets(source: str) -> list[int]:
    offsets = [0]
    for index, char in enumerate(source):
        if char == "\n":
            offsets.append(index + 1)
    return offsets


def _parse(source: str) -> MetadataWrapper:
    try:
        return MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    except cst.ParserSyntaxError as exc:
        raise ParseFailure(f"does not parse: {exc.message} (line {exc.raw_line})") from None


def _node_span(positions: object, node: cst.CSTNode, lines: list[int]) -> Span:
    code_range = positions[node]  # type: ignore[index]
    start = lines[code_range.start.line - 1] + code_range.start.column
    end = lines[code_range.end.line - 1] + code_range.end.column
    return Span(start, end)


_DOCSTRING_OWNERS = (cst.Module, cst.FunctionDef, cst.ClassDef)


def _docstring_nodes(module: cst.Module) -> Iterable[cst.SimpleString | cst.ConcatenatedString]:
    """The string nodes that are docstrings of the module, its functions and its classes."""

    found: list[cst.SimpleString | cst.ConcatenatedString] = []

    class Visitor(cst.CSTVisitor):
        def _take(self, body: Sequence[cst.BaseStatement] | Sequence[cst.BaseSmallStatement]) -> None:
            if not body:
                return
            first = body[0]
            if isinstance(first, cst.SimpleStatementLine) and first.body:
                first = first.body[0]
            if isinstance(first, cst.Expr) and isinstance(first.value, (cst.SimpleString, cst.ConcatenatedString)):
                found.append(first.value)

        def visit_Module(self, node: cst.Module) -> None:
            self._take(node.body)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            self._take(node.body.body)

        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            self._take(node.body.body)

    module.visit(Visitor())
    return found


def _global_statements(module: cst.Module) -> list[cst.Global]:
    found: list[cst.Global] = []

    class Visitor(cst.CSTVisitor):
        def visit_Global(self, node: cst.Global) -> None:
            found.append(node)

    module.visit(Visitor())
    return found


def _word_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")


def _bound_locally(scope: Scope, name: str) -> bool:
    """Whether ``name`` read in ``scope`` is a local of an enclosing function, whatever libcst says.

    Python makes a name local to a function if the function assigns it anywhere, before or after the
    read (``total = max(total, x)`` in a loop reads the local). libcst can attribute such a read to the
    global definition when no local assignment precedes it in the source, so function and comprehension
    scopes are checked here; class bodies, where order does matter, are left to libcst.
    """
    if isinstance(scope, ClassScope):
        return False
    current: Scope | None = scope
    while current is not None and not isinstance(current, GlobalScope):
        if not isinstance(current, ClassScope) and current.assignments[name]:
            return True
        current = current.parent
    return False


def entry_point_spans(source: str, name: str, *, docstrings: bool = True) -> list[Span]:
    """Spans of every identifier in ``source`` bound to the module-level definition of ``name``.

    Covers the definition itself, recursive calls and calls from other functions, and (with
    ``docstrings``) whole-word mentions in docstrings, such as ``>>> name(...)`` examples. Names in
    scopes that rebind ``name`` locally, attributes, keyword arguments and substrings of other words are
    left alone. Raises :class:`ParseFailure` when ``source`` does not parse.
    """
    wrapper = _parse(source)
    module = wrapper.module
    scopes = wrapper.resolve(ScopeProvider)
    positions = wrapper.resolve(PositionProvider)
    lines = _line_offsets(source)
    global_scope = scopes[module]
    assert global_scope is not None
    spans: set[Span] = set()
    for assignment in global_scope.assignments[name]:
        if not isinstance(assignment, Assignment):
            continue
        node = assignment.node
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            spans.add(_node_span(positions, node.name, lines))
        elif isinstance(node, cst.Name):
            spans.add(_node_span(positions, node, lines))
        for access in assignment.references:
            if isinstance(access.node, cst.Name) and not _bound_locally(access.scope, name):
                spans.add(_node_span(positions, access.node, lines))
    for statement in _global_statements(module):  # `global name` inside a function names the definition
        for item in statement.names:
            if item.name.value == name:
                spans.add(_node_span(positions, item.name, lines))
    if docstrings:
        pattern = _word_pattern(name)
        for string in _docstring_nodes(module):
            span = _node_span(positions, string, lines)
            text = source[span.start : span.end]
            for match in pattern.finditer(text):
                spans.add(Span(span.start + match.start(), span.start + match.end()))
    return sorted(spans)


def free_name_spans(source: str, name: str) -> list[Span]:
    """Spans of the uses of ``name`` in ``source`` that ``source`` itself never binds (free globals).

    This is how a test module refers to the function under test when it calls it by name rather than
    through ``candidate``.
    """
    wrapper = _parse(source)
    scopes = wrapper.resolve(ScopeProvider)
    positions = wrapper.resolve(PositionProvider)
    lines = _line_offsets(source)
    spans: list[Span] = []
    for node, scope in scopes.items():
        if not isinstance(node, cst.Name) or node.value != name or not isinstance(scope, Scope):
            continue
        accesses = [a for a in scope.accesses[name] if a.node is node]
        if accesses and not any(accesses[0].referents):
            spans.append(_node_span(positions, node, lines))
    return sorted(set(spans))


def replace_spans(source: str, spans: Sequence[Span], replacement: str) -> str:
    """``source`` with every span replaced by ``replacement`` (spans must not overlap)."""
    pieces: list[str] = []
    last = 0
    for span in sorted(spans):
        pieces.append(source[last : span.start])
        pieces.append(replacement)
        last = span.end
    pieces.append(source[last:])
    return "".join(pieces)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def identifiers(*sources: str) -> set[str]:
    """Every identifier-shaped word in the given sources (a cheap superset of the names in use)."""
    found: set[str] = set()
    for source in sources:
        found.update(_IDENTIFIER.findall(source))
    return found


def is_valid_new_name(name: str, taken: set[str]) -> bool:
    """Whether ``name`` can replace another identifier without clashing with anything in ``taken``."""
    import builtins

    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and not keyword.issoftkeyword(name)
        and name not in taken
        and not hasattr(builtins, name)
    )


def rename_entry_point(problem: Problem, new_name: str) -> Problem:
    """``problem`` with its entry point renamed to ``new_name`` in prompt, solution, docstrings and tests.

    The prompt and the canonical solution are analysed together (the solution's recursive calls bind to
    the prompt's ``def``); the test code is renamed where it calls the function by its name.
    Raises :class:`ParseFailure` when the program or the tests do not parse.
    """
    old = problem.entry_point
    program = problem.prompt + problem.canonical_solution
    spans = entry_point_spans(program, old)
    cut = len(problem.prompt)
    prompt_spans = [s for s in spans if s.end <= cut]
    solution_spans = [Span(s.start - cut, s.end - cut) for s in spans if s.start >= cut]
    return problem.with_changes(
        prompt=replace_spans(problem.prompt, prompt_spans, new_name),
        canonical_solution=replace_spans(problem.canonical_solution, solution_spans, new_name),
        test=replace_spans(problem.test, free_name_spans(problem.test, old), new_name),
        entry_point=new_name,
    )
