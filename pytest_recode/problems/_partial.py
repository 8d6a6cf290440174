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


def _unsafe_cut_lines(source: str) -> set[int]:
    """0-based indices of lines before which a comment line cannot be inserted.

    A comment line may go between any two lines, inside brackets included, except within a multi-line
    string (it would become part of the string) and after a backslash continuation.
    """
    unsafe: set[int] = set()
    lines = source.split("\n")
    for index, line in enumerate(lines[:-1]):
        if line.endswith("\\"):
            unsafe.add(index + 1)
    # From Python 3.12 an f-string is a run of tokens from FSTRING_START to FSTRING_END, not one STRING.
    fstring_start = getattr(tokenize, "FSTRING_START", None)
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    open_fstrings: list[int] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                unsafe.update(range(tok.start[0], tok.end[0]))  # 1-based start line = 0-based next line
            elif fstring_start is not None and tok.type == fstring_start:
                open_fstrings.append(tok.start[0])
            elif fstring_end is not None and tok.type == fstring_end and open_fstrings:
                unsafe.update(range(open_fstrings.pop(), tok.end[0]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return unsafe


def partial_variant(problem: Problem) -> Problem | None:
    """The partial-code variant of ``problem``, or ``None`` when its body is a single line.

    As in ReCode, the body's ``n`` lines (blank lines included, the final newline excluded) are cut after
    ``floor(n / 2)`` lines; the head joins the prompt and the rest becomes the reference solution. The cut
    may fall inside a bracketed expression (the split marker is a comment, legal there) but never inside
    a multi-line string or after a backslash continuation: such a cut moves back to an earlier line.
    """
    if problem.partial:
        return problem
    body = problem.canonical_solution
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    cut = len(lines) // 2
    prompt_lines = problem.prompt.count("\n")
    unsafe = _unsafe_cut_lines(problem.prompt + body)
    while cut > 0 and (prompt_lines + cut) in unsafe:
        cut -= 1
    if cut == 0:
        return None
    head_text = "".join(line + "\n" for line in lines[:cut])
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
    """The whole program of a (partial) problem with :data:`SPLIT_MARKER` on its own line at the cut.

    Raises ``ValueError`` when the prompt does not end with a newline: the cut then falls inside a line,
    where no marker line can go (code transforms report such problems as not applicable).
    """
    if problem.prompt and not problem.prompt.endswith("\n"):
        raise ValueError(f"{problem.task_id}: the prompt does not end with a newline, so no split marker fits")
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
