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
from ._code import CodeSite, CodeTransform, NoSites, Program, TextEdit, fresh_name
from ._statements import Statement, docstring_of, walk_statements
from ._statements import suites as _suites_of

__all__ = ["DeadCodeInserter", "DeadCodeInserterLast"]

#: The never-executed wrappers, most natural first.
WRAPPERS = ("if", "while", "for", "compare", "while_compare")
#: How often ReCode draws each wrapper: a dead ``for`` a third of the time, a dead ``while`` or ``if`` a
#: third each, of which two thirds compare a fresh counter with itself.
_RECODE_WEIGHTS = {"for": 3, "while": 1, "while_compare": 2, "if": 1, "compare": 2}
#: How many statements (nearest first) a site offers to copy, and the longest copy in lines.
_MAX_CANDIDATES = 6
_MAX_LINES = 4


_DEFINITIONS = (cst.FunctionDef, cst.ClassDef)
_DECLARATIONS = (cst.Global, cst.Nonlocal)


def _control(statement: cst.BaseStatement, loops: int = 0) -> tuple[bool, bool]:
    """``(forbidden, free_jump)`` for a statement: whether it holds a definition or a ``global``/``nonlocal``
    declaration (never copied), and whether a ``break``/``continue`` in it needs an enclosing loop.

    Statements live only in suites, so this walks suites, never expressions.
    """
    if isinstance(statement, cst.SimpleStatementLine):
        return _small(statement.body, loops)
    if isinstance(statement, _DEFINITIONS) or not isinstance(statement, cst.BaseCompoundStatement):
        return True, False
    forbidden = free = False
    for suite, is_loop_body in _suites_of(statement):
        depth = loops + 1 if is_loop_body else loops
        if isinstance(suite, cst.SimpleStatementSuite):
            results = [_small(suite.body, depth)]
        else:
            results = [_control(child, depth) for child in suite.body]
        for f, j in results:
            forbidden, free = forbidden or f, free or j
    return forbidden, free


def _small(body: Sequence[cst.BaseSmallStatement], loops: int) -> tuple[bool, bool]:
    forbidden = any(isinstance(s, _DECLARATIONS) for s in body)
    free = loops == 0 and any(isinstance(s, (cst.Break, cst.Continue)) for s in body)
    return forbidden, free


@dataclass(frozen=True)
class _Copy:
    start: int
    end: int
    lines: tuple[str, ...]  # the statement's lines, its own indentation removed where present
    free_jump: bool
    header_only: bool = False  # a loop or `if` header with `pass` for its body


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
        start, end = program.statement_span(statement.node)
        own = program.source[program.line_start(start) : start]
        if end > program.cut:
            header = _open_header(program, statement.node)
            if header is not None and start < program.cut:
                lines = _dedent_lines(program.source[start:header].split("\n"), own)
                lines.append(_unit(program, statement.node.body) + "pass")  # type: ignore[attr-defined]
                copies.setdefault(id(statement.function), []).append(_Copy(start, header, tuple(lines), False, True))
            continue
        if program.source.count("\n", start, end) >= _MAX_LINES:
            continue
        forbidden, free_jump = _control(statement.node)
        if forbidden:
            continue
        lines = _dedent_lines(program.source[start:end].split("\n"), own)
        copies.setdefault(id(statement.function), []).append(_Copy(start, end, tuple(lines), free_jump))
    return copies


def _dedent_lines(lines: list[str], own: str) -> list[str]:
    """The statement's lines without its own indentation (the first line has none already)."""
    return [lines[0]] + [line[len(own) :] if line.startswith(own) else line for line in lines[1:]]


