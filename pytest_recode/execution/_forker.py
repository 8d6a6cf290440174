"""The forker: the one process of a worker that forks, one judge per job (which forks the program).

Standard library only (part of the worker). Every fork write-protects all of the forking process's memory,
so each page it touches afterwards costs a page fault (a copy, while the child lives); the child likewise
copies each page it touches, and fork and exit take time for every mapping (each shared library is five).
So the forker holds only what judges and programs need (preloaded modules, compiled tests), and its loop
per job is a handful of system calls on a few small objects.

It speaks to the host on two descriptors (the worker's stdin and stdout, see ``_worker.py``). Each job
comes as an 8-byte header (the sizes of the two parts, big-endian), the job's settings as JSON, then the
program's text as UTF-8, which is read into a buffer of its own and never becomes an object of this
process: the judge and the program inherit it, and it is zeroed once they are gone, so that no later
program finds it in the memory it inherits. The forker answers with frames, a 4-byte length then a type
byte: ``J`` a JSON object of its own (``ready`` first, then one status per job), ``T`` the bytes the
job's judge sent (its outcome and verdict frames, passed on as they come, through a buffer zeroed
likewise; the host takes the judge's frames out of them, and drops a frame the judge did not finish).

Per job: fork the judge with a fresh pipe for its frames; pass them on until it ends (killing it at the
timeout plus a margin, should it not end by itself); kill every process the program left (as PID 1 of its
namespace, ``kill(-1)`` reaches exactly them); check that the work area is clean (see ``_workdir.py``) and
that no socket outlived the program (one kept alive by passing it to itself would stay in the worker's
network namespace, reachable by the next program): where either fails, the status asks the host to
replace the worker.
"""

from __future__ import annotations

import gc
import os
import resource
import select
import signal
import sys
import time
from typing import Any

from . import _describe, _judge, _program, _serialize  # noqa: F401 - loaded here, so no judge loads them
from ._frames import dumps, loads
from ._workdir import WorkArea

__all__ = ["PRELOAD", "TEST_SLOTS", "Forker", "freeze", "kill_leftovers", "secure", "warm"]

#: Modules most HumanEval/MBPP programs and tests import, loaded once here so no child pays for them.
#: Only those: each module with a C library adds mappings every fork must copy (``bisect`` and ``heapq``,
#: used by under 2% of MBPP and no HumanEval problem, cost every child more than the import costs the few
#: that use them), and `random` and `threading` add after-fork hooks.
PRELOAD = ("re", "math", "collections", "typing", "itertools", "functools", "copy", "operator", "string")
TEST_SLOTS = 512  # compiled tests kept (the host picks the slot of each)
_BACKSTOP_S = 0.5  # beyond a job's timeout, for a judge that did not end it itself (the program stopped it)
_BUFFER = 1 << 16


def test_names(code: Any) -> tuple[str, ...]:
    """Every global or attribute name the test code uses: the names it might take from the program."""
    names: set[str] = set()
    stack = [code]
    while stack:
        current = stack.pop()
        names.update(current.co_names)
        stack.extend(const for const in current.co_consts if hasattr(const, "co_names"))
    return tuple(sorted(names))


def kill_leftovers(pid1: bool, pid: int) -> None:
    """Kill every process the program left, once the judge (``pid``, the program's parent) is reaped."""
    if not pid1:
        try:
            os.killpg(pid, signal.SIGKILL)  # the best we can do without a PID namespace
        except OSError:
            pass
        return
    # PID 1 of its namespace: every other process in it belongs to the program and descends from us (an
    # orphan is re-parented to us). None left, the common case: asking costs no walk over every process of
    # the machine, as kill(-1) does.
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return
    while True:  # a process killed while forking leaves no child behind: kill again until none is left
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _write_all(fd: int, parts: list[Any]) -> None:
    written = os.writev(fd, parts)
    total = sum(len(part) for part in parts)
    if written < total:  # a signal cut it short: the rest, plainly
        rest = memoryview(b"".join(bytes(part) for part in parts))[written:]
        while rest:
            rest = rest[os.write(fd, rest):]


