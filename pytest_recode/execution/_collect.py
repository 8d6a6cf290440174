"""The manager's side of one job: wait for the child's end, capture its output and verdict.

Standard library only (part of the worker, also used by the host as the forker's manager). The child's
verdict frames come on a Unix socket with ``SO_PASSCRED``: the kernel stamps every write with the writer's
process id (as this process's PID namespace numbers it). The child's first frame, sent before the program
runs, is an empty hello: its sender is the child. Bytes from any other process (a grandchild the program
forked) are dropped, and a frame without the job's nonce marks the run as tampered with.

How the child's end is awaited depends on who forked it (see :class:`Spawned`): this process itself (it
then enforces the deadline), or the forker (which enforces it and reports the wait status).
"""

from __future__ import annotations

import math
import os
import select
import signal
import socket
import struct
import time
from typing import Any, Protocol

from ._frames import loads

__all__ = ["Collector", "Spawned", "make_pollers"]

_SETUP_FAILED = 121
_RESULT_LIMIT = 64 * 1024 * 1024
_CREDS = struct.Struct("iII")
_SCM_CREDENTIALS = getattr(socket, "SCM_CREDENTIALS", None)
_DRAIN_S = 0.2
_FIRST_LOOK_S, _LOOK_EVERY_S = 0.01, 0.1  # when to read a running child's output: first, then at most
_SIGNAL_HINTS = {
    "SIGXCPU": "the CPU time limit was exceeded",
    "SIGSEGV": "segmentation fault (often: recursion deeper than the C stack allows)",
    "SIGKILL": "killed (out of memory, or by another process)",
    "SIGXFSZ": "the file size limit was exceeded",
}


