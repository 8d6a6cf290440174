"""Format transforms (ReCode's ``format`` folder): layout changes that keep the program's meaning.

They work on the whole program around the split marker like the syntax transforms, with the token
stream for layout (indentation, line ends, gaps between tokens) and the libcst tree for docstrings.
Only the whitespace, line breaks and docstrings they mean to change move; the rest is kept byte-for-byte.
"""

from __future__ import annotations

import re
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from ._base import Site
from ._code import CodeSite, CodeTransform, NoSites, Program, TextEdit, apply_text_edits, compiles
from ._statements import docstring_of, walk_statements

__all__ = ["doc2comments", "new_line_aftercode", "new_line_afterdoc", "new_lines", "split_lines", "tab_indent"]

_FSTRING_START = getattr(tokenize, "FSTRING_START", -1)
_FSTRING_END = getattr(tokenize, "FSTRING_END", -1)
_LAYOUT = (tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT, tokenize.ENDMARKER)


@dataclass(frozen=True)
class _Docstring:
    """A docstring statement and the function or class it documents (``None`` for the module's)."""

    statement: cst.SimpleStatementLine
    owner: cst.FunctionDef | cst.ClassDef | None


def _leading_string(body: Sequence[cst.BaseStatement]) -> cst.SimpleStatementLine | None:
    """The docstring of a body, or a lone string right after its imports (HumanEval/115 imports first and
    documents after: the text is still the problem statement, and ReCode treats it as the docstring)."""
    index = 0
    while index < len(body) and isinstance(body[index], cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in body[index].body  # type: ignore[attr-defined]
    ):
        index += 1
    return docstring_of(body[index:])


def _docstrings(program: Program, *, removable: bool = False) -> list[_Docstring]:
    """Docstring statements of the module, its classes and functions, in source order.

    With ``removable``, only those whose body goes on after them (removing the docstring of a body that
    holds nothing else would leave it empty).
    """
    found = []
    module_doc = docstring_of(program.module.body)
    if module_doc is not None:
        found.append(_Docstring(module_doc, None))
    for statement in walk_statements(program.module):
        definition = statement.node
        if not isinstance(definition, (cst.FunctionDef, cst.ClassDef)):
            continue
        if isinstance(definition.body, cst.IndentedBlock):
            body = definition.body.body
            doc = _leading_string(body) if isinstance(definition, cst.FunctionDef) else docstring_of(body)
            if doc is not None and (not removable or body[-1] is not doc):
                found.append(_Docstring(doc, definition))
    return sorted(found, key=lambda d: program.span(d.statement)[0])


def _seeded(program: Program, doc: _Docstring, docs: Sequence[_Docstring]) -> bool:
    """ReCode's seeded variants change the entry point's docstring only (every one where it has none)."""
    entry = program.entry_function
    return doc.owner is entry if entry is not None and any(d.owner is entry for d in docs) else True


def _line_number(program: Program, offset: int) -> int:
    return program.source.count("\n", 0, offset) + 1


# -- tab_indent --------------------------------------------------------------------------------------
class tab_indent(CodeTransform):  # noqa: N801 - ReCode's name
    """Space indentation becomes tab indentation; tab indentation becomes four spaces per level.

    As in ReCode, every four spaces that lead a line become a tab: code, comment, continuation and
    docstring lines alike (``"        x"`` becomes two tabs, ``"      x"`` a tab and two spaces). Where
    that would mix tabs and spaces in a way Python refuses (indentation by two spaces), each block level
    becomes one tab instead, continuation lines keeping their alignment beyond the block's indentation.
    Other multi-line strings keep their text, and every line changes together (a partial change would
    mix tabs and spaces).
    """

    name = "tab_indent"
    category = "format"
    summary = "space indentation <-> tab indentation"
    no_site_reason = "no indented line"

    def find_sites(self, program: Program) -> Iterator[CodeSite]:
        first_indent = next((t.string for t in program.tokens if t.type == tokenize.INDENT), None)
        if first_indent is None:
            raise NoSites("the program has no indented block")
        to_tabs = "\t" not in first_indent
        edits = (_groups_to_tabs(program) if to_tabs else None) or _levels(program, to_tabs)
        if not edits:
            return
        label = "tabs" if to_tabs else "spaces"
        yield CodeSite(Site("indentation", first_indent, (label,)), (tuple(edits),))


