"""Length-prefixed JSON frames, as the worker's manager reads and writes them (part of the worker).

Standard library only. A frame is a 4-byte big-endian length and that many bytes of ASCII JSON. The codec
calls ``json``'s C scanner and encoder directly: ``json.loads``/``json.dumps`` add layers of Python per
call (encoding detection, whitespace checks, a new encoder each time) that cost more than the work itself
on frames of a few kilobytes, many times a second.
"""

from __future__ import annotations

import json
import json.decoder
import json.encoder
import os
from typing import Any

__all__ = ["FrameReader", "dumps", "frame_end", "loads", "pop_frame", "write_frame"]

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


def write_frame(fd: int, frame: Any) -> None:
    data = dumps(frame)
    data = len(data).to_bytes(4, "big") + data
    while data:
        data = data[os.write(fd, data):]


def frame_end(buffer: bytearray) -> int:
    """How many bytes ``buffer`` must hold for the frame at its head to be whole (4 until its length is in)."""
    if len(buffer) < 4:
        return 4
    return 4 + int.from_bytes(buffer[:4], "big")


def pop_frame(buffer: bytearray) -> bytes | None:
    """The body of the frame at the head of ``buffer``, taken out of it; None, buffer untouched, until it is whole."""
    end = frame_end(buffer)
    if len(buffer) < end:
        return None
    body = bytes(buffer[4:end])
    del buffer[:end]
    return body


class FrameReader:
    """Frames from a descriptor, read in large chunks (the host may send the next job early)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def _fill(self, size: int) -> bool:
        while len(self.buffer) < size:
            chunk = os.read(self.fd, max(size - len(self.buffer), 1 << 16))
            if not chunk:
                return False
            self.buffer += chunk
        return True

    def read(self) -> Any:
        """The next frame's value, or None at end of file."""
        while (body := pop_frame(self.buffer)) is None:
            if not self._fill(frame_end(self.buffer)):
                return None
        return loads(body)
