"""The channel between a worker's forker and its judge (part of the worker).

Standard library only, and of ``socket`` only the C module (``socket.py`` imports a dozen modules every fork
would copy). A Unix stream socket: each message is a type byte, a 4-byte big-endian length and that many
bytes; a message may carry descriptors (SCM_RIGHTS), which the kernel delivers with its first byte. Forker
to judge: ``J`` a job (its settings, then the program's text, and the program's pipes), ``E`` the program's
wait status, ``R`` a fresh program (its pid, and its pipes). Judge to forker: ``A`` (run the tests again on
a fresh program), ``D`` (the verdict is sent). The judge's frames for the host go on a pipe of their own.
"""

from __future__ import annotations

import _socket
import collections
import os
import sys
from typing import Any

__all__ = ["Channel", "pair"]

_FD_BYTES = 4


def pair() -> tuple[Any, Any]:
    """Two connected ends (forker's, judge's), non-inheritable, blocking."""
    return _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)


class Channel:
    """One end: messages out (:meth:`send`), and in (:meth:`read` when readable, :meth:`pop`)."""

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.buffer = bytearray()
        self.fds: collections.deque[list[int]] = collections.deque()
        self.closed = False

    def send(self, kind: bytes, payload: Any = b"", fds: list[int] | None = None) -> None:
        """Send one message (``payload``: bytes-like, or a list of them, sent as they are, in one system call
        where the socket takes it all: the forker sends the program's text from its buffer, never from an
        object); ``fds`` ride with its first byte."""
        parts = [memoryview(part) for part in (payload if isinstance(payload, list) else [payload])]
        parts.insert(0, memoryview(kind + sum(len(part) for part in parts).to_bytes(4, "big")))
        ancillary = []
        if fds:
            data = b"".join(fd.to_bytes(_FD_BYTES, sys.byteorder, signed=True) for fd in fds)
            ancillary = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, data)]
        sent = self.sock.sendmsg(parts, ancillary)
        for part in parts:  # what did not fit: the rest, in order (the descriptors went with the first byte)
            if sent >= len(part):
                sent -= len(part)
                continue
            view = part[sent:]
            sent = 0
            while view:
                view = view[self.sock.send(view):]

    def read(self, limit: int = 1 << 16) -> None:
        """Take what has come (the socket is readable); ``closed`` at its end."""
        try:
            data, ancillary, _, _ = self.sock.recvmsg(limit, _socket.CMSG_SPACE(16 * _FD_BYTES))
        except BlockingIOError:
            return
        except OSError:  # the other end died with our message unread (ECONNRESET): it is gone all the same
            data, ancillary = b"", []
        for level, kind, raw in ancillary:
            if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
                count = len(raw) // _FD_BYTES
                self.fds.append([int.from_bytes(raw[i * _FD_BYTES:(i + 1) * _FD_BYTES], sys.byteorder, signed=True)
                                 for i in range(count)])
        if not data:
            self.closed = True
        self.buffer += data

    def pop(self) -> tuple[bytes, bytes] | None:
        """The next whole message (type, payload), or None."""
        buffer = self.buffer
        if len(buffer) < 5:
            return None
        end = 5 + int.from_bytes(buffer[1:5], "big")
        if len(buffer) < end:
            return None
        kind, payload = bytes(buffer[:1]), bytes(buffer[5:end])
        del buffer[:end]
        return kind, payload

    def take_fds(self) -> list[int]:
        """The descriptors that came with the message just popped (call it for the types that carry some,
        and only for those: they come in the order of their messages)."""
        return self.fds.popleft() if self.fds else []

    def receive(self) -> tuple[bytes, bytes] | None:
        """Block until a whole message has come; None at the end of the stream."""
        while True:
            message = self.pop()
            if message is not None:
                return message
            if self.closed:
                return None
            self.read()

    def close(self) -> None:
        self.sock.close()
        for fds in self.fds:
            for fd in fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.fds.clear()
