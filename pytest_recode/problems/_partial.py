"""Partial code, as ReCode defines it, and the split marker that code transforms carry across the cut.

ReCode's syntax and format perturbations apply to *partial code*: the prompt plus the first half of the
reference body. Partial code alone often does not parse (it can stop right after ``if x:``), so code
transforms work on the whole function with a marker comment at the split line and cut there afterwards.
"""

from __future__ import annotations

import io
import tokenize

from ._problem import Problem

__all__ = ["SPLIT_MARKER", "join_at_marker", "partial_variant", "split_at_marker"]

SPLIT_MARKER = "# pytest-recode: split here"


def _logical_line_starts(source: str) -> set[int]:
    """0-based indices of the physical lines of ``source`` on which a logical line may begin."""
    starts: set[int] = set()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return starts
    at_line_start = True
    for tok in tokens:
        if tok.type in (tokenize.NL, tokenize.COMMENT):
            if tok.type == tokenize.NL and at_line_start:
                starts.add(tok.start[0] - 1)
            continue
        if tok.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING):
            continue
        if at_line_start:
            starts.add(tok.start[0] - 1)
            at_line_start = False
        if tok.type == tokenize.NEWLINE:
            at_line_start = True
    return starts


def partial_variant(problem: Problem) -> Problem | None:
    """The partial-code variant of ``problem``, or ``None`` when its body is a single line.

    The body's lines (blank lines included, the final newline excluded) are cut after ``floor(n / 2)``
    lines; a cut that would fall inside a multi-line statement moves back to that statement's first line.
    The head joins the prompt; the rest becomes the reference solution.
    """
    if problem.partial:
        return problem
    body = problem.canonical_solution
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    cut = len(lines) // 2
    if cut == 0:
        return None
    program_lines = problem.prompt.count("\n")
    starts = _logical_line_starts(problem.prompt + body)
    while cut > 0 and (program_lines + cut) not in starts:
        cut -= 1
    head = lines[:cut]
    if not any(line.strip() for line in head):
        return None
    head_text = "".join(line + "\n" for line in head)
    return problem.with_changes(
        prompt=problem.prompt + head_text,
        canonical_solution=body[len(head_text) :],
        partial=True,
    )


def _marker_indent(solution: str) -> str:
    for line in solution.split("\n"):
        if line.strip():
            return line[: len(line) - len(line.lstrip())]
    return ""


def join_at_marker(problem: Problem) -> str:
    """The whole program of a (partial) problem with :data:`SPLIT_MARKER` on its own line at the cut."""
    indent = _marker_indent(problem.canonical_solution)
    return f"{problem.prompt}{indent}{SPLIT_MARKER}\n{problem.canonical_solution}"


def split_at_marker(source: str) -> tuple[str, str]:
    """Cut a transformed whole program at the marker line: ``(prompt, rest)``; the marker line is dropped.

    Raises ``ValueError`` when the marker is missing or appears twice, which means a transform lost or
    copied it (a bug in that transform).
    """
    count = source.count(SPLIT_MARKER)
    if count != 1:
        raise ValueError(f"expected the split marker once in the transformed program, found it {count} times")
    index = source.index(SPLIT_MARKER)
    line_start = source.rfind("\n", 0, index) + 1
    line_end = source.find("\n", index)
    rest = "" if line_end == -1 else source[line_end + 1 :]
    return source[:line_start], rest
