"""The forker: the one process of a worker that forks: its judge, once, then one program per job.

Standard library only (part of the worker). Every fork write-protects all of the forking process's memory,
so each page it touches afterwards costs a page fault (a copy, while the child lives); the child likewise
copies each page it touches, and fork and exit take time for every mapping (each shared library is five).
So the forker holds only what judges and programs need (preloaded modules, compiled tests), and its loop
per job is a handful of system calls on a few small objects.

It speaks to the host on two descriptors (the worker's stdin and stdout, see ``_worker.py``). Each job
comes as a few fixed-size numbers (:data:`HEADER`: this process parses nothing per job), the settings the
program and the judge read (JSON, passed on as it is), the test's source where this process must compile
it, then the program's text as UTF-8, which is read into a buffer of its own and never becomes an object of
this process: the program inherits it, the judge gets a copy, and it is zeroed once the program is gone,
so that no later program finds it in the memory it inherits. The host reads frames on our stdout, a 4-byte
length then a type byte: ``J`` a JSON object of ours (``ready`` first, then one status per job), ``T`` the
judge's outcome and verdict frames, which the judge writes there itself (this process writes nothing
there while a job runs; the host drops a frame the judge did not finish).

The judge (``_judge.py``) is forked once, from this process's clean state, and never forks; it judges
every job until it has judged :data:`_JUDGE_JOBS`, dies or hangs, and a fresh one takes over. Per job:
fork the program with pipes of its own (stdout, stderr, its reports to the judge and, where the judge
calls it call by call, the judge's requests; the program opens /dev/null afresh for its stdin) and hand
their other ends to the judge over the control channel (``_control.py``); sleep until the program ends,
the judge says the job is judged, or the timeout plus a margin passes (then the judge is killed and
replaced); as soon as the program ends, kill every process it left, check that the work area is clean
(see ``_workdir.py``) and that no socket outlived it (one kept alive by passing it to itself would stay
in the worker's network namespace, reachable by the next program), while the judge judges. Where either
check fails, the status asks the host to replace the worker.
"""

from __future__ import annotations

import os
import resource
import select
import signal
import time
from typing import Any

from . import _calls, _control, _describe, _judge, _program  # noqa: F401 - loaded here, once for every child
from ._frames import dumps
from ._workdir import WorkArea

__all__ = ["HEADER", "TEST_SLOTS", "Forker"]

TEST_SLOTS = 512  # compiled tests kept (the host picks the slot of each)
#: The numbers that start each job's message, by their sizes in bytes, big-endian: the sizes of the
#: settings, the test's source (0: the slot's test is compiled already) and the program's text; the job's
#: id; its test's slot + 1 (0: none); its timeout in microseconds; its memory, file size and process limits;
#: its kind (0 run, 1 tests, 2 call).
HEADER = (4, 4, 4, 8, 4, 8, 4, 4, 4, 1)
_KINDS = ("run", "tests", "call")
_NO_TEST = (None, b"", ())
_BACKSTOP_S = 0.5  # beyond a job's timeout, for a judge that did not end it itself (the program stopped it)
_BUFFER = 1 << 16
_JUDGE_UID_OFFSET = 5_000_000  # programs' ids are 200000 + a pid: no overlap
_JUDGE_JOBS = 256  # jobs a judge judges before a fresh one takes over (its memory, its modules)