def _docstring_rows(program: Program) -> set[int]:
    """0-based lines that continue a docstring (its first line starts with code indentation anyway)."""
    starts = {program.span(d.statement)[0] for d in _docstrings(program)}
    rows: set[int] = set()
    for tok in program.tokens:
        if tok.type == tokenize.STRING and program.offset(*tok.start) in starts:
            rows.update(range(tok.start[0], tok.end[0]))
    return rows


def _groups_to_tabs(program: Program) -> list[TextEdit] | None:
    """ReCode's conversion: each four leading spaces of a line become a tab; ``None`` if Python refuses it."""
    docstring_rows = _docstring_rows(program)
    edits = []
    for row, text in enumerate(program.source.split("\n")):
        if not text.strip() or program.line_starts[row] == program.cut:
            continue
        if row in program.string_lines and row not in docstring_rows:
            continue  # the text of a string that is data
        lead = text[: len(text) - len(text.lstrip(" \t"))]
        new = lead.replace("    ", "\t")
        if new != lead:
            start = program.line_starts[row]
            edits.append(TextEdit(start, start + len(lead), new))
    if compiles(apply_text_edits(program.source, edits)) is not None:
        return None  # e.g. two-space blocks: a tab for four spaces would make the nesting ambiguous
    return edits


def _levels(program: Program, to_tabs: bool) -> list[TextEdit]:
    """One tab per block level (or four spaces per level, from tabs)."""
    tokens = program.tokens
    unit = "\t" if to_tabs else "    "
    doc_starts = {program.span(d.statement)[0] for d in _docstrings(program)}
    lines = program.source.split("\n")
    replacement: dict[int, tuple[str, str]] = {}  # 0-based line -> (old prefix, new prefix)
    depth_of: dict[str, int] = {"": 0}  # indentation -> level, for comment lines (even ahead of an INDENT)
    level = 0
    for tok in tokens:
        level += tok.type == tokenize.INDENT
        level -= tok.type == tokenize.DEDENT
        if tok.type == tokenize.INDENT:
            depth_of.setdefault(tok.string, level)
    stack = [""]
    logical_start = True
    current = ""
    for tok in tokens:
        kind = tok.type
        if kind == tokenize.INDENT:
            stack.append(tok.string)
            continue
        if kind == tokenize.DEDENT:
            stack.pop()
            continue
        if kind == tokenize.NEWLINE:
            logical_start = True
            continue
        if kind == tokenize.NL:
            continue
        if kind == tokenize.ENDMARKER:
            break
        row = tok.start[0] - 1
        if kind == tokenize.COMMENT and logical_start:  # a comment line between statements
            prefix = lines[row][: tok.start[1]]
            if prefix in depth_of and program.line_starts[row] != program.cut:
                replacement[row] = (prefix, unit * depth_of[prefix])
            continue
        if logical_start:
            logical_start = False
            current = stack[-1]
            if current:
                replacement[row] = (current, unit * (len(stack) - 1))
            if kind == tokenize.STRING and program.offset(*tok.start) in doc_starts and current:
                # Docstring lines follow the code's indentation, as an editor converting the file would.
                for inner in range(tok.start[0], tok.end[0]):
                    if lines[inner].startswith(current):
                        replacement[inner] = (current, unit * (len(stack) - 1))
        elif row not in replacement and row not in program.string_lines:
            # The first token of a continuation line: keep its alignment beyond the block's indentation.
            text = lines[row]
            if current and text.startswith(current) and not text[: tok.start[1]].strip():
                replacement[row] = (current, unit * (len(stack) - 1))
    edits = []
    for row, (old, new) in sorted(replacement.items()):
        if old != new:
            start = program.line_starts[row]
            edits.append(TextEdit(start, start + len(old), new))
    return edits


