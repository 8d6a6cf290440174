"""What the syntax and format transforms share: the whole program around the split marker, parsed once.

A code transform sees a problem (usually its partial-code variant) as one program: the prompt, a marker
comment line, the rest of the reference solution (:func:`~pytest_recode.problems.join_at_marker`). It finds
sites on that program and describes each option as text edits at source offsets; applying edits splices
text and cuts the result at the marker into a new prompt and a new reference solution. Nothing is
re-printed from a tree, so every byte a transform does not mean to change stays as it was.

Only sites whose edits reach the prompt count: changing the hidden rest alone measures nothing.
"""

from __future__ import annotations

import abc
import io
import keyword
import random
import tokenize
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider, ScopeProvider

from .._errors import TransformError
from ..problems import SPLIT_MARKER, Problem, join_at_marker, split_at_marker
from ._base import Edit, Site, Transform, TransformConfig, draw_sites
from ._names import STAR, bindings
from ._rename import ParseFailure, identifiers
from ._statements import walk_statements

__all__ = [
    "Bounded",
    "CodeSite",
    "CodeTransform",
    "NoSites",
    "Program",
    "ProgramCache",
    "TextEdit",
    "apply_text_edits",
    "fresh_name",
    "seeded_rng",
]

_K = TypeVar("_K")
_V = TypeVar("_V")


class Bounded(Generic[_K, _V]):
    """A least-recently-used mapping that forgets its oldest entries beyond ``maxsize``."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[_K, _V] = OrderedDict()

    def get(self, key: _K) -> _V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: _K, value: _V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


@dataclass(frozen=True, order=True)
class TextEdit:
    """Replace ``source[start:end]`` by ``text`` (``start == end``: insert)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class CodeSite:
    """A :class:`Site` and, for each of its options, the text edits that make it.

    ``seeded`` says whether ReCode's seeded variants may choose the site; the Hypothesis search may
    choose every site (``split_lines`` can split the entry point's signature, ReCode never does).
    """

    site: Site
    options: tuple[tuple[TextEdit, ...], ...]
    seeded: bool = True

    def __post_init__(self) -> None:
        assert len(self.options) == len(self.site.options) and self.options, self.site


def apply_text_edits(source: str, edits: Iterable[TextEdit]) -> str:
    """``source`` with non-overlapping edits applied; insertions at one offset keep the given order."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end))  # stable: equal keys keep site order
    pieces: list[str] = []
    last = 0
    for edit in ordered:
        if edit.start < last:
            raise TransformError(f"overlapping edits at offset {edit.start}")
        pieces.append(source[last : edit.start])
        pieces.append(edit.text)
        last = edit.end
    pieces.append(source[last:])
    return "".join(pieces)


def compiles(source: str) -> str | None:
    """``None`` when ``source`` compiles, else the compiler's complaint."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes etc. warn; they are the dataset's business
            compile(source, "<program>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        return f"{type(exc).__name__}: {getattr(exc, 'msg', exc)}" + (f" (line {line})" if line else "")
    return None


def is_free_identifier(name: str, taken: Iterable[str] | frozenset[str]) -> bool:
    """Whether ``name`` is an identifier that is no keyword, builtin or name in ``taken``."""
    import builtins

    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and not keyword.issoftkeyword(name)
        and not hasattr(builtins, name)
        and name not in taken
    )


def fresh_name(base: str, taken: Iterable[str] | frozenset[str]) -> str:
    """``base`` itself, or ``base`` with the smallest numeric suffix, that clashes with nothing in ``taken``."""
    taken = taken if isinstance(taken, (set, frozenset)) else set(taken)
    if is_free_identifier(base, taken):
        return base
    counter = 1
    while not is_free_identifier(f"{base}{counter}", taken):
        counter += 1
    return f"{base}{counter}"


