"""The forker: the one process of a worker that forks, one child per program.

Standard library only (part of the worker). Every fork write-protects all of the forking process's memory,
so each page it touches afterwards costs a page fault (a copy, while the child lives); the child likewise
copies each page it touches, and fork and exit take time for every mapping (each shared library is five).
So the forker holds only what children need (preloaded modules, the verdict harness's snapshot, compiled
tests; no ``socket``, ``select``, ``ctypes``), and its loop per program is a handful of system calls on a
few small objects. Everything else a job needs (collecting outputs and the verdict, the work directory)
is the manager's (``_manager.py``), which never forks.

Two ways to run it:

- as its own process (:func:`serve`): PID 1 of the worker's PID namespace (see ``_worker.py``), managed by
  the host. Its descriptors 0-3 are, for good, /dev/null and the write ends of the stdout and stderr pipes
  and of the result socket, which children inherit as they are. The manager sends each job on a pipe (see
  :func:`message`); the forker forks, waits for the child until the job's timeout (then kills it), kills
  and reaps every process the program left (it is PID 1: ``kill(-1)`` reaches exactly the namespace's
  other processes, and the manager is outside), and writes back the child's wait status. Only then, with
  every writer gone, does the manager take the job's outputs. The child says hello on the result channel
  before running the program, so the manager learns its process id as the kernel names it outside.
- inside the worker (:meth:`Zygote.child`: Docker and the ``plain`` mode), where the worker is the only
  process that may stay alive; each job then has channels of its own, dup'ed into place.
"""

from __future__ import annotations

import _signal
import gc
import marshal
import os
import resource
import signal
import sys
import time
from typing import Any

from . import _harness

__all__ = ["HELLO", "TEST_SLOTS", "Zygote", "kill_leftovers", "message", "prepare", "serve"]

#: Modules most HumanEval/MBPP programs and tests import, loaded once here so no child pays for them.
#: Only those: each module with a C library adds mappings every fork must copy (``bisect`` and ``heapq``,
#: used by under 2% of MBPP and no HumanEval problem, cost every child more than the import costs the few
#: that use them), and `random` and `threading` add after-fork hooks.
PRELOAD = ("re", "math", "collections", "typing", "itertools", "functools", "copy", "operator", "string")
#: The child's first frame on the result channel: empty, so that its sender is the child itself.
HELLO = b"\x00\x00\x00\x00"
TEST_SLOTS = 512  # compiled tests kept (the manager picks the slot of each)
SETUP_FAILED = 121  # exit status of a child that failed before running the program (as in _collect)
_CHLD = (signal.SIGCHLD,)
_NO_TEST = (None, None)
_setrlimit = resource.setrlimit
_sigmask = _signal.pthread_sigmask  # not signal.pthread_sigmask, which makes enums of the old mask


def message(timeout: float, slot: int, test: str | None, workdir: str | None, limits: Any,
            job: dict[str, Any]) -> bytes:
    """The manager's message to the forker for one job: a 4-byte big-endian size, then that many bytes of
    ``marshal`` data (manager and forker are the same interpreter, and one C call decodes it all): the
    timeout in seconds, the test's slot (-1: none), a test source to compile into it (or None), the
    working directory to enter (or None: unchanged since the last job), the limits (or None: unchanged,
    see :meth:`Zygote.set_limits`), and the child's job. One job at a time: the manager sends the next only
    once it has the status of this one."""
    body = marshal.dumps((timeout, slot, test, workdir, limits, job))
    return len(body).to_bytes(4, "big") + body