# -- split_lines ------------------------------------------------------------------------------------
class split_lines(CodeTransform):  # noqa: N801 - ReCode's name
    """Breaks a line of the prompt in two with a backslash continuation, at a space between two tokens.

    Sites are the prompt's lines, longest first as ReCode measures them (not counting whitespace); options
    are the gaps, the one nearest the middle first. Splits happen only where a space separates two tokens,
    never inside a string, an f-string or a comment, so ``"".join`` stays whole. The seeded variant splits
    the longest line outside the entry point's signature, which ReCode never splits.
    """

    name = "split_lines"
    category = "format"
    summary = "break the longest line in two with a backslash continuation"
    no_site_reason = "no line with a space between two tokens"
    one_edit = True

    def find_sites(self, program: Program) -> Iterator[CodeSite]:
        gaps: dict[int, list[tuple[int, int]]] = {}
        previous: tokenize.TokenInfo | None = None
        fstring_depth = 0
        for tok in program.tokens:
            if tok.type == _FSTRING_START:
                fstring_depth += 1
            elif tok.type == _FSTRING_END:
                fstring_depth -= 1
            usable = tok.type not in _LAYOUT
            if (
                usable
                and previous is not None
                and fstring_depth == 0
                and tok.type != _FSTRING_END
                and previous.end[0] == tok.start[0]
                and tok.start[1] > previous.end[1]
            ):
                start = program.offset(*previous.end)
                end = program.offset(*tok.start)
                if end <= program.cut and program.source[start:end].strip(" ") == "":
                    gaps.setdefault(tok.start[0] - 1, []).append((start, end))
            previous = tok if usable and fstring_depth == 0 else None
        if not gaps:
            return
        unit = program.module.default_indent
        lines = program.source.split("\n")
        # ReCode's longest line: the most characters other than whitespace.
        rows = sorted((r for r in gaps if r not in program.string_lines),
                      key=lambda r: (-len("".join(lines[r].split())), r))
        signature = program.signature_span()
        for row in rows:
            text = lines[row]
            line_start = program.line_starts[row]
            indent = text[: len(text) - len(text.lstrip(" \t"))]
            middle = line_start + len(indent) + (len(text) - len(indent)) / 2
            ordered = sorted(gaps[row], key=lambda g: (abs(g[0] - middle), g[0]))
            continuation = indent + unit
            options = []
            for start, end in ordered:
                options.append((TextEdit(start, end, " \\\n" + continuation),))
            shown = tuple(
                (program.source[line_start:s] + " \\\n" + continuation + program.source[e : line_start + len(text)])
                for s, e in ordered
            )
            in_signature = signature is not None and signature[0] < line_start + len(text) and line_start < signature[1]
            yield CodeSite(Site(f"line {row + 1}", text, shown), tuple(options), not in_signature)


# -- doc2comments -----------------------------------------------------------------------------------
_PREFIX = re.compile(r"^[rRuU]*")


def _comment_lines(raw: str, indent: str) -> str:
    """The docstring literal ``raw`` as comment lines, laid out as ReCode lays them out.

    The lines of the opening and closing quotes go when they hold nothing else; an empty line stays a
    blank line and a line of spaces becomes a bare ``#``, as in ReCode's output; the text keeps its
    indentation relative to the docstring's.
    """
    body = raw[len(_PREFIX.match(raw).group(0)) :]  # type: ignore[union-attr]
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    inner = body[len(quote) : len(body) - len(quote)]
    lines = inner.split("\n")
    rest = [line for line in lines[1:] if line.strip()]
    common = min((len(line) - len(line.lstrip(" \t")) for line in rest), default=0)
    cleaned: list[str | None] = [lines[0].strip()] + [line[common:].rstrip() if line else None for line in lines[1:]]
    if len(cleaned) > 1 and not cleaned[0]:
        cleaned.pop(0)
    if len(cleaned) > 1 and lines[-1] and not lines[-1].strip():
        cleaned.pop()
    return "".join("\n" if line is None else f"{indent}# {line}\n" if line else f"{indent}#\n" for line in cleaned)


