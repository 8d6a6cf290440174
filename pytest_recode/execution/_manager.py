"""A sandbox worker's manager: everything a job needs except the fork, in a process that never forks.

Standard library only (part of the worker, also used by the host). :class:`Worker` takes each job, has
its child forked, collects its outputs and verdict (``_collect.py``), empties the work directory and
answers. Two ways:

- with a forker (namespaces, ``_forker.py``): the job goes to the forker over :class:`Channels`, which the
  host makes and the forker inherits. This manager runs in the host process itself (``_launch.py``), which
  never forks: none of its pages are ever shared copy-on-write, all this work costs no page faults however
  much memory it touches, and no process sits between the host and the forker.
- without (Docker, ``plain``): inside the worker, which forks each child itself and talks to the host in
  JSON frames (:meth:`Worker.serve`).
"""

from __future__ import annotations

import os
import resource
import select
import signal
import socket
import sys
import time
from typing import Any

from ._collect import Collector, make_pollers
from ._forker import TEST_SLOTS, Zygote, kill_leftovers, message
from ._frames import FrameReader, write_frame
from ._workdir import WorkArea

__all__ = ["PASSCRED", "Channels", "ForkerLost", "Worker"]

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
    """The forker died, hung or spoke nonsense: the host replaces the whole worker."""


class Channels:
    """What joins a manager to a forker, made by the manager before the worker starts: pipes for jobs
    (manager to forker), wait statuses (back), the programs' stdout and stderr, and a socket pair for
    results. The forker inherits its ends (:attr:`forker_ends`, dup'ed to 0-3 for good, see
    ``_worker.py``); the manager keeps the others."""

    def __init__(self) -> None:
        jobs_r, self.jobs = os.pipe()
        os.set_blocking(self.jobs, False)  # see _Remote.start
        self.status, status_w = os.pipe()
        self.out, out_w = os.pipe()
        self.err, err_w = os.pipe()
        self.result, children = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        if PASSCRED is not None:
            self.result.setsockopt(socket.SOL_SOCKET, PASSCRED, 1)
        _enlarge(self.jobs, self.out, self.err, children)
        self._children = children
        #: the forker's ends, by name (the settings of the worker carry them)
        self.forker_ends = {"jobs": jobs_r, "status": status_w, "stdout": out_w, "stderr": err_w,
                            "result": children.fileno()}

    def close_forker_ends(self) -> None:
        """Once the worker inherited them: else the manager would never see end of file."""
        for name, fd in self.forker_ends.items():
            if name != "result":
                os.close(fd)
        self._children.close()

    def close(self) -> None:
        for fd in (self.jobs, self.status, self.out, self.err):
            try:
                os.close(fd)
            except OSError:
                pass
        self.result.close()


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

    def __init__(self, jobs: int, status: int) -> None:
        self.jobs = jobs
        self.exit_fd: int | None = status
        self.done = True
        self.lost = False

    def start(self, message: bytes, give_up: float | None) -> _Remote:
        """Send the job (the pipe is non-blocking: a hung forker cannot hold us past ``give_up``)."""
        self.done = False
        view = memoryview(message)
        try:
            while view:
                try:
                    view = view[os.write(self.jobs, view):]
                except BlockingIOError:
                    wait = None if give_up is None else give_up - time.monotonic()
                    if wait is not None and wait <= 0:
                        self.lost = True
                        raise ForkerLost("the worker did not take the job in time") from None
                    select.select((), (self.jobs,), (), wait)
        except OSError as exc:
            self.lost = True
            raise ForkerLost(f"the forker stopped reading ({exc})") from exc
        return self

    def finish(self) -> tuple[int, bool]:
        data = os.read(self.exit_fd, 5)  # type: ignore[arg-type]
        while 0 < len(data) < 5:
            data += os.read(self.exit_fd, 5 - len(data))  # type: ignore[arg-type]
        if not data:
            self.lost = True
            raise ForkerLost("the worker ended unexpectedly")
        self.done = True
        return int.from_bytes(data[:4], "big"), data[4] == 1

    def poll(self) -> tuple[int, bool] | None:  # exit_fd is never None here
        return None

    def expire(self) -> tuple[int, bool]:  # deadline is None: never called
        return self.finish()

    def close(self) -> None:
        if not self.done and not self.lost:  # the collector failed: stay in step with the forker
            self.finish()


