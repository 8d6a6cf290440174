"""Keys next to each key on a QWERTY keyboard: the typos a butter finger makes."""

from __future__ import annotations

import functools

__all__ = ["neighbours"]

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


@functools.lru_cache(maxsize=None)
def _table() -> dict[str, tuple[str, ...]]:
    # Each row is shifted right of the one above by about half a key, so key i of a row touches keys i
    # and i+1 of the row above and keys i-1 and i of the row below.
    table: dict[str, tuple[str, ...]] = {}
    for r, row in enumerate(_ROWS):
        for i, key in enumerate(row):
            near = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
            if r > 0:
                above = _ROWS[r - 1]
                near += [above[j] for j in (i, i + 1) if 0 <= j < len(above)]
            if r + 1 < len(_ROWS):
                below = _ROWS[r + 1]
                near += [below[j] for j in (i - 1, i) if 0 <= j < len(below)]
            table[key] = tuple(near)
    return table


def neighbours(char: str) -> tuple[str, ...]:
    """Letters next to ``char`` (same case as ``char``), those on the same row first; ``()`` for non-letters."""
    near = _table().get(char.lower(), ())
    return tuple(n.upper() for n in near) if char.isupper() else near