class Forker:
    """The forker's state: its descriptors to the host, the buffers, compiled tests, limits, work area.

    ``child_uid``: the programs' own user id (None: they keep ours); ``pid1``: this process is PID 1 of the
    programs' PID namespace (or container); ``private_net``: the network namespace is the worker's own;
    ``in_container``: a Docker container (see :meth:`_set_limits`).
    """

    def __init__(self, *, jobs: int, out: int, child_uid: int | None, pid1: bool, work: WorkArea,
                 private_net: bool, in_container: bool) -> None:
        self.jobs, self.out = jobs, out
        self.in_container = in_container
        self.child_uid = child_uid
        self.pid1 = pid1
        self.work = work
        self.tests: list[Any] = [(None, None, ())] * TEST_SLOTS  # slot -> (compiled test or None, source, names)
        self.program = bytearray(_BUFFER)
        self.relay = bytearray(_BUFFER)
        self.relay_view = memoryview(self.relay)
        self.relay_used = 0
        self.limits_key: Any = None
        self.each: list[tuple[int, int, int]] = []  # limits every judge sets on itself (and so its program)
        self.program_limits: list[tuple[int, int, int]] = []  # limits only the program's process sets
        self.fd_ceiling = 1024
        self.sockets = self._unix_sockets() if private_net else None

    # -- the host's side ---------------------------------------------------------------------------------
    def send(self, frame: dict[str, Any]) -> None:
        data = dumps(frame)
        _write_all(self.out, [(len(data) + 1).to_bytes(4, "big") + b"J", data])

    def _read_exact(self, size: int) -> bytes | None:
        chunks = []
        while size:
            chunk = os.read(self.jobs, size)
            if not chunk:
                return None
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _read_program(self, size: int) -> bool:
        if size > len(self.program):
            self.program = bytearray(max(size, 2 * len(self.program)))  # the old one is all zeros
        view = memoryview(self.program)
        done = 0
        while done < size:
            got = os.readv(self.jobs, [view[done:size]])
            if not got:
                return False
            done += got
        return True

    def seal(self) -> None:
        """Record the descriptors open now: a judge closes every one above 3, in one close_range call."""
        try:
            self.fd_ceiling = max(int(fd) for fd in os.listdir("/proc/self/fd")) + 1
        except (OSError, ValueError):
            self.fd_ceiling = 1024

    def serve(self) -> None:
        """One job per message from the host, until it closes our input. Never returns."""
        while True:
            header = self._read_exact(8)
            meta = header and self._read_exact(int.from_bytes(header[:4], "big"))
            size = int.from_bytes(header[4:], "big") if header else 0
            if meta is None or not self._read_program(size):
                os._exit(0)  # the host is gone
            self.run(loads(meta), size)

    # -- one job -----------------------------------------------------------------------------------------
    def run(self, meta: dict[str, Any], size: int) -> None:
        slot = meta.get("slot", -1)
        if meta.get("test") is not None:
            code = _compile_test(meta["test"])
            self.tests[slot] = (code, meta["test"], test_names(code) if code is not None else ())
        job = {key: meta.get(key) for key in ("kind", "entry_point", "inputs", "value_limit", "output_limit",
                                              "timeout", "nonce")}
        job["test_code"], job["test"], job["names"] = self.tests[slot] if slot >= 0 else (None, None, ())
        self._set_limits(meta)
        job["limits"] = self.program_limits
        self.work.enter()
        read_end, write_end = os.pipe()
        deadline = time.monotonic() + meta["timeout"] + _BACKSTOP_S + meta["timeout"] / 10
        pid = os.fork()
        if pid == 0:
            self._judge(job, write_end, size)
        os.close(write_end)
        try:
            wait_status, timed_out = self._relay(pid, read_end, deadline)
        finally:
            os.close(read_end)
            kill_leftovers(self.pid1, pid)
            memoryview(self.program)[:size] = bytes(size)
            self.relay_view[: self.relay_used] = bytes(self.relay_used)
            self.relay_used = 0
        recycle = not self.work.leave() or self._sockets_left()
        self.send({"status": wait_status, "timed_out": timed_out, "recycle": recycle, "id": meta.get("id")})
        if recycle:
            os._exit(0)  # no job after this one here: the host starts a fresh worker

    def _judge(self, job: dict[str, Any], result_end: int, size: int) -> None:
        """In the fresh child: the job's judge. Never returns."""
        try:
            os.dup2(result_end, 3)
            os.closerange(4, self.fd_ceiling)
        except BaseException:  # noqa: BLE001
            os._exit(_judge.SETUP_FAILED)
        _judge.run(job, 3, memoryview(self.program)[:size], self._become)

    def _become(self) -> None:
        """Turn the fresh child into a judge: limits, its own process group (without a PID namespace, for
        killpg), the programs' user id. Any failure ends it as a sandbox error (see ``_judge.run``)."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if not self.pid1:
            os.setsid()
        for which, soft, hard in self.each:
            resource.setrlimit(which, (soft, hard))
        uid = self.child_uid
        if uid is not None:
            os.setgroups(())
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)

    def _relay(self, pid: int, fd: int, deadline: float) -> tuple[int, bool]:
        """Pass the judge's frames on until it ends; (its wait status, killed at the deadline)."""
        try:
            pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None  # an old kernel: look now and then instead
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        if pidfd is not None:
            poller.register(pidfd, select.POLLIN)
        ended: tuple[int, bool] | None = None
        try:
            while ended is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    os.kill(pid, signal.SIGKILL)
                    ended = (os.waitpid(pid, 0)[1], True)
                    break
                for ready, _ in poller.poll(min(remaining, 0.005 if pidfd is None else remaining) * 1000 + 1):
                    if ready == fd:
                        if not self._forward(fd):
                            poller.unregister(fd)
                    else:
                        ended = (os.waitpid(pid, 0)[1], False)
                if ended is None and pidfd is None:
                    done, status = os.waitpid(pid, os.WNOHANG)
                    if done:
                        ended = (status, False)
        finally:
            if pidfd is not None:
                os.close(pidfd)
        while self._forward(fd):  # the judge is gone, and only it held the pipe: the rest, to its end
            pass
        return ended

    def _forward(self, fd: int) -> bool:
        got = os.readv(fd, [self.relay_view])
        if not got:
            return False
        self.relay_used = max(self.relay_used, got)
        _write_all(self.out, [(got + 1).to_bytes(4, "big") + b"T", self.relay_view[:got]])
        return True

    def _set_limits(self, meta: dict[str, Any]) -> None:
        """The resource limits of the job's processes: those the same for every job of this worker, set on
        this process once (judges and programs inherit them), and each process's own (CPU time)."""
        key = (int(meta["timeout"]), meta["memory_mb"], meta["file_size_mb"], meta["max_processes"])
        if key == self.limits_key:
            return
        cpu = int(meta["timeout"]) + 2
        own = [(resource.RLIMIT_AS, meta["memory_mb"] << 20, meta["memory_mb"] << 20),
               (resource.RLIMIT_CORE, 0, 0),
               (resource.RLIMIT_FSIZE, meta["file_size_mb"] << 20, meta["file_size_mb"] << 20),
               (resource.RLIMIT_NOFILE, 256, 256)]
        each = [(resource.RLIMIT_CPU, cpu, cpu + 1)]  # SIGXCPU first, SIGKILL a second later
        # Counted per user: only meaningful where the program's user id is its alone. Not on a forker that
        # shares the programs' user id (its own forks would count), and there only on the program itself:
        # its judge must fork it whatever else that user id runs (every Docker container's, say).
        nproc = (resource.RLIMIT_NPROC, meta["max_processes"], meta["max_processes"])
        # In a container, whose user id every container shares, its process limit (a cgroup) does this.
        if self.child_uid is not None:
            own.append(nproc)
            self.program_limits = []
        else:
            self.program_limits = _within([nproc]) if not self.in_container else []
        own, each = _within(own), _within(each)
        try:
            for which, soft, hard in own:
                resource.setrlimit(which, (soft, hard))
        except (OSError, ValueError):
            each = own + each  # not here: each judge sets them on itself
        self.limits_key, self.each = key, each

    # -- leftovers ---------------------------------------------------------------------------------------
    def _unix_sockets(self) -> int | None:
        """The size of the network namespace's socket table (read into the relay buffer, zeroed after)."""
        try:
            fd = os.open("/proc/self/net/unix", os.O_RDONLY)
        except OSError:
            return None
        total = 0
        try:
            while got := os.readv(fd, [self.relay_view]):
                total += got
                self.relay_used = max(self.relay_used, got)
        finally:
            os.close(fd)
            self.relay_view[: self.relay_used] = bytes(self.relay_used)
            self.relay_used = 0
        return total

    def _sockets_left(self) -> bool:
        return self.sockets is not None and self._unix_sockets() != self.sockets