def _open_header(program: Program, node: cst.CSTNode) -> int | None:
    """For a loop or ``if`` whose body runs past the cut, where its header (up to the colon) ends, when the
    header itself lies in the prompt: the header with ``pass`` for a body is a copy that shows nothing of
    the hidden rest (partial code often stops inside such a block)."""
    if isinstance(node, cst.For) and node.asynchronous is None:
        before_colon = program.outer_span(node.iter)[1]
    elif isinstance(node, (cst.While, cst.If)):
        before_colon = program.outer_span(node.test)[1]
    else:
        return None
    if not isinstance(node.body, cst.IndentedBlock):
        return None
    colon = program.source.index(":", before_colon) + 1
    return colon if colon <= program.cut else None


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
        wrappers = [w for w in WRAPPERS if not (w == "for" and program.may_rebind("range"))]
        taken = set(program.names)
        declared_until = _declarations(program, statements)
        places = [p for p in self._places(program, statements) if p.offset >= declared_until.get(id(p.function), 0)]
        for number, place in enumerate(places):
            candidates = copies.get(id(place.function), [])
            candidates = sorted(
                candidates,
                # Whole statements before bare headers; nearest first; of a statement and the compound
                # one that ends with it, the smaller.
                key=lambda c: (c.header_only, 0, place.offset - c.end, c.end - c.start) if c.end <= place.offset
                else (c.header_only, 1, c.start - place.offset, c.end - c.start),
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

    def _option(self, rng: random.Random, site: Site) -> int:
        """An option drawn as ReCode draws its dead code: any statement, the wrapper at ReCode's odds."""
        weights = [_RECODE_WEIGHTS[_wrapper_of(option)] for option in site.options]
        return rng.choices(range(len(site.options)), weights)[0]


def _wrapper_of(block: str) -> str:
    """Which wrapper made ``block`` (the text :func:`_block` wrote)."""
    first, second = (block.split("\n") + [""])[:2]
    head = first.strip()
    if head == "if False:":
        return "if"
    if head == "while False:":
        return "while"
    if head.startswith("for "):
        return "for"
    return "while_compare" if second.strip().startswith("while ") else "compare"


def _declarations(program: Program, statements: Sequence[Statement]) -> dict[int, int]:
    """For each function with ``global``/``nonlocal`` statements, the offset where the last one ends.

    A name used before its declaration is a syntax error, so no copy may land above one.
    """
    until: dict[int, int] = {}
    for statement in statements:
        node = statement.node
        if statement.function is not None and isinstance(node, cst.SimpleStatementLine) and any(
            isinstance(small, _DECLARATIONS) for small in node.body
        ):
            end = program.span(node)[1]
            until[id(statement.function)] = max(until.get(id(statement.function), 0), end)
    return until


def _block(place: _Place, copy: _Copy, wrapper: str, counter: str) -> str:
    inner = place.indent + place.unit
    body = "".join(f"{inner}{line}\n" if line.strip() else f"{line}\n" for line in copy.lines)
    if wrapper == "if":
        return f"{place.indent}if False:\n{body}"
    if wrapper == "while":
        return f"{place.indent}while False:\n{body}"
    if wrapper == "for":
        return f"{place.indent}for {counter} in range(0):\n{body}"
    keyword = "while" if wrapper == "while_compare" else "if"
    return f"{place.indent}{counter} = 0\n{place.indent}{keyword} {counter} < {counter}:\n{body}"


def _last_place(program: Program, statements: Sequence[Statement]) -> _Place | None:
    """Where the partial code ends: after its last statement, or else before the first one of the rest."""
    source, cut = program.source, program.cut
    spans = [program.statement_span(s.node) for s in statements]
    last: int | None = None
    for index, (_, end) in enumerate(spans):
        if end <= cut and (last is None or end >= spans[last][1]):
            last = index
    if last is not None:
        statement = statements[last]
        end = spans[last][1]
        # Only blank lines and comments may follow it before the cut (not a header such as `else:`).
        gap = source[end:cut].split("\n")
        only_comments = all(not line.strip() or line.strip().startswith("#") for line in gap)
        if statement.function is not None and only_comments:
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
            start, _ = program.statement_span(statement.node)
            offset = program.line_start(start)
            if offset >= program.cut:
                continue
            places.append(_Place(offset, program.source[offset:start], _unit(program, statement.block),
                                 statement.function, statement.in_loop))
        last = _last_place(program, statements)
        if last is not None and all(p.offset != last.offset for p in places):
            places.append(last)
        return places

    def choose(self, rng: random.Random, sites: Sequence[Site], eligible: Sequence[int]) -> tuple[Edit, ...]:
        # ReCode inserts one block: a random statement at a random place.
        site = eligible[rng.randrange(len(eligible))]
        return (Edit(site, self._option(rng, sites[site])),)


class DeadCodeInserterLast(_DeadCode):
    """Inserts the never-executed block right at the end of the partial code.

    ReCode has one variant of it, with a wrapper and a statement drawn at random; the seeded variant
    draws its option the same way (reproducibly, from the problem and the seed).
    """

    name = "DeadCodeInserterLast"
    summary = "insert a never-executed block at the end of the partial code"

    def choose(self, rng: random.Random, sites: Sequence[Site], eligible: Sequence[int]) -> tuple[Edit, ...]:
        site = eligible[0]
        return (Edit(site, self._option(rng, sites[site])),)

    def _places(self, program: Program, statements: Sequence[Statement]) -> list[_Place]:
        last = _last_place(program, statements)
        return [] if last is None else [last]
