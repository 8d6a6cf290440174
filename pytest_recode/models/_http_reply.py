"""Checking what an OpenAI-compatible server answered before anything of it is used or cached.

A completion paired with the wrong prompt is worse than no completion: it would be judged, cached and
replayed as the model's answer to a prompt it never saw. So a reply is taken only when it is a JSON object
whose ``choices`` are exactly ``count`` objects with the indices ``0..count-1``, each with a string ``text``.
"""

from __future__ import annotations

import json
from typing import Any

from .._errors import ModelError
from ._http_transport import preview

__all__ = ["completion_texts", "served_models"]


def _shown(answer: Any) -> str:
    try:
        return preview(json.dumps(answer))
    except (TypeError, ValueError):
        return preview(repr(answer))


def completion_texts(answer: Any, count: int, where: str) -> list[str]:
    """The ``count`` completion texts of a ``/v1/completions`` answer, in index order.

    ``where`` names the server and request in the :class:`ModelError` raised for any other shape.
    """
    if not isinstance(answer, dict):
        raise ModelError(f"{where}: the reply is a JSON {type(answer).__name__}, not an object with 'choices'; "
                         f"not an OpenAI-compatible completion: {_shown(answer)}")
    choices = answer.get("choices")
    if not isinstance(choices, list):
        raise ModelError(f"{where}: the reply has no 'choices' list: {_shown(answer)}")
    if len(choices) != count:
        raise ModelError(f"{where}: expected {count} choices, got {len(choices)}: {_shown(answer)}")
    texts: list[str | None] = [None] * count
    for position, choice in enumerate(choices):
        if not isinstance(choice, dict):
            raise ModelError(f"{where}: choice {position} is not an object: {_shown(choice)}")
        index = choice.get("index")
        if index is None and count == 1:
            index = 0  # one choice cannot be paired with the wrong prompt
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count or texts[index] is not None:
            seen = [c.get("index") if isinstance(c, dict) else None for c in choices]
            raise ModelError(f"{where}: the choices' indices must be exactly 0..{count - 1}, got {seen!r:.200}; "
                             "the server pairs completions with prompts wrongly.")
        text = choice.get("text")
        if not isinstance(text, str):
            raise ModelError(f"{where}: choice {index} has no string 'text': {_shown(choice)}")
        texts[index] = text
    return [t for t in texts if t is not None]


def served_models(listing: Any, where: str) -> list[dict[str, Any]]:
    """The entries (objects with an ``id``) of a ``/v1/models`` answer."""
    data = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(data, list):
        raise ModelError(f"{where}: expected an object with a 'data' list of models, got {_shown(listing)}")
    return [dict(e, id=str(e["id"])) for e in data if isinstance(e, dict) and "id" in e]