class Worker:
    """Runs one job at a time: prepares its child's job, has it forked, collects and answers. ``mode`` and
    ``child_uid`` are the worker's isolation (see ``_isolation.Isolation``); ``zygote``: fork here (no
    forker); else ``channels`` lead to the forker."""

    def __init__(self, *, mode: str, child_uid: int | None, work: WorkArea, zygote: Zygote | None = None,
                 channels: Channels | None = None) -> None:
        self.mode = mode
        self.child_uid = child_uid
        self.work = work
        self.zygote = zygote
        self.limits: dict[tuple[int, int, int, int], Any] = {}
        self.slots: dict[str, int] = {}  # test source -> the forker's slot of its compiled code
        self.remote: _Remote | None = None
        self.sent_limits: Any = None  # the limits the forker has (it keeps them until told otherwise)
        if channels is not None:
            self.out, self.err, self.result = channels.out, channels.err, channels.result
            self.remote = _Remote(channels.jobs, channels.status)
            self.pollers = make_pollers(self.remote, self.out, self.err, self.result.fileno())
        self.nonces = b""  # random bytes, 16 per job, drawn in batches

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
        if self.child_uid is not None:
            own.append(nproc)
        elif self.mode == "userns":
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

    def execute(self, job: dict[str, Any], give_up: float | None = None) -> dict[str, Any]:
        """Run ``job``; ``give_up`` (with a forker): when to stop waiting for it (ForkerLost)."""
        workdir = self.work.enter()
        lost = False
        try:
            if not self.nonces:
                self.nonces = os.urandom(16 * 64)
            nonce, self.nonces = self.nonces[:16].hex(), self.nonces[16:]
            slot, test = self._slot(job["test"]) if job.get("kind") == "tests" else (-1, None)
            if self.remote is not None:
                started = time.monotonic()
                child: _Inline | _Remote = self.remote.start(self._message(job, nonce, workdir, slot, test), give_up)
                collector = Collector(job, self.out, self.err, self.result, nonce)
            else:
                own, each = self._limits(job)
                child_job = {key: job.get(key) for key in ("kind", "program", "entry_point", "inputs", "value_limit")}
                child_job.update(nonce=nonce, workdir=workdir, own_limits=own, limits=each)
                collector, child, started = self._fork(job, child_job, slot, test, nonce)
            try:
                if self.remote is None:
                    return collector.run(child, started)
                try:
                    return collector.run(child, started, self.pollers, give_up)
                except TimeoutError as exc:
                    self.remote.lost = True  # hung: nothing more to read from it
                    raise ForkerLost(str(exc)) from None
            finally:
                child.close()
                collector.close()
        except ForkerLost:
            # Its programs may live on: leave their files alone (they vanish with the worker's namespaces).
            lost = True
            raise
        finally:
            if not lost:
                self.work.leave(workdir)

    def _message(self, job: dict[str, Any], nonce: str, workdir: str, slot: int, test: str | None) -> bytes:
        """The forker's message for ``job`` (see ``_forker.message``)."""
        limits = self._limits(job)
        if limits is self.sent_limits:
            sent = None
        else:
            sent = self.sent_limits = limits
        where = None
        if self.work.renewed:
            where, self.work.renewed = workdir, False
        child_job = {"kind": job["kind"], "entry_point": job.get("entry_point"), "nonce": nonce,
                     "value_limit": job["value_limit"], "inputs": job.get("inputs"), "program": job["program"]}
        return message(job["timeout"], slot, test, where, sent, child_job)

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

    def serve(self, proto_in: int, proto_out: int, notes: list[str]) -> None:
        """Answer the host's jobs, in JSON frames, until it closes ``proto_in``."""
        write_frame(proto_out, {"ready": True, "mode": self.mode, "notes": notes, "python": sys.version.split()[0]})
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