def _within(wanted: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    limits = []
    for which, soft, hard in wanted:
        current = resource.getrlimit(which)[1]
        if current != resource.RLIM_INFINITY:
            soft, hard = min(soft, current), min(hard, current)
        limits.append((which, soft, hard))
    return limits


def _compile_test(source: str) -> Any:
    """The test code compiled (once per distinct test: tests are the dataset's, trusted, and shared by every
    completion of a problem), or None if it does not compile (the judge then reports the error)."""
    try:
        return compile(source, _judge.TEST_FILE, "exec", dont_inherit=True)
    except Exception:  # noqa: BLE001 - SyntaxError, ValueError (null bytes), MemoryError, RecursionError
        return None


def secure(notes: list[str]) -> None:
    """What this process and every child it forks must keep (it survives an exec): not dumpable (no ptrace,
    no /proc/<pid>/mem for programs of our user id), no new privileges, the seccomp filter."""
    from . import _isolation, _seccomp

    try:
        _isolation.prctl(_isolation.PR_SET_DUMPABLE, 0)
    except OSError:
        notes.append("programs may trace the worker (no prctl here)")
    # Shared by every child from here on: no privilege gained by exec, and no system call outside the
    # filter (this process needs none of them any more).
    program = _seccomp.filter_program()
    try:
        _isolation.prctl(_isolation.PR_SET_NO_NEW_PRIVS, 1)
        if program is None:
            notes.append("no seccomp filter (unknown system call numbers on this machine)")
        else:
            _seccomp.install(program)
    except OSError as exc:
        notes.append(f"no seccomp filter ({exc.strerror or exc})")


def warm() -> None:
    """Make this process the children's template: modules, signals, code paths run once."""
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # programs put Python's handler back; judges keep this
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    sys.argv = ["program.py"]
    # Quicken the code every job runs, here, so children inherit it specialized (in each child, writes to
    # it would be copies).
    sample = [1, "a", (2.5, None), {3: [True]}, {4}]
    for _ in range(12):
        encoded = _serialize.encode(sample, strict=True)
        loads(dumps({"k": "ret", "v": encoded, "p": 1}))
        _serialize.decode(encoded, strict=True)


def freeze(*, trim: bool = True) -> None:
    """Everything loaded so far is shared with every child copy-on-write: keep the garbage collector from
    touching (hence copying) it in each child, and (``trim``) hand the C heap's free pages back."""
    gc.collect()
    gc.freeze()
    if trim:
        try:
            from ._isolation import malloc_trim

            malloc_trim()
        except OSError:
            pass