def _ends_soon(pidfd: int | None) -> bool:
    """Whether the program ends within a few milliseconds (the judge, done with it, closed its requests)."""
    if pidfd is None:
        return False
    watch = select.poll()
    watch.register(pidfd, select.POLLIN)
    return bool(watch.poll(10))


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
        self.scratch = bytearray(_BUFFER)  # the socket table, read in (and zeroed after)
        self.scratch_view = memoryview(self.scratch)
        self.limits_key: Any = None
        self.each: list[tuple[int, int, int]] = []  # limits every judge sets on itself (and so its program)
        self.program_limits: list[tuple[int, int, int]] = []  # limits only the program's process sets
        self.fd_ceiling = 1024
        self.sockets = self._unix_sockets() if private_net else None
        # The judge: a user id of its own where programs get one (a program then cannot even signal it).
        self.judge_uid = None if child_uid is None else child_uid + _JUDGE_UID_OFFSET
        self.judge: tuple[int, Any, int | None, Any] | None = None  # (pid, channel, pidfd, what a job waits on)
        self.judged = 0
        self.groups: list[int] = []  # the programs' process groups of this job (without a PID namespace)

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
        total = sum(HEADER)
        while True:
            head = self._read_exact(total)
            if head is None:
                os._exit(0)  # the host is gone
            numbers, at = [], 0
            for size in HEADER:
                numbers.append(int.from_bytes(head[at:at + size], "big"))
                at += size
            meta_size, source_size, size = numbers[:3]
            meta = self._read_exact(meta_size)
            source = self._read_exact(source_size) if source_size else None
            if meta is None or (source_size and source is None) or not self._read_program(size):
                os._exit(0)
            self.run(numbers, meta, source, size)

    # -- one job -------------------------------------------------------------------------------------------
    def run(self, numbers: list[int], meta: bytes, source: bytes | None, size: int) -> None:
        _, _, _, job_id, slot, timeout_us, memory_mb, file_size_mb, max_processes, kind = numbers
        slot -= 1
        if source is not None:
            code = _compile_test(source.decode("utf-8", "surrogatepass"))
            self.tests[slot] = (code, source, _program.test_names(code) if code is not None else ())
        test = self.tests[slot] if slot >= 0 else _NO_TEST
        timeout = timeout_us / 1e6
        self._set_limits(timeout, memory_mb, file_size_mb, max_processes)
        self.work.enter()
        self._start_judge()
        judge_pid, channel, judge_pidfd, watch = self.judge  # type: ignore[misc]
        deadline = time.monotonic() + timeout + _BACKSTOP_S + timeout / 10
        program = memoryview(self.program)[:size]
        job = (meta, test, _KINDS[kind] == "tests" and test[0] is not None)  # the program's side of it
        # After a fork, every page this process writes costs a fault (a copy, while the child lives): so it
        # sleeps until the program ends, the judge speaks, or the judge dies. (The judge writes its frames for
        # the host itself, on our output, before it says "D"; nothing of ours is written there meanwhile.)
        pid, pidfd = self._program(job, program, channel, True)
        if pidfd is not None:
            watch.register(pidfd, select.POLLIN)
        judged = timed_out = False
        recycle: bool | None = None  # once the program is gone: whether it left what we cannot clear
        try:
            while not judged:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                short = (pid and pidfd is None) or judge_pidfd is None
                for ready, _ in watch.poll(min(remaining, 0.005 if short else remaining) * 1000 + 1):
                    if ready == pidfd or (ready == channel.fd and pid and _ends_soon(pidfd)):
                        pid, pidfd = self._ended(pid, pidfd, watch, channel)
                        recycle = self._clear(pid, pidfd, watch)  # while the judge judges
                    if ready == channel.fd:
                        channel.read()
                        while (message := channel.pop()) is not None:
                            if message[0] == b"D":
                                judged = True
                            elif message[0] == b"A":  # the record was not the judge's run: a fresh program
                                self._end_program(pid, pidfd, watch)
                                recycle = None
                                pid, pidfd = self._program((meta, test, False), program, channel, False)
                                if pidfd is not None:
                                    watch.register(pidfd, select.POLLIN)
                        judged = judged or channel.closed  # (the judge is gone: its end tells)
                    elif ready == judge_pidfd:
                        judged = True
                if pid and pidfd is None and os.waitpid(pid, os.WNOHANG)[0]:  # no pidfd here: look
                    pid, pidfd = self._ended(pid, pidfd, watch, channel)
                    recycle = self._clear(pid, pidfd, watch)
                if judge_pidfd is None and os.waitpid(judge_pid, os.WNOHANG)[0]:
                    judged = True
        finally:
            if recycle is None:
                recycle = self._clear(pid, pidfd, watch)
            judge_status = self._judge_gone(timed_out)
            memoryview(self.program)[:size] = bytes(size)
        status = b'{"status":%d,"timed_out":%s,"recycle":%s,"id":%d}' % (
            judge_status, b"true" if timed_out else b"false", b"true" if recycle else b"false", job_id)
        _write_all(self.out, [(len(status) + 1).to_bytes(4, "big") + b"J", status])
        if recycle:
            os._exit(0)  # no job after this one here: the host starts a fresh worker

    def _program(self, job: tuple[bytes, Any, bool], program: memoryview, channel: Any,
                 first: bool) -> tuple[int, int | None]:
        """Fork the program with fresh pipes (stdout, stderr, its reports, and, where the judge will call it
        call by call, the judge's requests); hand the judge their other ends first, with the job (``first``)
        or, for a fresh program of the same job, without; then the pid and start time."""
        meta, test, record = job
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        reply_r, reply_w = os.pipe()
        request_r, request_w = os.pipe() if test[0] is not None and not record else (-1, -1)
        ends = [fd for fd in (out_r, err_r, reply_r, request_w) if fd >= 0]
        try:
            if first:
                sizes = len(meta).to_bytes(4, "big") + len(test[1]).to_bytes(4, "big")
                channel.send(b"J", [sizes, meta, test[1], program], fds=ends)
            else:
                channel.send(b"R", b"", fds=ends)
        except OSError:
            pass  # the judge is gone: its end tells
        for fd in ends:
            os.close(fd)
        top = max(self.fd_ceiling, out_w, err_w, reply_w, request_r) + 1
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _program.become_program(job, program, (out_w, err_w, reply_w, request_r), top, self._become)
        # From here on, every page written costs a fault: as little as can be, until the program ends.
        for fd in (out_w, err_w, reply_w, request_r):
            if fd >= 0:
                os.close(fd)
        self.groups.append(pid)  # (its process group, where it has one)
        try:
            channel.sock.send(b"P\x00\x00\x00\x0c" + pid.to_bytes(4, "big") + int(started * 1e9).to_bytes(8, "big"))
        except OSError:
            pass
        try:
            pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None  # an old kernel: look now and then instead
        return pid, pidfd

    def _ended(self, pid: int, pidfd: int | None, watch: Any, channel: Any) -> tuple[int, None]:
        """The program ended: reap it, and tell the judge how."""
        status = os.waitpid(pid, 0)[1]
        if pidfd is not None:
            watch.unregister(pidfd)
            os.close(pidfd)
        try:
            channel.send(b"E", status.to_bytes(4, "big"))
        except OSError:
            pass
        return 0, None

    def _clear(self, pid: int, pidfd: int | None, watch: Any) -> bool:
        """Kill the program and all it left, and check the work area and the sockets: whether the worker
        must be replaced (it is, after this job)."""
        self._end_program(pid, pidfd, watch)
        return not self.work.leave() or self._sockets_left()

    def _end_program(self, pid: int, pidfd: int | None, watch: Any) -> None:
        """Kill the program (``pid``, 0 once reaped) and all it left."""
        if pidfd is not None:
            watch.unregister(pidfd)
            os.close(pidfd)
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
        if not self.pid1:
            for group in self.groups:
                try:
                    os.killpg(group, signal.SIGKILL)  # the best there is without a PID namespace
                except OSError:
                    pass
            self.groups.clear()
        self._kill_leftovers()

    def _become(self) -> None:
        """Turn the fresh child into the program's process: limits, user id; without a PID namespace, a
        process group of its own (for killpg)."""
        if not self.pid1:
            os.setpgid(0, 0)
        for which, soft, hard in self.each + self.program_limits:
            resource.setrlimit(which, (soft, hard))
        uid = self.child_uid
        if uid is not None:
            os.setgroups(())
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)

    def _kill_leftovers(self) -> None:
        """Kill every process the program left (not the judge). As PID 1 of the namespace, every other
        process in it descends from us, and an orphan is re-parented to us: kill our children but the judge
        until none is left (none, the common case: one read of our list of children)."""
        if not self.pid1:
            return  # (the programs' process groups: killed with them, see _end_program)
        judge_pid = self.judge[0] if self.judge else -1
        while True:
            others = [child for child in self._children() if child != judge_pid]
            if not others:
                return
            for child in others:
                try:
                    os.kill(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            for child in others:
                try:
                    os.waitpid(child, 0)
                except ChildProcessError:
                    pass

    def _children(self) -> list[int]:
        fd = os.open(f"/proc/self/task/{os.getpid()}/children", os.O_RDONLY)
        try:
            data = os.read(fd, 1 << 16)
        finally:
            os.close(fd)
        return [int(field) for field in data.split()]

    # -- the judge -------------------------------------------------------------------------------------------
    def _start_judge(self) -> None:
        if self.judge is not None:
            return
        ours, theirs = _control.pair()
        pid = os.fork()
        if pid == 0:
            try:
                keep = sorted({theirs.fileno(), self.out})
                start = 3
                for fd in keep:
                    os.closerange(start, fd)
                    start = fd + 1
                os.closerange(start, self.fd_ceiling + 16)
                os.setsid()  # outside every program's process group
                os.chdir("/")  # not in the work directory, which is the programs' (and renewed under it)
                uid = self.judge_uid
                if uid is not None:
                    os.setgroups(())
                    os.setresgid(uid, uid, uid)
                    os.setresuid(uid, uid, uid)
            except BaseException:  # noqa: BLE001
                os._exit(_judge.SETUP_FAILED)
            _judge.serve(_control.Channel(theirs), self.out)
        theirs.close()
        try:
            pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None
        channel = _control.Channel(ours)
        watch = select.poll()  # what a job waits on, besides its program (registered and unregistered each job)
        for fd in (channel.fd, pidfd):
            if fd is not None:
                watch.register(fd, select.POLLIN)
        self.judge = (pid, channel, pidfd, watch)
        self.judged = 0

    def _judge_gone(self, timed_out: bool) -> int:
        """After a job: if the judge died, hung (``timed_out``) or judged enough, end it (a fresh one takes
        the next job). Its wait status where it died, else 0."""
        pid, channel, pidfd, _ = self.judge  # type: ignore[misc]
        self.judged += 1
        status = 0
        done, waited = os.waitpid(pid, os.WNOHANG)
        if not done and (timed_out or channel.closed):  # hung, or dying (its end of the channel is closed)
            if timed_out:
                os.kill(pid, signal.SIGKILL)
            done, waited = os.waitpid(pid, 0)
        if done:
            status = waited
        if done or self.judged >= _JUDGE_JOBS:
            channel.close()
            if not done:
                os.waitpid(pid, 0)  # it ends at the end of its channel
            if pidfd is not None:
                os.close(pidfd)
            self.judge = None
        return status

    def _set_limits(self, timeout: float, memory_mb: int, file_size_mb: int, max_processes: int) -> None:
        """The resource limits of the job's programs: those the same for every job of this worker, set on
        this process once (programs inherit them), and each program's own (CPU time)."""
        key = (int(timeout), memory_mb, file_size_mb, max_processes)
        if key == self.limits_key:
            return
        cpu = int(timeout) + 2
        own = [(resource.RLIMIT_AS, memory_mb << 20, memory_mb << 20),
               (resource.RLIMIT_CORE, 0, 0),
               (resource.RLIMIT_FSIZE, file_size_mb << 20, file_size_mb << 20),
               (resource.RLIMIT_NOFILE, 256, 256)]
        each = [(resource.RLIMIT_CPU, cpu, cpu + 1)]  # SIGXCPU first, SIGKILL a second later
        # Counted per user: only meaningful where the program's user id is its alone. Not on a forker that
        # shares the programs' user id (its own forks would count), and there only on the program itself.
        # In a container, whose user id every container shares, its process limit (a cgroup) does this.
        nproc = (resource.RLIMIT_NPROC, max_processes, max_processes)
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
            each = own + each  # not here: each program sets them on itself
        self.limits_key, self.each = key, each

    # -- leftovers ---------------------------------------------------------------------------------------
    def _unix_sockets(self) -> int | None:
        """How many sockets the network namespace holds (its table read into the scratch buffer, zeroed after:
        a program's socket names never become an object here)."""
        try:
            fd = os.open("/proc/self/net/unix", os.O_RDONLY)
        except OSError:
            return None
        try:
            got = os.readv(fd, [self.scratch_view])
            lines = self.scratch.count(b"\n", 0, got)
            if got == len(self.scratch):
                lines += 1 << 20  # more than fit: more than there should be
        finally:
            os.close(fd)
        self.scratch_view[:got] = bytes(got)
        return lines - 1

    def _sockets_left(self) -> bool:
        """Whether a socket outlived the program (the judge's channel is two of those there are)."""
        expected = (self.sockets or 0) + (2 if self.judge is not None else 0)
        return self.sockets is not None and self._unix_sockets() != expected


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