class _Output:
    """One captured stream: the first ``limit`` bytes, and how many there were."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.limit - len(self.data)
        if room > 0:
            self.data += chunk[:room]

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


class Spawned(Protocol):
    """A running child, as the collector sees it."""

    #: readable once the child has ended (a pidfd, or the forker's channel); None: call :meth:`poll`
    exit_fd: int | None
    #: when to call :meth:`expire` (monotonic seconds), or None where the forker enforces the timeout
    deadline: float | None
    #: True where this process may read outputs while the child runs at no cost (it does not fork)
    eager: bool
    #: True where the channels outlast the child: once it ended, read what is there, not until end of file
    persistent: bool

    def finish(self) -> tuple[int, bool]:
        """Once ``exit_fd`` is readable: (wait status, killed at the timeout), leftovers killed."""

    def poll(self) -> tuple[int, bool] | None:
        """Without ``exit_fd``: :meth:`finish` if the child has ended, else None."""

    def expire(self) -> tuple[int, bool]:
        """At the deadline: kill the child and its leftovers; (wait status, True)."""


def make_pollers(child: Spawned, out_fd: int, err_fd: int, result_fd: int) -> tuple[select.poll, select.poll]:
    """(every channel, what to wait on) for :meth:`Collector.run`.

    Where this process forked the child, every page it writes while the child lives is copied (fork shares
    them copy-on-write), so it waits in the kernel for the child's end and reads its output only now and
    then: the pipes and the socket hold a megabyte each, and most programs end before the first look. A
    manager that never forks reads stdout and stderr as they come.
    """
    everything, watch = select.poll(), select.poll()
    for fd in (out_fd, err_fd, result_fd):
        everything.register(fd, select.POLLIN)
    if child.exit_fd is not None:
        watch.register(child.exit_fd, select.POLLIN)
    if child.eager:
        for fd in (out_fd, err_fd):
            watch.register(fd, select.POLLIN)
    return everything, watch


class Collector:
    """One job's outputs and verdict. ``owned``: the channels are this job's alone (closed with it, read
    until end of file); else they outlast it and hold nothing of any other job once the child ended."""

    def __init__(self, job: dict[str, Any], out_fd: int, err_fd: int, result: socket.socket,
                 nonce: str, *, owned: bool = False) -> None:
        self.owned = owned
        self.pid: int | None = None  # the child's, once its hello came
        self.greeted = False
        self.job = job
        self.result = result
        self.nonce = nonce
        self.out_fd, self.err_fd = out_fd, err_fd
        self.streams = {out_fd: _Output(job["output_limit"]), err_fd: _Output(job["output_limit"])}
        self.out, self.err = self.streams[out_fd], self.streams[err_fd]
        self.open: set[int] = {out_fd, err_fd, result.fileno()}
        self.buffer = bytearray()
        self.received = 0
        self.verdict: dict[str, Any] | None = None
        self.outcomes: list[dict[str, Any]] = []
        self.loaded = False
        self.tampered = ""
        self.pollers: list[select.poll] = []

    # -- reading ---------------------------------------------------------------------------------------
    def _read(self, fd: int) -> None:
        if fd == self.result.fileno():
            data, ancillary, _, _ = self.result.recvmsg(1 << 16, socket.CMSG_SPACE(_CREDS.size))
            sender = None  # unchecked where the system names no sender
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == _SCM_CREDENTIALS:
                    sender = _CREDS.unpack(payload[: _CREDS.size])[0]
            if data and not self.greeted and self.pid is None:
                self.pid = sender  # the first bytes: the child's hello, sent before the program ran
            if data and sender == self.pid:
                self._frames(data)
        else:
            data = os.read(fd, 1 << 16)
            self.streams[fd].add(data)
        if not data:
            self.open.discard(fd)
            for poller in self.pollers:
                try:
                    poller.unregister(fd)
                except KeyError:
                    pass

    def _frames(self, data: bytes) -> None:
        self.received += len(data)
        if self.tampered or self.received > _RESULT_LIMIT:
            self.tampered = self.tampered or "the program's results are larger than the sandbox accepts"
            return
        self.buffer += data
        while len(self.buffer) >= 4:
            size = int.from_bytes(self.buffer[:4], "big")
            if len(self.buffer) < 4 + size:
                return
            body = bytes(self.buffer[4 : 4 + size])
            del self.buffer[: 4 + size]
            if not self.greeted:
                if size:
                    self.tampered = "the sandbox's result channel did not start with the child's hello"
                    return
                self.greeted = True
                continue
            try:
                frame = loads(body)
            except ValueError:
                frame = None
            if not isinstance(frame, dict) or frame.get("nonce") != self.nonce:
                self.tampered = "the program wrote into the sandbox's result channel"
                return
            kind = frame.get("kind")
            if kind == "loaded":
                self.loaded = True
            elif kind == "outcome" and frame.get("index") == len(self.outcomes) and self.verdict is None:
                self.outcomes.append({k: frame[k] for k in ("value", "exception_type", "message") if k in frame})
            elif kind == "verdict" and self.verdict is None:
                self.verdict = frame
            else:
                self.tampered = "the program sent the sandbox an unexpected result"

    # -- waiting ---------------------------------------------------------------------------------------
    def _drain(self, poller: select.poll) -> None:
        """Read whatever is ready now, without waiting."""
        for fd, _ in poller.poll(0):
            if fd in self.open:
                self._read(fd)

    def run(self, child: Spawned, started: float, pollers: tuple[select.poll, select.poll] | None = None,
            give_up: float | None = None) -> dict[str, Any]:
        """Wait for ``child``'s end and take what it wrote; ``pollers`` (persistent channels): the result of
        :func:`make_pollers`, made once; ``give_up``: when to stop waiting for a child whose deadline someone
        else enforces (TimeoutError)."""
        everything, watch = pollers if pollers is not None else make_pollers(child, self.out_fd, self.err_fd,
                                                                             self.result.fileno())
        self.pollers = [everything, watch]
        interval = _FIRST_LOOK_S
        ended: tuple[int, bool] | None = None
        while ended is None:
            wait = interval if child.exit_fd is not None else 0.005
            if child.deadline is not None:
                remaining = child.deadline - time.monotonic()
                if remaining <= 0:
                    ended = child.expire()
                    break
                wait = min(wait, remaining)
            elif give_up is not None and time.monotonic() > give_up:
                raise TimeoutError("the worker did not answer in time")
            events = watch.poll(math.ceil(wait * 1000))
            for fd, _ in events:
                if fd == child.exit_fd:
                    ended = child.finish()
                    break
                if fd in self.open:
                    self._read(fd)
            if ended is None and child.exit_fd is None:
                ended = child.poll()
            if ended is None and not events:
                self._drain(everything)
                interval = min(interval * 2, _LOOK_EVERY_S)
        status, timed_out = ended
        duration = time.monotonic() - started
        if child.persistent:  # every process of the program is gone: what it wrote is there
            ready = everything.poll(0)
            while ready:
                for fd, _ in ready:
                    self._read(fd)
                ready = everything.poll(0)
        else:
            drain_until = time.monotonic() + _DRAIN_S  # every writer is gone: the rest is there, then EOF
            while self.open and time.monotonic() < drain_until:
                for fd, _ in everything.poll(20):
                    if fd in self.open:
                        self._read(fd)
        return self.response(status, timed_out, duration)

    def close(self) -> None:
        if self.owned:
            for fd in (self.out_fd, self.err_fd):
                os.close(fd)
            self.result.close()

    # -- the verdict -----------------------------------------------------------------------------------
    def response(self, status: int, timed_out: bool, duration: float) -> dict[str, Any]:
        response: dict[str, Any] = {"duration_s": duration, "exception_type": None, "message": "",
                                    "traceback": "", "outcomes": self.outcomes, "loaded": self.loaded}
        if self.tampered:
            response.update(status="failed", exception_type="SandboxTampering", message=self.tampered)
        elif self.verdict is not None:
            for key in ("status", "exception_type", "message", "traceback"):
                response[key] = self.verdict.get(key, response.get(key))
        elif timed_out:
            response.update(status="timeout", message=f"killed after {self.job['timeout']:g} s of wall-clock time")
        elif os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
            hint = _SIGNAL_HINTS.get(name, "")
            response.update(status="crashed", message=f"killed by {name} ({number})" + (f": {hint}" if hint else ""))
        elif os.WEXITSTATUS(status) == _SETUP_FAILED:
            response.update(status="sandbox_error", message="the sandbox could not set up the program's process")
        else:
            code = os.WEXITSTATUS(status)
            response.update(status="failed", exception_type="SystemExit",
                            message=f"the program exited (status {code}) before its end")
        notes = []
        for name, stream in (("stdout", self.out), ("stderr", self.err)):
            response[name] = stream.text()
            if stream.total > stream.limit:
                notes.append(f"{name} truncated to its first {stream.limit} of {stream.total} bytes")
        response["notes"] = notes
        return response
