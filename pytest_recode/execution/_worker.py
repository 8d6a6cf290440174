"""The sandbox worker: long-lived processes that run each program in a child process of its own.

Standard library only: the host starts it as ``python -S -c LOADER SETTINGS`` (see ``_launch.py``), locally
or as the main process of a Docker container. A job's child gets an empty work directory, closed stdin,
captured and capped stdout/stderr, resource limits and (where the isolation allows) its own unprivileged
user; it is killed at the wall-clock limit and, after every job, so is every process the program left.

With namespaces (the local backend) the worker splits (see ``_isolation.py``): the launcher stays outside
the PID namespace, says so to the host (a ``ready`` frame with ``direct``) and only keeps the namespaces
alive; its child, the *forker* (``_forker.py``), PID 1 of the namespace, sets itself up (mounts,
seccomp...), re-executes a lean interpreter where it can, and then only forks children, waits for them
and kills leftovers. The host itself is the *manager* (``_manager.py``): it made the channels the forker
inherits (``settings["channels"]``), sends it jobs and collects their outputs, never forking. Elsewhere
(Docker, ``plain``) the worker is one process that forks the children itself and manages them, answering
the host in JSON frames on its stdout (first ``ready``, then one response per job, in order).

This module imports little: what it loads before the split, the forker carries (and every fork copies).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._isolation import Isolation

__all__ = ["main"]


def _above(fds: list[int]) -> list[int]:
    """Copies of ``fds`` numbered above every descriptor open now (the originals are closed)."""
    top = max(int(fd) for fd in os.listdir("/proc/self/fd")) + 1
    moved = []
    for offset, fd in enumerate(fds):
        os.dup2(fd, top + offset)
        os.close(fd)
        moved.append(top + offset)
    return moved


def _write_frame(fd: int, frame: dict[str, Any]) -> None:
    data = json.dumps(frame, ensure_ascii=True).encode("ascii")
    data = len(data).to_bytes(4, "big") + data
    while data:
        data = data[os.write(fd, data):]


def _forker_main(isolation: Isolation, channels: dict[str, int]) -> None:
    """PID 1 of the worker's namespace: prepare, tell the manager (the host), fork programs until it goes."""
    from . import _forker

    log = -1
    try:
        names = ("jobs", "status", "stdout", "stderr", "result")
        jobs, status, out, err, result, log = _above([channels[name] for name in names] + [os.dup(2)])
        devnull = os.open(os.devnull, os.O_RDONLY)
        # For good: what every child's descriptors 0-3 must be (the host's pipes stay the launcher's).
        for fd, target in ((devnull, 0), (out, 1), (err, 2), (result, 3)):
            os.dup2(fd, target)
            os.close(fd)
        workdir = os.path.join(isolation.work_root, "work")
        os.environ.update(HOME=workdir, TMPDIR=workdir)
        settings = {"role": "forker", "jobs": jobs, "status": status, "log": log, "mode": isolation.mode,
                    "work_root": isolation.work_root, "child_uid": isolation.child_uid, "notes": isolation.notes}
        _forker.secure(isolation.notes)
        if isolation.mode == "namespaces":
            _reexec(settings)  # returns only where it cannot
        _serve_forker(settings)
    except BaseException:  # noqa: BLE001 - say why in the worker's log (the host shows it), and end the worker
        _log_failure(log)
    os._exit(1)


def _reexec(settings: dict[str, Any]) -> None:
    """Start the forker afresh (same process, PID 1, descriptors, mounts, limits and seccomp filter): a new
    interpreter holding only what children need, without this one's setup (ctypes and every module and
    object the split and the mounts needed): every fork copies fewer mappings and pages. Only as root,
    where programs run under another user id: an exec makes the process dumpable again, and nothing of
    it is open to another user anyway (the same user id, in a user namespace, would be: no exec there)."""
    loader, names = getattr(sys, "orig_argv", [])[3:4], ("_serialize", "_harness", "_forker", "_worker")
    sources = getattr(sys.modules.get("recode_sandbox"), "sources", {})
    if not loader or not all(name in sources for name in names):
        return
    import fcntl

    data = "\0".join(part for name in names for part in (name, sources[name])).encode("utf-8")
    data = len(data).to_bytes(4, "big") + data
    read_end, write_end = os.pipe()
    try:
        fcntl.fcntl(write_end, 1031, max(len(data), 1 << 16))  # F_SETPIPE_SZ: all of it fits, we read it later
        if os.write(write_end, data) != len(data):
            raise OSError("short write")
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return
    os.close(write_end)
    os.dup2(read_end, 0)  # the loader reads the sources first on its stdin
    os.close(read_end)
    settings = {**settings, "paths": [path for path in sys.path if path]}
    try:
        os.execve(sys.executable, [sys.executable, "-S", "-c", loader[0], json.dumps(settings)],
                  {**os.environ, "LD_BIND_NOW": "1"})
    except OSError:
        pass  # go on in this process


