"""The worker's manager: everything a job needs except the fork, in a process that never forks.

Standard library only (part of the worker). :class:`Worker` reads each job from the host, has its child
forked (by the forker process, or by itself where the worker is one process, see ``_worker.py``), collects
its outputs and verdict (``_collect.py``), empties the work directory and answers. Where a forker forks,
this process never does, so none of its pages are ever shared copy-on-write: all this work costs no page
faults, however much memory it touches.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import sys
import time
from typing import Any

from . import _isolation
from ._collect import Collector
from ._forker import TEST_SLOTS, Zygote, header, kill_leftovers
from ._frames import FrameReader, dumps, write_frame
from ._workdir import WorkArea

__all__ = ["PASSCRED", "ForkerLost", "Worker"]

PASSCRED = getattr(socket, "SO_PASSCRED", None)  # Linux: the kernel names each writer (see _collect)
_F_SETPIPE_SZ = 1031
_SO_SNDBUFFORCE = 32
_BUFFER = 1 << 20


def _enlarge(*ends: Any) -> None:
    """A megabyte of room in each channel, so a child rarely waits for the worker to read (best effort)."""
    import fcntl  # only here: the forker, which every fork copies, has no use for it

    for end in ends:
        try:
            if isinstance(end, socket.socket):
                option = _SO_SNDBUFFORCE if os.geteuid() == 0 else socket.SO_SNDBUF
                end.setsockopt(socket.SOL_SOCKET, option, _BUFFER)
            else:
                fcntl.fcntl(end, _F_SETPIPE_SZ, _BUFFER)
        except OSError:
            pass  # over the system's limit for this user: keep the default


class ForkerLost(BaseException):
    """The forker died or spoke nonsense: the manager ends, so the host replaces the whole worker."""


class _Inline:
    """A child this process forked itself (Docker, ``plain``): it enforces the deadline and kills leftovers."""

    eager = False
    persistent = False

    def __init__(self, zygote: Zygote, timeout: float, job: dict[str, Any], fds: tuple[int, int, int]) -> None:
        self.zygote = zygote
        self.deadline: float | None = time.monotonic() + timeout
        self.pid = os.fork()
        if self.pid == 0:
            zygote.child(job, fds)
        self.reaped = False  # once True, the pid may be reused: never signal it again
        try:
            self.exit_fd: int | None = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            self.exit_fd = None  # old kernel, seccomp, or not Linux: poll waitpid instead

    def _reaped(self, status: int, timed_out: bool) -> tuple[int, bool]:
        self.reaped = True
        kill_leftovers(self.zygote.pid1, self.pid)  # so that the pipes reach end of file
        return status, timed_out

    def finish(self) -> tuple[int, bool]:
        return self._reaped(os.waitpid(self.pid, 0)[1], False)

    def poll(self) -> tuple[int, bool] | None:
        done, status = os.waitpid(self.pid, os.WNOHANG)
        return self._reaped(status, False) if done else None

    def expire(self) -> tuple[int, bool]:
        os.kill(self.pid, signal.SIGKILL)
        return self._reaped(os.waitpid(self.pid, 0)[1], True)

    def close(self) -> None:
        if self.exit_fd is not None:
            os.close(self.exit_fd)
        if not self.reaped:  # the collector failed: leave nothing running
            self.expire()


class _Remote:
    """A child the forker forked: it enforces the deadline, kills leftovers and reports the wait status."""

    eager = True
    persistent = True
    deadline = None

    def __init__(self, jobs: int, status: int, message: bytes) -> None:
        self.exit_fd: int | None = status
        self.done = False
        try:
            while message:
                message = message[os.write(jobs, message):]
        except OSError as exc:
            raise ForkerLost(f"the forker stopped reading ({exc})") from exc

    def finish(self) -> tuple[int, bool]:
        data = b""
        while len(data) < 5:
            chunk = os.read(self.exit_fd, 5 - len(data))  # type: ignore[arg-type]
            if not chunk:
                raise ForkerLost("the forker ended")
            data += chunk
        self.done = True
        return int.from_bytes(data[:4], "big"), data[4] == 1

    def poll(self) -> tuple[int, bool] | None:  # exit_fd is never None here
        return None

    def expire(self) -> tuple[int, bool]:  # deadline is None: never called
        return self.finish()

    def close(self) -> None:
        if not self.done:  # the collector failed: stay in step with the forker, which ends the child
            self.finish()


class _Remote:
    """A child the forker forked: it enforces the deadline, kills leftovers and reports the wait status."""

    eager = True
    persistent = True
    deadline = None

    def __init__(self, jobs: int, status: int) -> None:
        self.jobs = jobs
        self.exit_fd: int | None = status
        self.done = True

    def start(self, message: bytes) -> _Remote:
        self.done = False
        try:
            while message:
                message = message[os.write(self.jobs, message):]
        except OSError as exc:
            raise ForkerLost(f"the forker stopped reading ({exc})") from exc
        return self

    def finish(self) -> tuple[int, bool]:
        data = os.read(self.exit_fd, 5)  # type: ignore[arg-type]
        while 0 < len(data) < 5:
            data += os.read(self.exit_fd, 5 - len(data))  # type: ignore[arg-type]
        if not data:
            raise ForkerLost("the forker ended")
        self.done = True
        return int.from_bytes(data[:4], "big"), data[4] == 1

    def poll(self) -> tuple[int, bool] | None:  # exit_fd is never None here
        return None

    def expire(self) -> tuple[int, bool]:  # deadline is None: never called
        return self.finish()

    def close(self) -> None:
        if not self.done:  # the collector failed: stay in step with the forker, which ends the child
            self.finish()


class Worker:
    """Runs one job at a time: prepares its child's job, has it forked, collects and answers."""

    def __init__(self, config: dict[str, Any], isolation: _isolation.Isolation, zygote: Zygote | None) -> None:
        self.config = config
        self.isolation = isolation
        self.zygote = zygote  # None: the forker forks, over the channels below
        self.limits: dict[tuple[int, int, int, int], Any] = {}
        self.slots: dict[str, int] = {}  # test source -> the forker's slot of its compiled code
        private = isolation.mode != "plain" or config.get("in_container", False)
        self.work = WorkArea(isolation.work_root, isolation.child_uid, private=private)
        self.remote: _Remote | None = None
        self.sent_limits: Any = None  # the limits the forker has (it keeps them until told otherwise)
        if zygote is None:
            channels = isolation.channels
            self.out, self.err = channels["stdout"][0], channels["stderr"][0]
            self.result = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=channels["result"][0])
            if PASSCRED is not None:
                self.result.setsockopt(socket.SOL_SOCKET, PASSCRED, 1)
            children = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=channels["result"][1])
            _enlarge(channels["jobs"][1], self.out, self.err, children)
            children.close()
            for name, end in (("jobs", 0), ("status", 1), ("stdout", 1), ("stderr", 1)):
                os.close(channels[name][end])  # the forker's ends
            self.remote = _Remote(channels["jobs"][1], channels["status"][0])

    def _limits(self, job: dict[str, Any]) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
        """The resource limits of ``job``'s child, computed here (the child only applies them): those the
        same for every job of this worker (a forker sets them on itself, once), and the job's own."""
        key = (int(job["timeout"]), job["memory_mb"], job["file_size_mb"], job["max_processes"])
        cached = self.limits.get(key)
        if cached is None:
            cached = self.limits[key] = self._compute_limits(job)
        return cached

    def _compute_limits(self, job: dict[str, Any]) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
        cpu = int(job["timeout"]) + 2
        own = [(resource.RLIMIT_AS, job["memory_mb"] << 20, job["memory_mb"] << 20),
               (resource.RLIMIT_CORE, 0, 0),
               (resource.RLIMIT_FSIZE, job["file_size_mb"] << 20, job["file_size_mb"] << 20),
               (resource.RLIMIT_NOFILE, 256, 256)]
        each = [(resource.RLIMIT_CPU, cpu, cpu + 1)]  # SIGXCPU first, SIGKILL a second later
        # Counted per user: only meaningful where the program's user id is its alone. Not on a forker
        # that shares the programs' user id (userns): its own forks would count.
        nproc = (resource.RLIMIT_NPROC, job["max_processes"], job["max_processes"])
        if self.isolation.child_uid is not None:
            own.append(nproc)
        elif self.isolation.mode == "userns":
            each.append(nproc)
        return self._within(own), self._within(each)

    @staticmethod
    def _within(wanted: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        limits = []
        for which, soft, hard in wanted:
            current = resource.getrlimit(which)[1]
            if current != resource.RLIM_INFINITY:
                soft, hard = min(soft, current), min(hard, current)
            limits.append((which, soft, hard))
        return limits

    def _slot(self, source: str) -> tuple[int, str | None]:
        """The forker's slot for this test's compiled code, and its source if the forker must compile it."""
        slot = self.slots.get(source)
        if slot is not None:
            return slot, None
        if len(self.slots) >= TEST_SLOTS:
            slot = self.slots.pop(next(iter(self.slots)))  # the oldest test gives up its slot
        else:
            slot = len(self.slots)
        self.slots[source] = slot
        return slot, source

    def execute(self, job: dict[str, Any]) -> dict[str, Any]:
        workdir = self.work.enter()
        try:
            nonce = os.urandom(16).hex()
            slot, test = self._slot(job["test"]) if job.get("kind") == "tests" else (-1, None)
            if self.remote is not None:
                started = time.monotonic()
                child: _Inline | _Remote = self.remote.start(self._message(job, nonce, workdir, slot, test))
                collector = Collector(job, self.out, self.err, self.result, nonce)
            else:
                own, each = self._limits(job)
                child_job = {key: job.get(key) for key in ("kind", "program", "entry_point", "inputs", "value_limit")}
                child_job.update(nonce=nonce, workdir=workdir, own_limits=own, limits=each)
                collector, child, started = self._fork(job, child_job, slot, test, nonce)
            try:
                return collector.run(child, started)
            finally:
                child.close()
                collector.close()
        finally:
            self.work.leave(workdir)

    def _message(self, job: dict[str, Any], nonce: str, workdir: str, slot: int, test: str | None) -> bytes:
        """The forker's message for ``job``: a header, its fields (see ``_forker.FIELDS``), the test to compile."""
        limits = self._limits(job)
        if limits is self.sent_limits:
            sent = b""
        else:
            sent, self.sent_limits = dumps(limits), limits
        if self.work.renewed:
            where, self.work.renewed = os.fsencode(workdir), False
        else:
            where = b""
        payload = b"\0".join((job["kind"].encode("ascii"), nonce.encode("ascii"), b"%d" % job["value_limit"], where,
                              sent, dumps([job.get("entry_point"), job.get("inputs")]),
                              job["program"].encode("utf-8", errors="surrogatepass")))
        source = b"" if test is None else test.encode("utf-8", errors="surrogatepass")
        return header(len(payload), len(source), slot, job["timeout"]) + payload + source

    def _fork(self, job: dict[str, Any], child_job: dict[str, Any], slot: int, test: str | None,
              nonce: str) -> tuple[Collector, _Inline, float]:
        """Fork the child here, with channels of its own (leftovers of a program outside a PID namespace may
        outlive it: they must not write into the next program's)."""
        assert self.zygote is not None
        if test is not None:
            self.zygote.compile_test(slot, test)
        child_job["test_code"], child_job["test"] = self.zygote.tests[slot] if slot >= 0 else (None, None)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        result_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        if PASSCRED is not None:
            result_sock.setsockopt(socket.SOL_SOCKET, PASSCRED, 1)
        _enlarge(out_w, err_w, child_sock)
        started = time.monotonic()
        try:
            child = _Inline(self.zygote, job["timeout"], child_job, (out_w, err_w, child_sock.fileno()))
        finally:
            for fd in (out_w, err_w):
                os.close(fd)
            child_sock.close()
        return Collector(job, out_r, err_r, result_sock, nonce, owned=True), child, started

    def serve(self, proto_in: int, proto_out: int) -> None:
        write_frame(proto_out, {"ready": True, "mode": self.isolation.mode, "notes": self.isolation.notes,
                                "python": sys.version.split()[0]})
        frames = FrameReader(proto_in)
        while True:
            job = frames.read()
            if job is None or job.get("op") == "exit":
                return
            try:
                response = self.execute(job)
            except Exception as exc:  # noqa: BLE001 - the worker must answer every job
                response = {"status": "sandbox_error", "duration_s": 0.0, "exception_type": type(exc).__name__,
                            "message": f"the sandbox worker failed: {exc}"}
            response["id"] = job.get("id")
            write_frame(proto_out, response)
