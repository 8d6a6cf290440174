"""The sandbox worker: a long-lived process that runs each program in a fresh process of its own, and a judge
that decides each verdict where the program cannot reach it.

Standard library only: the host starts it as ``python -S -c LOADER SETTINGS`` (see ``_launch.py``), locally
or as the main process of a Docker container, and then speaks to it on its stdin and stdout. The worker's
*forker* (``_forker.py``) forks the *judge* (``_judge.py``) once, and for each job the *program*
(``_program.py``) with descriptors of the job's own (its /dev/null, fresh pipes for stdout, stderr and its
reports), whose other ends it hands to the judge. The program never holds a descriptor of the forker's, the
judge's or the host's.

With namespaces (the local backend, as root or in a user namespace) the worker splits (see
``_isolation.py``): the launcher stays outside the PID namespace and only keeps the namespaces alive; its
child, PID 1 of the namespace, is the forker: it sets itself up (mounts, seccomp...), re-executes a lean
interpreter where it can, and serves the host on the stdin and stdout it inherited. Elsewhere (Docker,
``plain``) the worker is the forker itself.

This module imports little: what it loads before the split, the forker carries (and every fork copies).
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._isolation import Isolation

__all__ = ["main"]


def _above(fds: list[int]) -> list[int]:
    """Copies of ``fds`` numbered above every descriptor open now (the originals stay)."""
    top = max(int(fd) for fd in os.listdir("/proc/self/fd")) + 1
    for offset, fd in enumerate(fds):
        os.dup2(fd, top + offset)
    return [top + offset for offset in range(len(fds))]


def _forker_main(isolation: Isolation, config: dict[str, Any]) -> None:
    """Become the forker: move the host's channels out of the way, secure, re-execute where it can, serve."""
    from . import _prepare

    try:
        jobs, out = _above([0, 1])
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)  # stray prints go nowhere; the log is stderr
        os.close(devnull)
        private = isolation.mode != "plain" or bool(config.get("in_container"))
        settings = {"role": "forker", "jobs": jobs, "out": out, "mode": isolation.mode, "pid1": isolation.pid1,
                    "work_root": isolation.work_root, "child_uid": isolation.child_uid, "notes": isolation.notes,
                    "private": private, "in_container": bool(config.get("in_container"))}
        _prepare.secure(isolation.notes)
        if isolation.mode == "namespaces":
            _reexec(settings)  # returns only where it cannot
        _serve_forker(settings)
    except BaseException:  # noqa: BLE001 - say why in the worker's log (the host shows it), and end the worker
        _log_failure()
    os._exit(1)


def _reexec(settings: dict[str, Any]) -> None:
    """Start the forker afresh (same process, PID 1, descriptors, mounts, limits and seccomp filter): a new
    interpreter holding only what children need, without this one's setup (ctypes and every module and
    object the split and the mounts needed): every fork copies fewer mappings and pages. Only as root,
    where programs run under another user id: an exec makes the process dumpable again, and nothing of
    it is open to another user anyway (the same user id, in a user namespace, would be: no exec there)."""
    loader = getattr(sys, "orig_argv", [])[3:4]
    sources = getattr(sys.modules.get("recode_sandbox"), "sources", {})
    if not loader or not sources:
        return
    import fcntl

    data = "\0".join(part for name, source in sources.items() for part in (name, source)).encode("utf-8")
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
    """The forker, set up (after :func:`_reexec`, or in the process that split): serve the host."""
    from . import _forker, _prepare
    from ._workdir import WorkArea

    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # (after an exec it held the sources)
    os.close(devnull)
    try:
        os.setsid()  # a session of its own: a program's killpg reaches only its own processes and its judge
    except OSError:
        pass  # already leads one
    work = WorkArea(settings["work_root"], settings["child_uid"], private=settings["private"])
    forker = _forker.Forker(jobs=settings["jobs"], out=settings["out"], child_uid=settings["child_uid"],
                            pid1=settings["pid1"], work=work, private_net=settings["mode"] != "plain"
                            or settings["private"], in_container=settings["in_container"])
    _prepare.warm()
    forker.seal()
    forker.send({"ready": True, "mode": settings["mode"], "notes": settings["notes"],
                 "python": sys.version.split()[0]})
    _prepare.freeze(trim="ctypes" in sys.modules)  # after an exec, little to trim and no ctypes to do it
    forker.serve()


def _log_failure() -> None:
    import traceback

    traceback.print_exc()


def _launcher_main() -> None:
    """Outside the PID namespace: hand the host's channels to the forker (our child), then keep the namespace
    alive until the forker ends (it dies with us: parent-death signal). Opens and imports nothing, the
    forker is changing the mounts we share."""
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)  # the forker's alone now: the host sees end of file when it ends
    os.dup2(devnull, 1)
    os.close(devnull)
    try:
        while True:
            os.wait()
    except ChildProcessError:
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
            _log_failure()
        os._exit(1)
    from . import _isolation

    isolation = _isolation.isolate(config.get("isolation", "auto"), in_container=config.get("in_container", False),
                                   uid_base=config.get("uid_base", 200000), tmpfs_mb=config.get("tmpfs_mb", 256))
    if isolation.role == "launcher":
        _launcher_main()
    _forker_main(isolation, config)