class doc2comments(CodeTransform):  # noqa: N801 - ReCode's name
    """Turns a docstring into ``#`` comment lines at the same indentation (text, examples and all).

    Every docstring is a site; ReCode's seeded variant turns the entry point's alone, and so does ours.
    """

    name = "doc2comments"
    category = "format"
    summary = "turn the docstring into # comment lines"
    no_site_reason = "no docstring"

    def find_sites(self, program: Program) -> Iterator[CodeSite]:
        docs = _docstrings(program, removable=True)
        for doc in docs:
            start, end = program.span(doc.statement)
            if end > program.cut:
                continue
            line_start, line_end = program.line_start(start), program.line_end(end)
            indent = program.source[line_start:start]
            string = doc.statement.body[0].value  # type: ignore[attr-defined]
            s_start, s_end = program.span(string)
            text = _comment_lines(program.source[s_start:s_end], indent)
            trailing = program.source[end:line_end].strip()
            if trailing:  # a comment after the closing quotes stays, as its own line
                text += f"{indent}{trailing}\n"
            yield CodeSite(
                Site(f"docstring on line {_line_number(program, start)}", program.source[start:end], (text,)),
                ((TextEdit(line_start, line_end, text),),),
                _seeded(program, doc, docs),
            )


# -- blank lines ------------------------------------------------------------------------------------
class new_lines(CodeTransform):  # noqa: N801 - ReCode's name
    """Inserts blank lines after lines of the prompt; each line end is a site, taken with p = 0.5.

    Every line break outside a string is a site, blank lines and lines inside brackets included. The
    seeded variant, like ReCode's, draws among the line ends from the closing line of the entry point's
    docstring on (from its signature where it has none).
    """

    name = "new_lines"
    category = "format"
    randomized = True
    rate = 0.5
    summary = "insert blank lines after code lines, p=0.5"
    no_site_reason = "no line end"

    def find_sites(self, program: Program) -> Iterator[CodeSite]:
        code_from = _code_start(program)
        lines = program.source[: program.cut].split("\n")[:-1]
        for row, text in enumerate(lines):
            if row + 1 in program.string_lines or text.endswith("\\"):
                continue  # the line break belongs to a string, or a backslash continues the line
            offset = program.line_starts[row + 1]
            yield CodeSite(Site(f"after line {row + 1}", "", ("\n",)), ((TextEdit(offset, offset, "\n"),),),
                           offset >= code_from)


def _code_start(program: Program) -> int:
    """Where ReCode's code lines begin: the end of the line that closes the entry point's docstring (or
    its signature where it has none; the start of the program when there is no entry point)."""
    entry = program.entry_function
    if entry is None:
        return 0
    for doc in _docstrings(program):
        if doc.owner is entry:
            return program.line_end(program.span(doc.statement)[1])
    signature = program.signature_span()
    return signature[1] if signature is not None else 0


class new_line_aftercode(CodeTransform):  # noqa: N801 - ReCode's name
    """Appends a newline at the end of the prompt (a blank line before the model's completion)."""

    name = "new_line_aftercode"
    category = "format"
    summary = "append a newline at the end of the prompt"

    def find_sites(self, program: Program) -> Iterator[CodeSite]:
        yield CodeSite(Site("end of prompt", "", ("\n",)), ((TextEdit(program.cut, program.cut, "\n"),),))


class new_line_afterdoc(CodeTransform):  # noqa: N801 - ReCode's name
    """Inserts a blank line right after the docstring (the seeded variant: the entry point's, as ReCode)."""

    name = "new_line_afterdoc"
    category = "format"
    summary = "insert a blank line right after the docstring"
    no_site_reason = "no docstring"

    def find_sites(self, program: Program) -> Iterator[CodeSite]:
        docs = _docstrings(program)
        for doc in docs:
            start, end = program.span(doc.statement)
            offset = program.line_end(end)
            if offset > program.cut:
                continue
            yield CodeSite(
                Site(f"after the docstring on line {_line_number(program, start)}", "", ("\n",)),
                ((TextEdit(offset, offset, "\n"),),),
                _seeded(program, doc, docs),
            )