def _serve_forker(settings: dict[str, Any]) -> None:
    """The forker, set up (after :func:`_reexec`, or in the process that split): serve the manager."""
    from . import _forker

    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # children's stdin (after an exec it held the sources)
    os.close(devnull)
    zygote = _forker.Zygote(child_uid=settings["child_uid"], pid1=True, private_tmp=True)
    _forker.warm(zygote)
    zygote.seal()
    _write_frame(settings["status"], {"work_root": settings["work_root"], "notes": settings["notes"],
                                      "mode": settings["mode"], "child_uid": settings["child_uid"]})
    _forker.freeze(trim="ctypes" in sys.modules)  # after an exec, little to trim and no ctypes to do it
    _forker.serve(zygote, settings["jobs"], settings["status"])


def _log_failure(log: int) -> None:
    import traceback

    try:
        os.write(log, traceback.format_exc().encode("utf-8", errors="replace"))
    except OSError:
        traceback.print_exc()


def _launcher_main(isolation: Isolation, channels: dict[str, int]) -> None:
    """Outside the PID namespace: say so to the host, then keep the namespace alive until the host closes
    our stdin (the forker dies with us: parent-death signal). Opens and imports nothing, the forker is
    changing the mounts we share."""
    for fd in channels.values():
        os.close(fd)  # the forker's: the host must see end of file when it ends
    _write_frame(1, {"ready": True, "direct": True, "python": sys.version.split()[0]})
    while os.read(0, 1 << 12):
        pass
    os._exit(0)


def main() -> None:
    os.environ.pop("LD_BIND_NOW", None)  # it did its work at start (see _launch.LAUNCH_ENV); not the programs'
    config = json.loads(sys.argv[1])
    sys.path.extend(path for path in config.get("paths", ()) if path not in sys.path)
    if config.get("role") == "forker":  # started afresh by _reexec
        try:
            _serve_forker(config)
        except BaseException:  # noqa: BLE001
            _log_failure(config.get("log", 2))
        os._exit(1)
    from . import _isolation

    channels = config.get("channels") or {}
    requested = config.get("isolation", "auto")
    if not channels and not config.get("in_container", False):
        requested = "plain"  # no forker without channels to it
    isolation = _isolation.isolate(requested, in_container=config.get("in_container", False),
                                   uid_base=config.get("uid_base", 200000), tmpfs_mb=config.get("tmpfs_mb", 256))
    if isolation.role == "forker":
        _forker_main(isolation, channels)
    if isolation.role == "launcher":
        _launcher_main(isolation, channels)
    for fd in channels.values():
        os.close(fd)  # one process: no forker to speak to
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    from . import _forker, _manager
    from ._workdir import WorkArea

    private = isolation.mode != "plain" or config.get("in_container", False)
    zygote = _forker.Zygote(child_uid=isolation.child_uid, pid1=isolation.pid1, private_tmp=private)
    if private:
        workdir = os.path.join(isolation.work_root, "work")
        os.environ.update(HOME=workdir, TMPDIR=workdir)
    _forker.prepare(zygote, isolation.notes)
    zygote.seal()
    worker = _manager.Worker(mode=isolation.mode, child_uid=isolation.child_uid, zygote=zygote,
                             work=WorkArea(isolation.work_root, isolation.child_uid, private=private))
    _forker.freeze()
    if _manager.PASSCRED is None:
        isolation.notes.append("results are not checked to come from the program's own process (no SO_PASSCRED)")
    worker.serve(proto_in, proto_out, isolation.notes)
