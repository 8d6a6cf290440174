"""Dead-code insertion: a block that never runs, made of a copy of a statement of the same function.

Safe by construction, where ReCode's version broke 95 of 958 passing MBPP solutions:

- blocks go only inside function bodies (never above imports, ``from __future__`` or a docstring);
- the copied statement comes from the same function scope, so every name it binds is already local there
  (a copy from a nested function would turn a global into an unbound local), and it never holds
  ``global``/``nonlocal`` or a nested ``def``/``class``;
- a copy whose ``break``/``continue`` would need a loop goes inside a dead loop, or where a loop encloses it;
- the copy comes from the prompt, never from the hidden rest of the reference solution (that would show
  the model part of the answer), and its indentation follows the block it lands in (tabs stay tabs).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from ._base import Edit, Site
from ._code import CodeSite, CodeTransform, NoSites, Program, Statement, TextEdit, docstring_of, fresh_name
from ._code import walk_statements

__all__ = ["DeadCodeInserter", "DeadCodeInserterLast"]

#: The never-executed wrappers, most natural first.
WRAPPERS = ("if", "while", "for", "compare")
#: How many statements (nearest first) a site offers to copy, and the longest copy in lines.
_MAX_CANDIDATES = 6
_MAX_LINES = 4


class _Control(cst.CSTVisitor):
    """Whether a statement holds what a dead copy must not (or may only inside a loop)."""

    def __init__(self) -> None:
        self.forbidden = False
        self.free_jump = False
        self._loops = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.forbidden = True
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.forbidden = True
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Global(self, node: cst.Global) -> None:
        self.forbidden = True

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.forbidden = True

    def visit_For(self, node: cst.For) -> None:
        self._loops += 1

    def leave_For(self, node: cst.For) -> None:
        self._loops -= 1

    def visit_While(self, node: cst.While) -> None:
        self._loops += 1

    def leave_While(self, node: cst.While) -> None:
        self._loops -= 1

    def visit_Break(self, node: cst.Break) -> None:
        self.free_jump = self.free_jump or self._loops == 0

    def visit_Continue(self, node: cst.Continue) -> None:
        self.free_jump = self.free_jump or self._loops == 0


@dataclass(frozen=True)
class _Copy:
    start: int
    end: int
    lines: tuple[str, ...]  # the statement's lines, its own indentation removed where present
    free_jump: bool


@dataclass(frozen=True)
class _Place:
    offset: int
    indent: str
    unit: str
    function: cst.FunctionDef
    in_loop: bool


def _is_docstring(statement: Statement) -> bool:
    function = statement.function
    return (
        function is not None
        and statement.index == 0
        and statement.block is function.body
        and docstring_of(statement.block.body) is not None
    )


def _copies(program: Program, statements: Sequence[Statement]) -> dict[int, list[_Copy]]:
    """Statements of the prompt that may be copied, by the id of their function."""
    copies: dict[int, list[_Copy]] = {}
    for statement in statements:
        if statement.function is None or _is_docstring(statement):
            continue
        start, end = program.span(statement.node)
        if end > program.cut or program.source.count("\n", start, end) >= _MAX_LINES:
            continue
        control = _Control()
        statement.node.visit(control)
        if control.forbidden:
            continue
        own = program.source[program.line_start(start) : start]
        lines = program.source[start:end].split("\n")
        lines = [lines[0]] + [line[len(own) :] if line.startswith(own) else line for line in lines[1:]]
        copies.setdefault(id(statement.function), []).append(_Copy(start, end, tuple(lines), control.free_jump))
    return copies


def _unit(program: Program, block: cst.IndentedBlock | cst.Module) -> str:
    indent = getattr(block, "indent", None)
    return indent if indent is not None else program.module.default_indent


class _DeadCode(CodeTransform):
    category = "syntax"
    no_site_reason = "no place inside a function with a statement to copy"

    def _places(self, program: Program, statements: Sequence[Statement]) -> list[_Place]:
        raise NotImplementedError

    def find_sites(self, program: Program) -> Iterator[CodeSite]:
        statements = list(walk_statements(program.module))
        copies = _copies(program, statements)
        if not copies:
            raise NoSites("no statement of a function in the prompt to copy")
        wrappers = [w for w in WRAPPERS if not (w == "for" and "range" in program.bound_names)]
        taken = set(program.names)
        for number, place in enumerate(self._places(program, statements)):
            candidates = copies.get(id(place.function), [])
            candidates = sorted(
                candidates,
                key=lambda c: (0, place.offset - c.end) if c.end <= place.offset else (1, c.start - place.offset),
            )[:_MAX_CANDIDATES]
            counter = fresh_name(f"_i_{number}", taken)
            options: list[str] = []
            for copy in candidates:
                for wrapper in wrappers:
                    if copy.free_jump and not place.in_loop and wrapper in ("if", "compare"):
                        continue
                    options.append(_block(place, copy, wrapper, counter))
            if not options:
                continue
            taken.add(counter)
            line = program.source.count("\n", 0, place.offset) + 1
            yield CodeSite(
                Site(f"dead code before line {line}", "", tuple(options)),
                tuple((TextEdit(place.offset, place.offset, text),) for text in options),
            )


def _block(place: _Place, copy: _Copy, wrapper: str, counter: str) -> str:
    inner = place.indent + place.unit
    body = "".join(f"{inner}{line}\n" if line.strip() else f"{line}\n" for line in copy.lines)
    if wrapper == "if":
        return f"{place.indent}if False:\n{body}"
    if wrapper == "while":
        return f"{place.indent}while False:\n{body}"
    if wrapper == "for":
        return f"{place.indent}for {counter} in range(0):\n{body}"
    return f"{place.indent}{counter} = 0\n{place.indent}if {counter} < {counter}:\n{body}"


def _last_place(program: Program, statements: Sequence[Statement]) -> _Place | None:
    """Where the partial code ends: after its last statement, or else before the first one of the rest."""
    source, cut = program.source, program.cut
    spans = [program.span(s.node) for s in statements]
    last: int | None = None
    for index, (start, end) in enumerate(spans):
        if end <= cut and (last is None or end >= spans[last][1]):
            last = index
    if last is not None:
        statement = statements[last]
        end = spans[last][1]
        starts_between = any(end < start < cut for start, _ in spans)
        if statement.function is not None and not starts_between:
            start = spans[last][0]
            return _Place(cut, source[program.line_start(start) : start], _unit(program, statement.block),
                          statement.function, statement.in_loop)
    following = [i for i, (start, _) in enumerate(spans) if start >= program.marker_end]
    if following:
        first = min(following, key=lambda i: spans[i][0])
        start = spans[first][0]
        statement = statements[first]
        if statement.function is not None and not source[program.marker_end : start].strip():
            return _Place(cut, source[program.line_start(start) : start], _unit(program, statement.block),
                          statement.function, statement.in_loop)
    return None


class DeadCodeInserter(_DeadCode):
    """Inserts a never-executed block (``if False:``, ``while False:``, ``for _i_0 in range(0):`` or
    ``_i_0 = 0`` / ``if _i_0 < _i_0:``) around a copy of a statement, at a random place in the prompt."""

    name = "DeadCodeInserter"
    randomized = True
    summary = "insert a never-executed block that copies a statement"

    def _places(self, program: Program, statements: Sequence[Statement]) -> list[_Place]:
        places = []
        for statement in statements:
            if statement.function is None or _is_docstring(statement):
                continue
            start, _ = program.span(statement.node)
            offset = program.line_start(start)
            if offset >= program.cut:
                continue
            places.append(_Place(offset, program.source[offset:start], _unit(program, statement.block),
                                 statement.function, statement.in_loop))
        last = _last_place(program, statements)
        if last is not None and all(p.offset != last.offset for p in places):
            places.append(last)
        return places

    def sample(self, problem, rng: random.Random, sites: Sequence[Site]) -> tuple[Edit, ...]:  # type: ignore[no-untyped-def]
        # ReCode inserts one block: a random statement at a random place.
        site = rng.randrange(len(sites))
        return (Edit(site, rng.randrange(len(sites[site].options))),)


class DeadCodeInserterLast(_DeadCode):
    """Inserts the never-executed block right at the end of the partial code (option 0 by default)."""

    name = "DeadCodeInserterLast"
    summary = "insert a never-executed block at the end of the partial code"

    def _places(self, program: Program, statements: Sequence[Statement]) -> list[_Place]:
        last = _last_place(program, statements)
        return [] if last is None else [last]
