"""The natural-language text of a docstring as words with offsets, and what in it must not change.

Protected: identifiers of the code (parameter, function and type names), quoted text (``'Yes'``,
``"abc"``: values the function must return), code-like chunks (anything with digits, brackets, operators
or underscores: ``f(x)``, ``arr[i]``, ``x_mean``, ``1 <= n``), ``True``/``False``/``None``, and whole lines
that read as code or data (``check_dict_case({...}) should return True``, a table row ``> 3.7  A``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from ._locate import Docstring, code_names, locate_docstring

__all__ = ["Piece", "TextView", "text_view"]

PieceKind = Literal["word", "punct", "code"]


@dataclass(frozen=True)
class Piece:
    """A word, a punctuation mark or a protected chunk; offsets index the prompt.

    ``protected`` words are identifiers and other text no transform may edit; ``sentence_start`` marks
    the first piece of a sentence (for the tagger and for capitalisation).
    """

    kind: PieceKind
    text: str
    start: int
    end: int
    protected: bool = False
    sentence_start: bool = False

    @property
    def editable(self) -> bool:
        return self.kind == "word" and not self.protected


@dataclass(frozen=True)
class TextView:
    """The pieces of one docstring's natural-language text, in reading order."""

    prompt: str
    docstring: Docstring
    pieces: tuple[Piece, ...]

    @property
    def words(self) -> tuple[Piece, ...]:
        return tuple(p for p in self.pieces if p.editable)


_CHUNK = re.compile(r"\S+")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
# Characters that make a chunk code or data rather than prose.
_CODE_CHARS = re.compile(r"[0-9_=\[\]{}<>+*/\\|#%^~@$&`]")
_INNER_PAREN = re.compile(r"[A-Za-z0-9]\(|\)[A-Za-z0-9]")
_INNER_DOT = re.compile(r"[A-Za-z]\.[A-Za-z]")
_CAMEL = re.compile(r"[a-z][A-Z]")
_CODE_LINE = re.compile(r"==|=>|->|>>>|\s=\s|<=|>=|!=|^\s*[A-Za-z_][A-Za-z0-9_.]*\(")
_PUNCT = re.compile(r"[^\sA-Za-z]")
_CONSTANTS = frozenset({"True", "False", "None"})
_SENTENCE_END = frozenset(".!?:;")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s")


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Spans of quoted text on one line: an opening quote not preceded by a letter, so ``file's`` is a word."""
    spans = []
    for match in re.finditer(r"(?<![A-Za-z0-9])(['\"`])(.*?)\1(?![A-Za-z0-9])", text):
        spans.append((match.start(), match.end()))
    return spans


def _is_code_chunk(chunk: str) -> bool:
    return bool(
        _CODE_CHARS.search(chunk)
        or _INNER_PAREN.search(chunk)
        or _INNER_DOT.search(chunk)
        or _CAMEL.search(chunk)
    )


def _is_code_line(line: str, chunks: list[str]) -> bool:
    if _CODE_LINE.search(line):
        return True
    # A table row or a list of values: mostly chunks that are not plain words.
    plain = sum(1 for c in chunks if _WORD.fullmatch(c.strip(".,;:!?()\"'")) and not _is_code_chunk(c))
    return bool(chunks) and plain * 2 <= len(chunks)


def _line_pieces(line: str, offset: int, names: frozenset[str]) -> list[Piece]:
    chunks = [m for m in _CHUNK.finditer(line)]
    if _is_code_line(line, [m.group() for m in chunks]):
        return [Piece("code", m.group(), offset + m.start(), offset + m.end(), True) for m in chunks]
    quoted = _quoted_spans(line)
    pieces: list[Piece] = []
    for span in quoted:
        pieces.append(Piece("code", line[span[0] : span[1]], offset + span[0], offset + span[1], True))
    for match in chunks:
        start, end = match.span()
        if any(start < q1 and q0 < end for q0, q1 in quoted):
            # Only the part outside the quotes is prose ("('0'-'9')" keeps its brackets as punctuation).
            outside = [(i, ch) for i, ch in enumerate(line[start:end], start) if not any(q0 <= i < q1 for q0, q1 in quoted)]
            pieces.extend(Piece("punct", ch, offset + i, offset + i + 1) for i, ch in outside if not ch.isalnum())
            continue
        chunk = match.group()
        if _is_code_chunk(chunk):
            # Sentence punctuation after code ("arr[i].") still ends the sentence.
            body = chunk.rstrip(".,;:!?") or chunk
            pieces.append(Piece("code", body, offset + start, offset + start + len(body), True))
            pieces.extend(_punct(chunk, len(body), len(chunk), offset + start))
            continue
        position = 0
        for word in _WORD.finditer(chunk):
            pieces.extend(_punct(chunk, position, word.start(), offset + start))
            text = word.group()
            protected = text in names or text in _CONSTANTS
            pieces.append(Piece("word", text, offset + start + word.start(), offset + start + word.end(), protected))
            position = word.end()
        pieces.extend(_punct(chunk, position, len(chunk), offset + start))
    pieces.sort(key=lambda p: p.start)
    return pieces


def _punct(chunk: str, start: int, end: int, offset: int) -> list[Piece]:
    return [Piece("punct", m.group(), offset + m.start(), offset + m.end()) for m in _PUNCT.finditer(chunk, start, end)]


def _mark_sentences(pieces: list[Piece], prompt: str) -> tuple[Piece, ...]:
    marked: list[Piece] = []
    new_sentence = True
    previous_end = None
    for piece in pieces:
        if previous_end is not None:
            gap = prompt[previous_end : piece.start]
            if gap.count("\n") >= 2:  # a blank line ends a paragraph
                new_sentence = True
            elif "\n" in gap and _BULLET.match(prompt[prompt.rfind("\n", 0, piece.start) + 1 : piece.end + 1]):
                new_sentence = True
        if new_sentence and piece.kind != "punct":
            marked.append(Piece(piece.kind, piece.text, piece.start, piece.end, piece.protected, True))
            new_sentence = False
        else:
            marked.append(piece)
        if piece.kind == "punct" and piece.text in _SENTENCE_END:
            new_sentence = True
        previous_end = piece.end
    return tuple(marked)


@functools.lru_cache(maxsize=4096)
def text_view(prompt: str, entry_point: str) -> TextView | None:
    """The pieces of the entry point's docstring text, or ``None`` when there is no docstring."""
    docstring = locate_docstring(prompt, entry_point)
    if docstring is None:
        return None
    names = code_names(prompt, entry_point)
    pieces: list[Piece] = []
    position = docstring.text_start
    for line in prompt[docstring.text_start : docstring.text_end].splitlines(keepends=True):
        pieces.extend(_line_pieces(line.rstrip("\r\n"), position, names))
        position += len(line)
    return TextView(prompt, docstring, _mark_sentences(pieces, prompt))
