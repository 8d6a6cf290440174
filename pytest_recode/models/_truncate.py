"""Cutting a completion after the function under test, keeping the helpers it defines.

A prompt ends inside the entry-point function (after its docstring, or inside its body for partial code),
so a completion first finishes that body and may then define more functions the body calls. What follows
(``if __name__ == "__main__":``, prints, asserts, example calls, a Markdown fence) is not part of the
solution and may even fail or hang, so it is cut.

ReCode cut after the first top-level function of prompt + completion, which is a helper defined *in the
prompt* for HumanEval/10, 32, 38 and 50, leaving those completions empty. Here only top-level lines that
start in the completion are considered, and definitions there (functions, classes, decorators, imports)
are kept.
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize

__all__ = ["truncate_completion"]

#: First words of top-level statements a solution may need after the entry point.
_DEFINITION_WORDS = frozenset({"def", "class", "import", "from", "async", "@"})
_SKIPPED = frozenset({tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING})
#: When tokenizing fails (text cut mid-token by the length limit, Markdown), lines that surely end the code.
_OBVIOUS_END = re.compile(r"(?:if __name__\b|print\(|assert\b|```|[A-Za-z_]\w*\()")


def _top_level_lines(program: str) -> tuple[list[tuple[int, int, str, str]], int | None]:
    """(line number, column, first token, second token) of every logical line, and the line where tokenizing
    stopped early (``None`` when it reached the end)."""
    found: list[tuple[int, int, str, str]] = []
    pending: list[object] = []  # [line, col, first] waiting for its second token
    at_start = True
    try:
        for tok in tokenize.generate_tokens(io.StringIO(program).readline):
            if tok.type in _SKIPPED:
                continue
            if tok.type == tokenize.ENDMARKER:
                break
            if pending:
                found.append((pending[0], pending[1], pending[2], tok.string))  # type: ignore[arg-type]
                pending = []
            if tok.type == tokenize.NEWLINE:
                at_start = True
                continue
            if at_start:
                at_start = False
                pending = [tok.start[0], tok.start[1], tok.string]
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        line = exc.args[1][0] if len(exc.args) > 1 and isinstance(exc.args[1], tuple) else None
        if pending:
            found.append((pending[0], pending[1], pending[2], ""))  # type: ignore[arg-type]
        return found, line if isinstance(line, int) else len(program.splitlines()) + 1
    if pending:
        found.append((pending[0], pending[1], pending[2], ""))  # type: ignore[arg-type]
    return found, None


def _cut_line(program: str, first_line: int, entry_point: str | None, prompt_defines_entry: bool) -> int | None:
    """The (1-based) line of the first top-level statement at or after ``first_line`` that ends the solution."""
    statements, stopped_at = _top_level_lines(program)
    for line, col, first, second in statements:
        if line < first_line or col != 0:
            continue
        if stopped_at is not None and line >= stopped_at:
            break
        if first not in _DEFINITION_WORDS:
            return line
        # A second definition of the function under test would replace the one the prompt began.
        if first == "def" and prompt_defines_entry and second == entry_point:
            return line
    if stopped_at is not None:
        lines = program.splitlines()
        for number in range(max(first_line, 1), len(lines) + 1):
            text = lines[number - 1]
            if _OBVIOUS_END.match(text) and not keyword.iskeyword(text.split("(")[0]):
                return number
    return None


def truncate_completion(prompt: str, completion: str, entry_point: str | None = None) -> str:
    """``completion`` up to the end of the function under test and the definitions that follow it.

    Top-level code after the function (``if __name__``, ``print``, ``assert``, calls, a Markdown fence) and
    a redefinition of ``entry_point`` end the solution; comment and blank lines just before the cut go too.
    A completion with nothing to cut is returned unchanged.
    """
    program = prompt + completion
    first_line = prompt.count("\n") + 1
    if not prompt.endswith("\n") and prompt:
        first_line += 1  # the completion's first line continues the prompt's last one
    defines = entry_point is not None and re.search(rf"^(?:async\s+)?def\s+{re.escape(entry_point)}\b", prompt, re.M)
    cut = _cut_line(program, first_line, entry_point, bool(defines))
    if cut is None:
        return completion
    lines = program.splitlines(keepends=True)
    # Drop comment and blank lines that introduce the cut code ("# Example usage").
    while cut - 1 >= first_line and (not lines[cut - 2].strip() or lines[cut - 2].startswith("#")):
        cut -= 1
    offset = sum(len(text) for text in lines[: cut - 1]) - len(prompt)
    kept = completion[: max(offset, 0)]
    return kept.rstrip() + "\n" if kept.strip() else ""
