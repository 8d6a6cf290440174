"""The worker's side of one job: wait for the child, capture its output and verdict, enforce the deadline.

Standard library only (part of the worker). The child's verdict frames come on a Unix socket with
``SO_PASSCRED``: the kernel stamps every write with the writer's process id, so bytes from any other
process (a grandchild the program forked) are dropped, and a frame without the job's nonce marks the run
as tampered with.
"""

from __future__ import annotations

import json
import math
import os
import select
import signal
import socket
import struct
import time
from typing import Any

__all__ = ["Collector"]

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


class Collector:
    def __init__(self, pid: int, job: dict[str, Any], out_fd: int, err_fd: int, result: socket.socket,
                 nonce: str) -> None:
        self.pid = pid
        self.job = job
        self.result = result
        self.nonce = nonce
        self.streams = {out_fd: _Output(job["output_limit"]), err_fd: _Output(job["output_limit"])}
        self.out, self.err = self.streams[out_fd], self.streams[err_fd]
        self.open: set[int] = {out_fd, err_fd, result.fileno()}
        self.buffer = bytearray()
        self.received = 0
        self.verdict: dict[str, Any] | None = None
        self.outcomes: list[dict[str, Any]] = []
        self.loaded = False
        self.tampered = ""
        self.reaped = False  # once True, the pid may be reused: never signal it again

    # -- reading ---------------------------------------------------------------------------------------
    def _read(self, fd: int, poller: select.poll) -> None:
        if fd == self.result.fileno():
            data, ancillary, _, _ = self.result.recvmsg(1 << 16, socket.CMSG_SPACE(_CREDS.size))
            sender = None if _SCM_CREDENTIALS is not None else self.pid  # unchecked where unsupported
            for level, kind, payload in ancillary:
                if level == socket.SOL_SOCKET and kind == _SCM_CREDENTIALS:
                    sender = _CREDS.unpack(payload[: _CREDS.size])[0]
            if data and sender == self.pid:
                self._frames(data)
        else:
            data = os.read(fd, 1 << 16)
            self.streams[fd].add(data)
        if not data:
            poller.unregister(fd)
            self.open.discard(fd)

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
            try:
                frame = json.loads(body)
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
                self._read(fd, poller)

    def run(self, started: float, worker: Any) -> dict[str, Any]:
        deadline = started + self.job["timeout"]
        try:
            pidfd: int | None = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            pidfd = None  # old kernel, seccomp, or not Linux: poll waitpid instead
        poller = select.poll()
        for fd in self.open:
            poller.register(fd, select.POLLIN)
        exited = select.poll()
        if pidfd is not None:
            exited.register(pidfd, select.POLLIN)
        # While the child lives, every page this process writes is copied (fork shares them copy-on-write),
        # so wait in the kernel for its exit and read its output only now and then: the pipes and the socket
        # hold a megabyte each, and most programs end before the first look.
        interval = _FIRST_LOOK_S
        status, timed_out = None, False
        try:
            while status is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    os.kill(self.pid, signal.SIGKILL)
                    status, timed_out = os.waitpid(self.pid, 0)[1], True
                    self.reaped = True
                    break
                wait = min(remaining, interval if pidfd is not None else 0.005)
                if exited.poll(math.ceil(wait * 1000)):
                    status = os.waitpid(self.pid, 0)[1]
                    self.reaped = True
                    break
                if pidfd is None:
                    done, child_status = os.waitpid(self.pid, os.WNOHANG)
                    if done:
                        status, self.reaped = child_status, True
                        break
                self._drain(poller)
                interval = min(interval * 2, _LOOK_EVERY_S)
        finally:
            if pidfd is not None:
                os.close(pidfd)
        duration = time.monotonic() - started
        worker.kill_leftovers(self.pid)  # so that the pipes reach end of file
        drain_until = time.monotonic() + _DRAIN_S
        while self.open and time.monotonic() < drain_until:
            for fd, _ in poller.poll(20):
                if fd in self.open:
                    self._read(fd, poller)
        return self.response(status, timed_out, duration)

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
