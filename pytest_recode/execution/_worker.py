"""The sandbox worker: a long-lived process that forks one child per program.

Standard library only: the host starts it as ``python -c LOADER CONFIG NAME SOURCE ...`` (see
``_launch.py``), locally or as the main process of a Docker container. It talks to the host over its
stdin/stdout in length-prefixed JSON frames: first a ``ready`` frame saying how it is isolated, then one
response per job, in order. A job's child gets an empty work directory, closed stdin, captured and capped
stdout/stderr, resource limits and (where the isolation allows) its own unprivileged user; the worker kills
it at the wall-clock limit and, after every job, every process the program left behind.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import resource
import signal
import socket
import sys
import time
from typing import Any

from . import _harness, _isolation, _seccomp
from ._collect import Collector

__all__ = ["main"]

#: Modules most HumanEval/MBPP programs and tests import, loaded once here so no child pays for them.
#: Only those: each module with a C library adds mappings every fork must copy, and `random` and
#: `threading` add after-fork hooks, costing every child more than the import costs the few that use them.
PRELOAD = ("re", "math", "collections", "typing", "heapq", "itertools", "functools", "copy", "operator",
           "string", "bisect")
_TEST_CACHE = 512  # compiled tests kept
_PASSCRED = getattr(socket, "SO_PASSCRED", None)  # Linux: the kernel names each writer (see _collect)
_SETUP_FAILED = 121  # exit status of a child that failed before running the program (as in _collect)


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int) -> Any:
    header = _read_exact(fd, 4)
    if header is None:
        return None
    body = _read_exact(fd, int.from_bytes(header, "big"))
    return None if body is None else json.loads(body)


def _write_frame(fd: int, frame: dict[str, Any]) -> None:
    data = json.dumps(frame, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    data = len(data).to_bytes(4, "big") + data
    while data:
        data = data[os.write(fd, data):]


_F_SETPIPE_SZ = 1031
_SO_SNDBUFFORCE = 32
_BUFFER = 1 << 20


def _enlarge(*ends: Any) -> None:
    """A megabyte of room in each channel, so a child rarely waits for the worker to read (best effort)."""
    for end in ends:
        try:
            if isinstance(end, socket.socket):
                option = _SO_SNDBUFFORCE if os.geteuid() == 0 else socket.SO_SNDBUF
                end.setsockopt(socket.SOL_SOCKET, option, _BUFFER)
            else:
                fcntl.fcntl(end, _F_SETPIPE_SZ, _BUFFER)
        except OSError:
            pass  # over the system's limit for this user: keep the default


def _remove(path: str) -> None:
    """Delete a file, link or whole tree, whatever modes the program left on it. Follows no symbolic link
    (unlink removes the link itself), and uses no shutil, whose import loads compression libraries: every
    library mapped is one more thing each fork copies."""
    try:
        os.unlink(path)
        return
    except IsADirectoryError:
        pass
    try:
        os.chmod(path, 0o700)  # a real directory: unlink would have removed a link to one
        for entry in os.scandir(path):
            _remove(entry.path)
        os.rmdir(path)
    except OSError:
        pass  # left for the tmpfs to vanish with the worker; the next work directory is a fresh one


def _wipe(path: str, *, keep_top: bool) -> None:
    """Delete ``path``, or only what it holds."""
    if not keep_top:
        _remove(path)
        return
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for entry in entries:
        try:
            _remove(entry.path)
        except OSError:
            pass


class Worker:
    def __init__(self, config: dict[str, Any], isolation: _isolation.Isolation) -> None:
        self.config = config
        self.isolation = isolation
        self.private_tmp = isolation.mode != "plain" or config.get("in_container", False)
        self.snapshot: _harness.Snapshot | None = None
        self.devnull = os.open(os.devnull, os.O_RDONLY)
        self.ignores_sigint = isolation.child_uid is None
        self.limits: dict[tuple[int, int, int, int], list[tuple[int, tuple[int, int]]]] = {}
        self.pdeathsig = sys.platform.startswith("linux")
        self.tests: dict[str, Any] = {}  # test source -> code (or None): a problem's completions share it
        # Where programs can write, hence what is emptied after each one (when private to this worker).
        self.wipe_roots = [root for root in dict.fromkeys([isolation.work_root, "/dev/shm"])
                           if os.path.isdir(root) and os.access(root, os.W_OK)]
        try:
            # Above every descriptor open now; the worker opens only a few per job, all numbered low.
            self.fd_ceiling = max(int(fd) for fd in os.listdir("/proc/self/fd")) + 1
        except (OSError, ValueError):
            self.fd_ceiling = 1024

    # -- the child -------------------------------------------------------------------------------------
    def _limits(self, job: dict[str, Any]) -> list[tuple[int, tuple[int, int]]]:
        """The resource limits of ``job``'s child, computed here in the worker (the child only applies them)."""
        key = (int(job["timeout"]), job["memory_mb"], job["file_size_mb"], job["max_processes"])
        cached = self.limits.get(key)
        if cached is None:
            cached = self.limits[key] = self._compute_limits(job)
        return cached

    def _compute_limits(self, job: dict[str, Any]) -> list[tuple[int, tuple[int, int]]]:
        cpu = int(job["timeout"]) + 2
        wanted = [(resource.RLIMIT_AS, job["memory_mb"] << 20, job["memory_mb"] << 20),
                  (resource.RLIMIT_CPU, cpu, cpu + 1),  # SIGXCPU first, SIGKILL a second later
                  (resource.RLIMIT_CORE, 0, 0),
                  (resource.RLIMIT_FSIZE, job["file_size_mb"] << 20, job["file_size_mb"] << 20),
                  (resource.RLIMIT_NOFILE, 256, 256)]
        if self.isolation.child_uid is not None or self.isolation.mode == "userns":
            # Counted per user: only meaningful where the program's user id is its alone.
            wanted.append((resource.RLIMIT_NPROC, job["max_processes"], job["max_processes"]))
        limits = []
        for which, soft, hard in wanted:
            current = resource.getrlimit(which)[1]
            if current != resource.RLIM_INFINITY:
                soft, hard = min(soft, current), min(hard, current)
            limits.append((which, (soft, hard)))
        return limits

    def _child(self, job: dict[str, Any], workdir: str, out: int, err: int, result: int, nonce: str,
               ceiling: int, limits: list[tuple[int, tuple[int, int]]]) -> None:
        # As little Python as possible here: every object touched is a page copied from the worker. The
        # worker already set what all children share (no_new_privs, seccomp, environment, signals).
        try:
            os.setsid()
            os.dup2(self.devnull, 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            os.dup2(result, 3)
            os.closerange(4, ceiling)  # one close_range call where allowed; else a short loop
            os.chdir(workdir)
            if not self.private_tmp:
                os.environ.update(HOME=workdir, TMPDIR=workdir)
            if self.ignores_sigint:
                signal.signal(signal.SIGINT, signal.default_int_handler)
            for which, values in limits:
                resource.setrlimit(which, values)
            uid = self.isolation.child_uid
            if uid is not None:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
            if not self.isolation.pid1 and self.pdeathsig:  # else the PID namespace dies with the worker
                _isolation.prctl(_isolation.PR_SET_PDEATHSIG, signal.SIGKILL)
        except BaseException:  # noqa: BLE001 - report as a sandbox error, never run the program half-isolated
            os._exit(_SETUP_FAILED)
        try:
            _harness.run_in_child(job, nonce, 3, self.snapshot)
        finally:
            os._exit(0)

    # -- the parent ------------------------------------------------------------------------------------
    def _test_code(self, source: str) -> Any:
        code = self.tests.get(source)
        if code is None and source not in self.tests:
            if len(self.tests) >= _TEST_CACHE:
                self.tests.pop(next(iter(self.tests)))
            code = self.tests[source] = _harness.compile_test(source)
        return code

    def _workdir(self) -> str:
        if self.private_tmp:
            path = os.path.join(self.isolation.work_root, "work")
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:  # a previous program left something it made undeletable
                _remove(path)
                path = os.path.join(self.isolation.work_root, f"work-{os.urandom(4).hex()}")
                os.mkdir(path, 0o700)
        else:
            import tempfile

            path = tempfile.mkdtemp(prefix="recode-run-", dir=self.isolation.work_root)
        uid = self.isolation.child_uid
        if uid is not None:
            os.chown(path, uid, uid)
        return path

    def kill_leftovers(self, pid: int) -> None:
        """Kill every process the program left; called once its first process has been reaped."""
        if not self.isolation.pid1:
            try:
                os.killpg(pid, signal.SIGKILL)  # the best we can do without a PID namespace
            except OSError:
                pass
            return
        # PID 1 of its namespace: every other process in it belongs to the program. Kill and reap them all;
        # a process killed while forking leaves no child, and orphans are re-parented to us.
        while True:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                return

    def _cleanup(self, pid: int, reaped: bool, workdir: str) -> None:
        if not reaped:  # only then is ``pid`` still ours: a reaped pid may belong to anyone
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            self.kill_leftovers(pid)
        if self.private_tmp:
            for root in self.wipe_roots:
                _wipe(root, keep_top=True)
        else:
            _wipe(workdir, keep_top=False)

    def execute(self, job: dict[str, Any]) -> dict[str, Any]:
        workdir = self._workdir()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        result_sock, child_sock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        if _PASSCRED is not None:
            result_sock.setsockopt(socket.SOL_SOCKET, _PASSCRED, 1)
        _enlarge(out_w, err_w, child_sock)
        nonce = os.urandom(16).hex()
        limits = self._limits(job)
        if job.get("kind") == "tests":
            job["test_code"] = self._test_code(job["test"])
        ceiling = max(self.fd_ceiling, out_r, out_w, err_r, err_w, result_sock.fileno(), child_sock.fileno()) + 1
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            self._child(job, workdir, out_w, err_w, child_sock.fileno(), nonce, ceiling, limits)
        for fd in (out_w, err_w):
            os.close(fd)
        child_sock.close()
        collector = Collector(pid, job, out_r, err_r, result_sock, nonce)
        try:
            collected = collector.run(started, self)
        finally:
            for fd in (out_r, err_r):
                os.close(fd)
            result_sock.close()
            self._cleanup(pid, collector.reaped, workdir)
        return collected

    def serve(self, proto_in: int, proto_out: int) -> None:
        _write_frame(proto_out, {"ready": True, "mode": self.isolation.mode, "notes": self.isolation.notes,
                                 "python": sys.version.split()[0]})
        while True:
            job = _read_frame(proto_in)
            if job is None or job.get("op") == "exit":
                return
            try:
                response = self.execute(job)
            except Exception as exc:  # noqa: BLE001 - the worker must answer every job
                response = {"status": "sandbox_error", "duration_s": 0.0, "exception_type": type(exc).__name__,
                            "message": f"the sandbox worker failed: {exc}"}
            response["id"] = job.get("id")
            _write_frame(proto_out, response)


def main() -> None:
    config = json.loads(sys.argv[1])
    sys.path.extend(path for path in config.get("paths", ()) if path not in sys.path)
    isolation = _isolation.isolate(config.get("isolation", "auto"), in_container=config.get("in_container", False),
                                   uid_base=config.get("uid_base", 200000), tmpfs_mb=config.get("tmpfs_mb", 256))
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        _isolation.prctl(_isolation.PR_SET_DUMPABLE, 0)  # no ptrace, no /proc/<pid>/mem for our children
    except OSError:
        isolation.notes.append("programs may trace the worker (no prctl here)")
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    sys.argv = ["program.py"]
    worker = Worker(config, isolation)
    if worker.ignores_sigint:
        # Programs run under our own user id and could interrupt us: PID 1 gets no signal it has no handler
        # for, so take Python's SIGINT handler away (children put it back).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if worker.private_tmp:
        workdir = os.path.join(isolation.work_root, "work")
        os.environ.update(HOME=workdir, TMPDIR=workdir)
    # Shared by every child from here on: no privilege gained by exec, and no system call outside the
    # filter (the worker itself needs none of them any more).
    program = _seccomp.filter_program()
    try:
        _isolation.prctl(_isolation.PR_SET_NO_NEW_PRIVS, 1)
        if program is None:
            isolation.notes.append("no seccomp filter (unknown system call numbers on this machine)")
        else:
            _seccomp.install(program)
    except OSError as exc:
        isolation.notes.append(f"no seccomp filter ({exc.strerror or exc})")
    if _PASSCRED is None:
        isolation.notes.append("results are not checked to come from the program's own process (no SO_PASSCRED)")
    worker.snapshot = _harness.Snapshot()
    # Everything loaded so far is shared with every child copy-on-write; keep the garbage collector from
    # touching (hence copying) it in each child.
    gc.collect()
    gc.freeze()
    worker.serve(proto_in, proto_out)
