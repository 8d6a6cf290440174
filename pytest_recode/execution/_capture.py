"""What the judge keeps of a program's output, and what a program's early end means (part of the worker).

Standard library only. The judge reads the program's stdout and stderr as they come (it forks nothing
while the program runs, so reading costs no copied pages), keeps the first ``limit`` bytes of each and
counts the rest, which it moves to /dev/null without copying it (``splice``), so that a program writing
gigabytes finishes as fast as the kernel moves them.
"""

from __future__ import annotations

import os
import signal
from typing import Any

__all__ = ["SETUP_FAILED", "Capture", "ended_verdict"]

#: The exit status of a process of the sandbox that failed before the program ran.
SETUP_FAILED = 121
_CHUNK = 1 << 16
_SIGNAL_HINTS = {
    "SIGXCPU": "the CPU time limit was exceeded",
    "SIGSEGV": "segmentation fault (often: recursion deeper than the C stack allows)",
    "SIGKILL": "killed (out of memory, or by another process)",
    "SIGXFSZ": "the file size limit was exceeded",
}


class Capture:
    """One output stream of the program: a non-blocking pipe read whenever it has something."""

    def __init__(self, fd: int, limit: int) -> None:
        self.fd = fd
        self.limit = limit
        self.data = bytearray()
        self.total = 0
        self.sink = -1

    def add(self, chunk: bytes) -> None:
        """Output that did not come through the pipe (the judge's own prints)."""
        self.total += len(chunk)
        if len(self.data) < self.limit:
            self.data += chunk[: self.limit - len(self.data)]

    def close(self) -> None:
        if self.sink >= 0:
            os.close(self.sink)
            self.sink = -1

    def read(self) -> None:
        """Take everything the pipe holds now."""
        while True:
            try:
                if len(self.data) < self.limit:
                    chunk = os.read(self.fd, _CHUNK)
                    if not chunk:
                        return
                    self.total += len(chunk)
                    self.data += chunk[: self.limit - len(self.data)]
                elif not self._discard():
                    return
            except BlockingIOError:
                return

    def _discard(self) -> int:
        if self.sink < 0:
            self.sink = os.open(os.devnull, os.O_WRONLY)
        try:
            moved = os.splice(self.fd, self.sink, 1 << 20, flags=os.SPLICE_F_NONBLOCK)
        except (AttributeError, OSError) as exc:
            if isinstance(exc, BlockingIOError):
                raise
            moved = len(os.read(self.fd, 1 << 20))  # no splice here
        self.total += moved
        return moved

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def ended_verdict(status: int) -> dict[str, Any]:
    """The verdict of a program whose process ended (wait ``status``) before its end: killed, or exited."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        hint = _SIGNAL_HINTS.get(name, "")
        return {"status": "crashed", "message": f"killed by {name} ({number})" + (f": {hint}" if hint else "")}
    code = os.WEXITSTATUS(status)
    if code == SETUP_FAILED:
        return {"status": "sandbox_error", "message": "the sandbox could not set up the program's process"}
    return {"status": "failed", "exception_type": "SystemExit",
            "message": f"the program exited (status {code}) before its end"}
