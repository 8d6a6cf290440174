"""The JSON codec of the worker's frames (part of the worker).

Standard library only. It calls ``json``'s C scanner and encoder directly: ``json.loads``/``json.dumps``
add layers of Python per call (encoding detection, whitespace checks, a new encoder each time) that cost
more than the work itself on frames of a few kilobytes, many times a second.
"""

from __future__ import annotations

import json
import json.decoder
import json.encoder
from typing import Any

__all__ = ["dumps", "loads"]

_scan = json.decoder.JSONDecoder().scan_once
_c_encoder = getattr(json.encoder, "c_make_encoder", None)
_encoder = _c_encoder(None, None, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True) \
    if _c_encoder is not None else None
_strict = _c_encoder(None, None, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, False) \
    if _c_encoder is not None else None


def dumps(value: Any, *, allow_nan: bool = True) -> bytes:
    """``value`` as compact ASCII JSON; ValueError for NaN or infinities where ``allow_nan`` is false."""
    encoder = _encoder if allow_nan else _strict
    if encoder is None:
        return json.dumps(value, ensure_ascii=True, allow_nan=allow_nan, separators=(",", ":")).encode("ascii")
    return "".join(encoder(value, 0)).encode("ascii")


def loads(data: bytes) -> Any:
    """One JSON value that is the whole of ``data``; ValueError for anything else, however it is nested
    (the C scanner gives up at the recursion limit: a RecursionError, turned into a ValueError here)."""
    text = data.decode("ascii")  # UnicodeDecodeError is a ValueError
    try:
        value, end = _scan(text, 0)
    except StopIteration as exc:
        raise ValueError(f"not JSON at {exc.value}") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if end != len(text):
        raise ValueError(f"extra data at {end}")
    return value
