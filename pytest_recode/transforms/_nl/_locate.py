"""Where the entry point's docstring is in a prompt, and which part of it is natural language.

The docstring is found on the parsed prompt (``ast``, which keeps exact positions), so the region handed
to the text transforms starts after the opening quotes and ends before the first ``>>>`` example or the
closing quotes: quotes and examples can never be edited, whatever a transform does with the text.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass

__all__ = ["Docstring", "code_names", "locate_docstring"]

_OPENING = re.compile(r"""^([rRuU]?)('''|\"\"\"|'|")""")


@dataclass(frozen=True)
class Docstring:
    """Offsets into the prompt: the whole literal, its body inside the quotes, and its natural language.

    ``text_start:text_end`` is the natural-language part: the body up to the line of the first ``>>>``
    example (the whole body when there is none).
    """

    literal_start: int
    literal_end: int
    body_start: int
    body_end: int
    text_start: int
    text_end: int
    raw: bool

    def text(self, prompt: str) -> str:
        return prompt[self.text_start : self.text_end]


def _offsets(source: str) -> list[int]:
    """Character offset of the start of each line (1-based line numbers index ``offsets[line - 1]``)."""
    offsets = [0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    return offsets


def _char_offset(source: str, lines: list[int], lineno: int, byte_col: int) -> int:
    # ast columns count UTF-8 bytes; convert through the line's text to get a character offset.
    start = lines[lineno - 1]
    line = source[start : lines[lineno] if lineno < len(lines) else len(source)]
    return start + len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in tree.body:  # the module-level definition first, as the tests call that one
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node
    return None


def _doc_node(function: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.Constant | None:
    # HumanEval/115 puts `import math` above its docstring; the text is still the problem statement.
    for statement in function.body:
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            return statement.value if isinstance(statement.value.value, str) else None
        if not isinstance(statement, (ast.Import, ast.ImportFrom)):
            return None
    return None


_EXAMPLE_LINE = re.compile(r"^[ \t]*>>>", re.MULTILINE)


@functools.lru_cache(maxsize=4096)
def locate_docstring(prompt: str, entry_point: str) -> Docstring | None:
    """The docstring of ``entry_point`` in ``prompt``, or ``None`` when it has none or does not parse."""
    try:
        tree = ast.parse(prompt)
    except (SyntaxError, ValueError):
        return None
    function = _function(tree, entry_point)
    node = _doc_node(function) if function is not None else None
    if node is None or node.end_lineno is None or node.end_col_offset is None:
        return None
    lines = _offsets(prompt)
    start = _char_offset(prompt, lines, node.lineno, node.col_offset)
    end = _char_offset(prompt, lines, node.end_lineno, node.end_col_offset)
    literal = prompt[start:end]
    opening = _OPENING.match(literal)
    if opening is None or not literal.endswith(opening.group(2)):
        return None  # implicit concatenation or a byte string: not a docstring we can edit safely
    prefix, quote = opening.groups()
    body_start = start + len(prefix) + len(quote)
    body_end = end - len(quote)
    if body_end < body_start:
        return None
    example = _EXAMPLE_LINE.search(prompt, body_start, body_end)
    text_end = example.start() if example is not None else body_end
    return Docstring(start, end, body_start, body_end, body_start, text_end, raw=prefix.lower() == "r")


@functools.lru_cache(maxsize=4096)
def code_names(prompt: str, entry_point: str) -> frozenset[str]:
    """Identifiers of the prompt's code (not its strings or comments): names a docstring may mention.

    Parameter, function, class and type names, imported names, and the entry point itself. Keywords are
    left out: ``if`` and ``in`` are English words too.
    """
    names = {entry_point}
    try:
        tree = ast.parse(prompt)
    except (SyntaxError, ValueError):
        return frozenset(names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return frozenset(names)