class Program:
    """One whole program (prompt, marker line, rest) parsed once; metadata is computed when first asked for.

    ``cut`` is the offset of the marker line: text before it is the prompt. ``test`` is the problem's test
    code, consulted for names a transform must not take; ``entry_point`` the name of the function under test.
    """

    def __init__(self, source: str, test: str = "", entry_point: str = "") -> None:
        count = source.count(SPLIT_MARKER)
        if count != 1:
            raise ParseFailure(f"holds the split marker {count} times")
        self.source = source
        self.test = test
        self.entry_point = entry_point
        marker = source.index(SPLIT_MARKER)
        self.cut = source.rfind("\n", 0, marker) + 1
        self.marker_start = marker
        self.marker_end = marker + len(SPLIT_MARKER)
        try:
            self.module = cst.parse_module(source)
        except cst.ParserSyntaxError as exc:
            raise ParseFailure(f"does not parse: {exc.message} (line {exc.raw_line})") from None
        problem = compiles(source)
        if problem is not None:
            raise ParseFailure(f"does not compile: {problem}")

    # -- metadata, on demand ---------------------------------------------------------------------------
    @cached_property
    def wrapper(self) -> MetadataWrapper:
        return MetadataWrapper(self.module, unsafe_skip_copy=True)

    @cached_property
    def positions(self) -> Mapping[cst.CSTNode, CodeRange]:
        return self.wrapper.resolve(PositionProvider)

    @cached_property
    def scopes(self) -> Mapping[cst.CSTNode, object]:
        return self.wrapper.resolve(ScopeProvider)

    @cached_property
    def line_starts(self) -> list[int]:
        starts = [0]
        find = self.source.find
        index = find("\n")
        while index != -1:
            starts.append(index + 1)
            index = find("\n", index + 1)
        return starts

    @cached_property
    def names(self) -> frozenset[str]:
        """Every identifier-shaped word in the program and its tests: names a new one must avoid."""
        return frozenset(identifiers(self.source, self.test))

    @cached_property
    def tokens(self) -> tuple[tokenize.TokenInfo, ...]:
        return tuple(tokenize.generate_tokens(io.StringIO(self.source).readline))

    @cached_property
    def string_lines(self) -> frozenset[int]:
        """0-based indices of lines that continue a multi-line string (their text belongs to the string)."""
        inside: set[int] = set()
        for tok in self.tokens:
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0], tok.end[0]))  # 1-based start = 0-based next line
        return frozenset(inside)

    # -- positions -----------------------------------------------------------------------------------
    def offset(self, line: int, column: int) -> int:
        """The offset of a 1-based line and a 0-based column."""
        return self.line_starts[line - 1] + column

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        """``(start, end)`` offsets of ``node`` (its own parentheses included, surrounding lines not)."""
        where = self.positions[node]
        return self.offset(where.start.line, where.start.column), self.offset(where.end.line, where.end.column)

    def statement_span(self, node: cst.CSTNode) -> tuple[int, int]:
        """Like :meth:`span`, from the first decorator of a decorated definition (positions start at ``def``)."""
        start, end = self.span(node)
        decorators = getattr(node, "decorators", ())
        if decorators:
            start = self.span(decorators[0])[0]
        return start, end

    def outer_span(self, node: cst.CSTNode) -> tuple[int, int]:
        """Like :meth:`span`, with the node's own parentheses (positions leave them out)."""
        start, end = self.span(node)
        lpar = getattr(node, "lpar", ())
        if not lpar:
            return start, end
        code = self.module.code_for_node
        start -= sum(len(code(paren)) for paren in lpar)
        return start, start + len(code(node))

    @cached_property
    def _bound_names(self) -> frozenset[str]:
        return frozenset(bindings(self.module))

    def may_rebind(self, name: str) -> bool:
        """Whether the program (or its tests) might bind ``name``, so that a transform relying on a builtin
        (``range``, ``iter``, ``len``) must stay away: it binds the name somewhere, imports ``*``, or its
        tests mention it at all."""
        return name in self._bound_names or STAR in self._bound_names or name in self._test_names

    @cached_property
    def entry_function(self) -> cst.FunctionDef | None:
        """The definition of the entry point: the module-level one, else the first nested one."""
        found = [s.node for s in walk_statements(self.module)
                 if isinstance(s.node, cst.FunctionDef) and s.node.name.value == self.entry_point]
        top = [node for node in found if node in self.module.body]
        return (top or found or [None])[0]

    def signature_span(self) -> tuple[int, int] | None:
        """Offsets from the entry point's ``def`` (or its first decorator) to the end of the line that ends
        its header (the whole line where the body follows on it)."""
        function = self.entry_function
        if function is None:
            return None
        start, _ = self.statement_span(function)
        body = self.line_start(self.span(function.body)[0])
        return start, body if body > start else self.line_end(start)

    @cached_property
    def _test_names(self) -> frozenset[str]:
        return frozenset(identifiers(self.test))

    def line_start(self, offset: int) -> int:
        return self.source.rfind("\n", 0, offset) + 1

    def line_end(self, offset: int) -> int:
        """The offset just past the newline ending the line that holds ``offset`` (or the end of source)."""
        index = self.source.find("\n", offset)
        return len(self.source) if index == -1 else index + 1

    def indentation(self, offset: int) -> str:
        """The leading whitespace of the line that holds ``offset``."""
        start = self.line_start(offset)
        line = self.source[start : self.line_end(offset)]
        return line[: len(line) - len(line.lstrip(" \t\f"))]

    def starts_line(self, offset: int) -> bool:
        """Whether only whitespace precedes ``offset`` on its line."""
        return not self.source[self.line_start(offset) : offset].strip(" \t\f")

    def touches_prompt(self, edits: Iterable[TextEdit]) -> bool:
        """Whether one of the edits changes the prompt (an insertion at the cut lands in the prompt)."""
        return any(e.start < self.cut or (e.start == e.end == self.cut) for e in edits)

    def touches_marker(self, edits: Iterable[TextEdit]) -> bool:
        return any(e.start < self.marker_end and e.end > self.marker_start for e in edits)


