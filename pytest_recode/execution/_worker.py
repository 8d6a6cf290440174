"""The sandbox worker: a long-lived process that runs each program in a child process of its own.

Standard library only: the host starts it as ``python -S -c LOADER SETTINGS`` (see ``_launch.py``), locally
or as the main process of a Docker container. It talks to the host over its stdin/stdout in length-prefixed
JSON frames: first a ``ready`` frame saying how it is isolated, then one response per job, in order. A
job's child gets an empty work directory, closed stdin, captured and capped stdout/stderr, resource limits
and (where the isolation allows) its own unprivileged user; it is killed at the wall-clock limit and, after
every job, so is every process the program left behind.

With namespaces the worker is two processes (see ``_isolation.py``): the *manager* (``_manager.py``) does
all the work of a job but never forks, so it never pays for copy-on-write faults; the *forker*
(``_forker.py``), PID 1 of the worker's PID namespace, only forks children, waits for them and kills
leftovers. Elsewhere (Docker, ``plain``) the worker is one process that forks the children itself.

This module imports little: what it loads before the split, the forker carries (and every fork copies).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

from . import _isolation

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


def _read_ready(fd: int) -> dict[str, Any]:
    """The forker's first message, a frame (with nothing imported: json is loaded already)."""
    data = b""
    while len(data) < 4 or len(data) < 4 + int.from_bytes(data[:4], "big"):
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            raise SystemExit("the sandbox's forker failed to start (see above)")
        data += chunk
    return json.loads(data[4:])  # nothing follows: the forker waits for the first job


def _forker_main(isolation: _isolation.Isolation) -> None:
    """PID 1 of the worker's namespace: prepare, tell the manager, fork programs until it goes."""
    from . import _forker
    from ._forker import Zygote

    channels = isolation.channels
    try:
        for name, end in (("jobs", 1), ("status", 0), ("stdout", 0), ("stderr", 0), ("result", 0)):
            os.close(channels[name][end])  # the manager's ends
        jobs, status, log = _above([channels["jobs"][0], channels["status"][1], os.dup(2)])
        devnull = os.open(os.devnull, os.O_RDONLY)
        # For good: what every child's descriptors 0-3 must be (the host's pipes stay the manager's alone).
        for fd, target in ((devnull, 0), (channels["stdout"][1], 1), (channels["stderr"][1], 2),
                           (channels["result"][1], 3)):
            os.dup2(fd, target)
            os.close(fd)
        zygote = Zygote(isolation, private_tmp=True, fds_in_place=True)
        workdir = os.path.join(isolation.work_root, "work")
        os.environ.update(HOME=workdir, TMPDIR=workdir)
        _forker.prepare(zygote, isolation.notes)
        zygote.seal()
        ready = json.dumps({"work_root": isolation.work_root, "notes": isolation.notes}).encode("ascii")
        os.write(status, len(ready).to_bytes(4, "big") + ready)
        _forker.freeze()
        _forker.serve(zygote, jobs, status)
    except BaseException:  # noqa: BLE001 - say why in the worker's log (the host shows it), and end the worker
        import traceback

        try:
            os.write(log, traceback.format_exc().encode("utf-8", errors="replace"))
        except (NameError, OSError):
            traceback.print_exc()
    os._exit(1)


def main() -> None:
    os.environ.pop("LD_BIND_NOW", None)  # it did its work at start (see _launch.LAUNCH_ENV); not the programs'
    config = json.loads(sys.argv[1])
    sys.path.extend(path for path in config.get("paths", ()) if path not in sys.path)
    isolation = _isolation.isolate(config.get("isolation", "auto"), in_container=config.get("in_container", False),
                                   uid_base=config.get("uid_base", 200000), tmpfs_mb=config.get("tmpfs_mb", 256))
    if isolation.role == "forker":
        _forker_main(isolation)
    if isolation.role == "manager":
        # Only now may this process open or import anything: until the forker says it is ready, it is
        # changing the mounts this process shares (the interpreter's own directory is covered for a moment).
        ready = _read_ready(isolation.channels["status"][0])
        isolation.work_root, isolation.notes = ready["work_root"], ready["notes"]
    proto_in, proto_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    from . import _manager

    if isolation.role == "manager":
        try:
            _isolation.prctl(_isolation.PR_SET_DUMPABLE, 0)
            if isolation.mode == "userns":
                _isolation.drop_capabilities()  # this process needs none of them (the forker has none)
        except OSError:
            pass
        worker = _manager.Worker(config, isolation, None)
    else:  # one process: it forks the programs itself
        from . import _forker

        zygote = _forker.Zygote(isolation, private_tmp=isolation.mode != "plain" or config.get("in_container", False),
                        fds_in_place=False)
        if zygote.private_tmp:
            workdir = os.path.join(isolation.work_root, "work")
            os.environ.update(HOME=workdir, TMPDIR=workdir)
        _forker.prepare(zygote, isolation.notes)
        zygote.seal()
        worker = _manager.Worker(config, isolation, zygote)
        _forker.freeze()
    if _manager.PASSCRED is None:
        isolation.notes.append("results are not checked to come from the program's own process (no SO_PASSCRED)")
    worker.serve(proto_in, proto_out)