class Zygote:
    """What every child starts from, set up once; :meth:`child` turns a fork into a sandboxed program.

    ``child_uid``: the programs' own user id (None: they keep ours); ``pid1``: this process is PID 1 of the
    programs' PID namespace (or container); ``private_tmp``: the work area is this worker's alone.
    """

    def __init__(self, *, child_uid: int | None, pid1: bool, private_tmp: bool) -> None:
        self.private_tmp = private_tmp
        self.child_uid = child_uid
        self.pid1 = pid1
        self.ignores_sigint = child_uid is None
        self.pdeathsig = sys.platform.startswith("linux") and not pid1  # else dies with PID 1
        self.devnull = os.open(os.devnull, os.O_RDONLY)
        self.tests: list[Any] = [(None, "")] * TEST_SLOTS  # slot -> (compiled test or None, its source)
        self.snapshot: _harness.Snapshot | None = None
        self.fd_ceiling = 1024
        #: [the per-worker limits children must still set (if this process could not), those every child
        #: sets (the CPU time: its own count)]; changed in place, a child of the forker reads it
        self.limits: list[Any] = [(), ()]
        self.run: Any = None  # set by seal()

    def seal(self) -> None:
        """Record the descriptors open now (a child closes every one above 3, in one close_range call), and
        make :attr:`run`, what a child of the forker process runs."""
        try:
            self.fd_ceiling = max(int(fd) for fd in os.listdir("/proc/self/fd")) + 1
        except (OSError, ValueError):
            self.fd_ceiling = 1024
        self.run = _child_in_place(self)

    def compile_test(self, slot: int, source: str) -> None:
        self.tests[slot] = (_harness.compile_test(source), source)

    def set_limits(self, limits: Any) -> None:
        """``limits``: (the same for every job of the worker, each child's own). The first are set on this
        process (the forker) for children to inherit; where that fails, children set them each."""
        own, each = limits
        child_own = own
        try:
            for which, soft, hard in own:
                _setrlimit(which, (soft, hard))
            child_own = ()
        except (OSError, ValueError):
            pass
        self.limits[:] = [child_own, each]

    def child(self, job: dict[str, Any], fds: tuple[int, int, int]) -> None:
        """In a child forked by the worker itself (not by the forker process): isolate it, run ``job`` with
        ``fds`` as its stdout, stderr and result channel, exit. Never returns."""
        try:
            os.setsid()  # a group of its own, for killpg
            os.dup2(self.devnull, 0)
            os.dup2(fds[0], 1)
            os.dup2(fds[1], 2)
            os.dup2(fds[2], 3)
            os.closerange(4, max(self.fd_ceiling, *fds) + 1)
            workdir = job["workdir"]
            os.chdir(workdir)
            if not self.private_tmp:
                os.environ.update(HOME=workdir, TMPDIR=workdir)
            if self.ignores_sigint:
                signal.signal(signal.SIGINT, signal.default_int_handler)
            for which, soft, hard in job["own_limits"]:
                _setrlimit(which, (soft, hard))
            for which, soft, hard in job["limits"]:
                _setrlimit(which, (soft, hard))
            uid = self.child_uid
            if uid is not None:
                os.setgroups(())
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
            if self.pdeathsig:
                from ._isolation import PR_SET_PDEATHSIG, prctl

                prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            os.write(3, HELLO)
        except BaseException:  # noqa: BLE001 - report as a sandbox error, never run the program half-isolated
            os._exit(SETUP_FAILED)
        try:
            _harness.run_in_child(job, job["nonce"], 3, self.snapshot)
        finally:
            os._exit(0)


def _child_in_place(zygote: Zygote) -> Any:
    """What a child of the forker process runs: its descriptors and working directory are in place already.

    Everything it calls is bound here, as a default argument or from the enclosing scope: no global or
    attribute lookup, each of which would write (CPython's method cache, the code's inline caches) to pages
    the child would then have to copy.
    """
    uid, ceiling, snapshot, limits = zygote.child_uid, zygote.fd_ceiling, zygote.snapshot, zygote.limits
    restore_sigint = signal.signal if zygote.ignores_sigint else None

    def child(job: dict[str, Any], closerange: Any = os.closerange, setrlimit: Any = _setrlimit,
              setgroups: Any = os.setgroups, setresgid: Any = os.setresgid, setresuid: Any = os.setresuid,
              write: Any = os.write, exit: Any = os._exit, run: Any = _harness.run_in_child,
              sigint: int = signal.SIGINT, handler: Any = signal.default_int_handler, sigmask: Any = _sigmask,
              unblock: int = signal.SIG_UNBLOCK, chld: Any = _CHLD) -> None:
        try:
            closerange(4, ceiling)
            sigmask(unblock, chld)  # blocked in the forker
            if restore_sigint is not None:
                restore_sigint(sigint, handler)
            for group in limits:
                for which, soft, hard in group:
                    setrlimit(which, (soft, hard))
            if uid is not None:
                setgroups(())
                setresgid(uid, uid, uid)
                setresuid(uid, uid, uid)
            write(3, HELLO)
        except BaseException:  # noqa: BLE001 - report as a sandbox error, never run the program half-isolated
            exit(SETUP_FAILED)
        try:
            run(job, job["nonce"], 3, snapshot)
        finally:
            exit(0)

    return child