class ProgramCache:
    """Parsed programs by source text, bounded; transforms given the same cache parse each source once."""

    def __init__(self, maxsize: int = 512) -> None:
        self._entries: Bounded[str, Program | str] = Bounded(maxsize)

    def get(self, source: str, test: str = "", entry_point: str = "") -> Program | str:
        """The parsed program, or why it cannot be parsed."""
        key = source + "\0" + test + "\0" + entry_point
        entry = self._entries.get(key)
        if entry is None:
            try:
                entry = Program(source, test, entry_point)
            except ParseFailure as exc:
                entry = str(exc)
            self._entries.put(key, entry)
        return entry


class NoSites(Exception):
    """Raised by :meth:`CodeTransform.find_sites` to say why a program has no site at all."""


class CodeTransform(Transform):
    """Base of the syntax and format transforms: sites on the whole program, cut at the marker.

    Subclasses implement :meth:`find_sites`. Sites are cached per instance by source (bounded); several
    instances may share one :class:`ProgramCache` so that a source is parsed once for all of them.
    """

    #: Why a problem has no site, said when :meth:`find_sites` finds none.
    no_site_reason: str = "nothing to change"
    #: Whether :meth:`apply` compiles its output before returning it (a guard against bugs; transforms
    #: whose edits cannot break syntax, such as renames to fresh identifiers, skip it).
    verify: bool = True
    #: Whether a seeded variant of a deterministic transform makes one edit (at the first seeded site, in
    #: the order of :meth:`find_sites`), as ReCode's do for OperandSwap and ForWhileTransformer.
    one_edit: bool = False

    def __init__(self, config: TransformConfig | None = None, *, programs: ProgramCache | None = None) -> None:
        super().__init__(config)
        self._programs = programs if programs is not None else ProgramCache()
        self._found: Bounded[str, tuple[CodeSite, ...] | str] = Bounded(512)

    @abc.abstractmethod
    def find_sites(self, program: Program) -> Iterable[CodeSite]:
        """Every site in ``program``, in the order shrinking prefers (most natural first)."""

    # -- the Transform interface -----------------------------------------------------------------------
    def code_sites(self, problem: Problem) -> tuple[CodeSite, ...] | str:
        """The sites of ``problem`` that reach its prompt, or why there are none."""
        if problem.prompt and not problem.prompt.endswith("\n"):
            # The marker must start its own line; a prompt that stops mid-line leaves it no place.
            return f"the prompt of {problem.task_id} does not end with a line break"
        source = join_at_marker(problem)
        key = source + "\0" + problem.test + "\0" + problem.entry_point
        found = self._found.get(key)
        if found is None:
            found = self._find(problem, source)
            self._found.put(key, found)
        return found

    def _find(self, problem: Problem, source: str) -> tuple[CodeSite, ...] | str:
        program = self._programs.get(source, problem.test, problem.entry_point)
        if isinstance(program, str):
            return f"the program of {problem.task_id} {program}"
        kept = []
        try:
            found = list(self.find_sites(program))
        except NoSites as exc:
            return f"{self.name}: {exc} in {problem.task_id}"
        for code_site in found:
            if all(program.touches_marker(o) for o in code_site.options):
                continue
            if any(program.touches_marker(o) for o in code_site.options):
                raise TransformError(f"{self.name} made an edit across the split marker in {problem.task_id}")
            if all(program.touches_prompt(o) for o in code_site.options):
                kept.append(code_site)
        if not kept:
            return f"{self.name}: {self.no_site_reason} in the prompt of {problem.task_id}"
        return tuple(kept)

    def sites(self, problem: Problem) -> tuple[Site, ...]:
        found = self.code_sites(problem)
        return () if isinstance(found, str) else tuple(s.site for s in found)

    def not_applicable_reason(self, problem: Problem) -> str:
        found = self.code_sites(problem)
        return found if isinstance(found, str) else super().not_applicable_reason(problem)

    def seeded_sites(self, problem: Problem) -> list[int]:
        """Indices of the sites a seeded variant may choose.

        ReCode perturbs only partial code with its syntax transforms: where the body is one line (no
        partial variant, the whole problem is the baseline) its syntax variants are the nominal prompt,
        and so are ours. The search may still use every site.
        """
        found = self.code_sites(problem)
        if isinstance(found, str) or (self.category == "syntax" and not problem.partial):
            return []
        return [i for i, code_site in enumerate(found) if code_site.seeded]

    def sample(self, problem: Problem, rng: random.Random, sites: Sequence[Site]) -> tuple[Edit, ...]:
        eligible = self.seeded_sites(problem)
        return self.choose(rng, sites, eligible) if eligible else ()

    def choose(self, rng: random.Random, sites: Sequence[Site], eligible: Sequence[int]) -> tuple[Edit, ...]:
        """The edits of a seeded variant among the ``eligible`` sites (:meth:`seeded_sites`, never empty)."""
        if not self.randomized:
            return tuple(Edit(i, 0) for i in (eligible[:1] if self.one_edit else eligible))
        chosen = [eligible[i] for i in draw_sites(rng, [self.rate] * len(eligible))]
        return tuple(Edit(i, rng.randrange(len(sites[i].options))) for i in chosen)

    def apply(self, problem: Problem, edits: Sequence[Edit]) -> Problem:
        found = self.code_sites(problem)
        if isinstance(found, str):
            if edits:
                raise TransformError(f"{self.name} got edits for {problem.task_id}, which has no site: {found}")
            return problem
        checked = self.check_edits([s.site for s in found], edits)
        if not checked:
            return problem
        source = join_at_marker(problem)
        text_edits = [t for e in checked for t in found[e.site].options[e.option]]
        try:
            changed = apply_text_edits(source, text_edits)
        except TransformError as exc:
            raise TransformError(f"{self.name} on {problem.task_id}: {exc} ({checked})") from None
        complaint = compiles(changed) if self.verify else None
        if complaint is not None:  # a bug here, never the user's: say exactly what came out
            raise TransformError(
                f"{self.name} on {problem.task_id} with {list(checked)} made code that does not compile "
                f"({complaint}):\n{changed}"
            )
        prompt, rest = split_at_marker(changed)
        return problem.with_changes(prompt=prompt, canonical_solution=rest)


def seeded_rng(*parts: object) -> random.Random:
    """A generator determined by ``parts`` (for options that must look random yet be a pure function)."""
    import hashlib

    digest = hashlib.sha256("\0".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))
