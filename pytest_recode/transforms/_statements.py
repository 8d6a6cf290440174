"""Walking the statements of a libcst module with what encloses each (function, loop), cheaply.

Statements live only in suites, so these walks never descend into expressions; they are much cheaper
than a visitor over the whole tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

__all__ = ["Statement", "docstring_of", "node_depths", "suites", "walk_statements"]


@dataclass(frozen=True)
class Statement:
    """A statement that starts its own line (in the module or an indented block), with what encloses it.

    ``function`` is the innermost enclosing function when the statement's scope is that function's (not a
    class body's, not the module's); ``in_loop`` says whether a loop of that same function encloses it.
    """

    node: cst.BaseStatement
    block: cst.IndentedBlock | cst.Module
    index: int
    function: cst.FunctionDef | None
    in_loop: bool


def suites(node: cst.BaseCompoundStatement) -> Iterator[tuple[cst.BaseSuite, bool]]:
    """The suites of a compound statement, each with whether it is a loop body."""
    if isinstance(node, cst.Match):
        for case in node.cases:
            yield case.body, False
        return
    loop = isinstance(node, (cst.For, cst.While))
    yield node.body, loop
    if isinstance(node, cst.If):
        orelse = node.orelse
        while isinstance(orelse, cst.If):
            yield orelse.body, False
            orelse = orelse.orelse
        if orelse is not None:
            yield orelse.body, False
    elif isinstance(node, (cst.Try, cst.TryStar)):
        for handler in node.handlers:
            yield handler.body, False
        if node.orelse is not None:
            yield node.orelse.body, False
        if node.finalbody is not None:
            yield node.finalbody.body, False
    elif isinstance(node, (cst.For, cst.While)) and node.orelse is not None:
        yield node.orelse.body, False


def walk_statements(module: cst.Module) -> Iterator[Statement]:
    """Every statement of ``module`` that starts its own line, in source order, with its context."""

    def walk(block: cst.IndentedBlock, function: cst.FunctionDef | None, in_loop: bool) -> Iterator[Statement]:
        for index, statement in enumerate(block.body):
            yield Statement(statement, block, index, function, in_loop)
            yield from children(statement, function, in_loop)

    def children(statement: cst.BaseStatement, function: cst.FunctionDef | None,
                 in_loop: bool) -> Iterator[Statement]:
        if isinstance(statement, cst.FunctionDef):
            inner: tuple[cst.FunctionDef | None, bool] = (statement, False)
            parts: Iterable[tuple[cst.BaseSuite, bool]] = [(statement.body, False)]
        elif isinstance(statement, cst.ClassDef):
            inner = (None, False)
            parts = [(statement.body, False)]
        elif isinstance(statement, cst.BaseCompoundStatement):
            inner = (function, in_loop)
            parts = suites(statement)
        else:
            return
        for suite, loop in parts:
            if isinstance(suite, cst.IndentedBlock):
                yield from walk(suite, inner[0], inner[1] or (loop and inner[0] is function))

    for index, statement in enumerate(module.body):
        yield Statement(statement, module, index, None, False)
        yield from children(statement, None, False)


def docstring_of(body: Sequence[cst.BaseStatement]) -> cst.SimpleStatementLine | None:
    """The statement line holding the docstring of a body, when it is a lone plain string on its line."""
    if not body:
        return None
    first = body[0]
    if (
        isinstance(first, cst.SimpleStatementLine)
        and len(first.body) == 1
        and isinstance(first.body[0], cst.Expr)
        and isinstance(first.body[0].value, cst.SimpleString)
    ):
        return first
    return None


def node_depths(module: cst.Module, kinds: tuple[type[cst.CSTNode], ...]) -> dict[int, int]:
    """The depth in the tree of every node of the given kinds, by ``id``.

    Depth is counted as in ReCode's parse tree (tree-sitter's), where a statement line is no node of its
    own, so that "first in a breadth-first walk" means what it means there: outermost, then earliest.
    """
    depths: dict[int, int] = {}

    class Walker(cst.CSTVisitor):
        depth = 0

        def on_visit(self, node: cst.CSTNode) -> bool:
            self.depth += not isinstance(node, cst.SimpleStatementLine)
            if isinstance(node, kinds):
                depths[id(node)] = self.depth
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            self.depth -= not isinstance(original_node, cst.SimpleStatementLine)

    module.visit(Walker())
    return depths