def _warm_up(snapshot: Any) -> None:
    """Run the verdict harness on a few jobs of our own (results to /dev/null), so that children inherit its
    code quickened and specialized and CPython's method cache filled: in each child, writes to those would
    be copies."""
    sink = os.open(os.devnull, os.O_WRONLY)
    try:
        program = "def f(x):\n    return [x, (x,), {x: x}]\n"
        test = compile("def check(candidate):\n    assert candidate(1) == [1, (1,), {1: 1}]\n", "test.py", "exec")
        for _ in range(12):
            for job in ({"kind": "tests", "program": program, "test": None, "test_code": test, "entry_point": "f",
                         "value_limit": 1 << 16},
                        {"kind": "call", "program": program, "entry_point": "f", "inputs": [[1], ["x"]],
                         "value_limit": 1 << 16}):
                _harness.run_in_child(job, "0" * 32, sink, snapshot)
    finally:
        os.close(sink)


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


def warm(zygote: Zygote) -> None:
    """Make this process the children's template: modules, signals, the verdict harness."""
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    sys.argv = ["program.py"]
    if zygote.ignores_sigint:
        # Programs run under our own user id and could interrupt us: PID 1 gets no signal it has no handler
        # for, so take Python's SIGINT handler away (children put it back).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    zygote.snapshot = _harness.Snapshot()
    _warm_up(zygote.snapshot)


def prepare(zygote: Zygote, notes: list[str]) -> None:
    """:func:`secure` and :func:`warm`, in one process."""
    secure(notes)
    warm(zygote)


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


def kill_leftovers(pid1: bool, pid: int) -> None:
    """Kill every process the program left; called once its first process (``pid``) has been reaped."""
    if not pid1:
        try:
            os.killpg(pid, signal.SIGKILL)  # the best we can do without a PID namespace
        except OSError:
            pass
        return
    # PID 1 of its namespace: every other process in it belongs to the program and descends from us (an
    # orphan is re-parented to us). None left, the common case: we have no child (asking costs no walk
    # over every process of the machine, as kill(-1) does).
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    while True:  # a process killed while forking leaves no child behind: kill again until none is left
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _wait(pid: int, timeout: float, deadline: float) -> tuple[int, int]:
    """Wait for child ``pid`` until ``deadline`` (``timeout`` from now), then kill it: (wait status, 1 if
    killed). SIGCHLD is blocked in this process, so one that came before we wait is pending, not lost."""
    while signal.sigtimedwait(_CHLD, timeout) is not None:
        # Some child ended: ours, or a leftover of an earlier program.
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status, 0
        timeout = max(0.0, deadline - time.monotonic())
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        return status, 0
    os.kill(pid, signal.SIGKILL)  # not reaped yet: the pid is still this child's
    return os.waitpid(pid, 0)[1], 1


def _read_more(fd: int, size: int, data: bytes) -> bytes:
    chunks = [data]
    size -= len(data)
    while size > 0:
        chunk = os.read(fd, min(size, 1 << 16))
        if not chunk:
            os._exit(0)  # the manager is gone
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def serve(zygote: Zygote, jobs: int, status: int) -> None:
    """The forker's loop: one job per message from the manager, until it closes ``jobs``. Never returns."""
    # A session of its own, once: children stay in it (no setsid each), where a program's killpg reaches
    # only its own processes and this one, PID 1, which ignores them.
    os.setsid()
    _sigmask(signal.SIG_BLOCK, _CHLD)  # waited for with sigtimedwait; each child unblocks it first thing
    read, fork, write, monotonic, loads = os.read, os.fork, os.write, time.monotonic, marshal.loads
    tests, pid1 = zygote.tests, zygote.pid1
    while True:
        data = read(jobs, 1 << 16)
        if not data:
            os._exit(0)
        if len(data) < 4:
            data = _read_more(jobs, 4, data)
        end = 4 + int.from_bytes(data[:4], "big")
        if len(data) < end:
            data = _read_more(jobs, end, data)
        timeout, slot, test, workdir, limits, job = loads(memoryview(data)[4:end])
        if test is not None:
            zygote.compile_test(slot, test)
        if workdir is not None:
            os.chdir(workdir)  # children inherit it
        if limits is not None:
            zygote.set_limits(limits)
        job["test_code"], job["test"] = tests[slot] if slot >= 0 else _NO_TEST
        deadline = monotonic() + timeout
        pid = fork()
        if pid == 0:
            zygote.run(job)
        # Wait at once: the job's objects are freed only at the next one (after this child ended, when
        # writing a page needs no copy).
        wait_status, timed_out = _wait(pid, timeout, deadline)
        kill_leftovers(pid1, pid)
        write(status, wait_status.to_bytes(4, "big") + (b"\x01" if timed_out else b"\x00"))
