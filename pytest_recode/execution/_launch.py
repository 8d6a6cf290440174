"""Starting a sandbox worker: its command line, and the transport to a local worker process.

The worker is a handful of standard-library-only modules of this package. The host sends their sources as
the first bytes on the worker's stdin (see :func:`worker_bundle`) to a small loader run as
``python -S -c LOADER SETTINGS``, so the same worker starts from a local interpreter or inside a container
whose image has nothing but ``python3`` (no file to copy, nothing to mount). Not on the command line:
the interpreter keeps several copies of its arguments for good, megabytes that every fork of the worker
would copy. Each module gets a private copy of the builtins, so a program that replaces
``builtins.type`` cannot change the worker's own code.
"""

from __future__ import annotations

import collections
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from importlib import resources
from typing import Any

from .._errors import SandboxError
from ._frames import dumps, frame_end, loads, pop_frame

__all__ = ["LOADER", "LocalTransport", "WorkerLost", "worker_bundle", "worker_command"]

#: The worker's modules.
WORKER_MODULES = ("_serialize", "_isolation", "_seccomp", "_harness", "_frames", "_collect", "_workdir", "_forker",
                  "_manager", "_worker")

# The sources come first on stdin: a 4-byte length, then NAME NUL SOURCE NUL ... (source text has no NUL).
# Modules are executed when first imported, not all at start: the forker, which every program's fork
# copies, then holds only what it uses.
LOADER = """\
import builtins, os, sys, types
sys.path[:] = [p for p in sys.path if p]
def read(size):
    chunks = []
    while size:
        chunk = os.read(0, size)
        if not chunk:
            raise SystemExit("the sandbox worker got no code on its stdin")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
parts = read(int.from_bytes(read(4), "big")).decode("utf-8").split("\\0")
sources = dict(zip(parts[::2], parts[1::2]))
del parts
package = types.ModuleType("recode_sandbox")
package.__path__ = []
sys.modules["recode_sandbox"] = package
class Loader:
    @staticmethod
    def find_spec(name, path=None, target=None):
        prefix, _, short = name.rpartition(".")
        if prefix == "recode_sandbox" and short in sources:
            return type(sys.__spec__)(name, Loader)
    @staticmethod
    def create_module(spec):
        return None
    @staticmethod
    def exec_module(module):
        module.__file__ = "<" + module.__name__ + ">"
        module.__builtins__ = dict(builtins.__dict__)
        source = sources[module.__name__.rpartition(".")[2]]
        exec(compile(source, module.__file__, "exec"), module.__dict__)
package.sources = sources
sys.meta_path.insert(0, Loader)
from recode_sandbox import _worker
_worker.main()
"""

#: The environment of every worker: nothing of the caller's, a fixed hash seed so that set and dict
#: orders (hence printed and returned values) are the same in every worker and every run.
WORKER_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
              "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8"}
#: How the worker starts: LD_BIND_NOW binds every symbol of the interpreter once, at start, rather than on
#: first use in each child (each such binding writes a page the child must copy). The worker drops it from
#: its environment before any program runs.
LAUNCH_ENV = {**WORKER_ENV, "LD_BIND_NOW": "1"}


#: Bytes per read: under the C library's threshold for mapping memory afresh (a read of a megabyte costs an
#: mmap, an mremap and a munmap, each time).
_READ = 1 << 16


class WorkerLost(Exception):
    """The worker died, hung, or spoke nonsense; the pool replaces it."""


def worker_command(python: str, settings: dict[str, Any]) -> list[str]:
    """``python -S -c LOADER SETTINGS``: the worker, once :func:`worker_bundle` is written to its stdin.

    ``-S``: no ``site`` module, whose imports every fork would copy; the worker puts ``settings["paths"]``
    (this interpreter's site-packages, see :func:`site_paths`) on ``sys.path`` itself.
    """
    return [python, "-S", "-c", LOADER, json.dumps(settings)]


def worker_bundle() -> bytes:
    """The worker's sources, as the loader reads them first from its stdin."""
    package = resources.files(__package__)
    parts = []
    for name in WORKER_MODULES:
        parts += [name, package.joinpath(f"{name}.py").read_text(encoding="utf-8")]
    data = "\0".join(parts).encode("utf-8")
    return len(data).to_bytes(4, "big") + data


def site_paths() -> list[str]:
    """The site-packages directories of this interpreter, so that programs import what it has installed."""
    import site

    paths = [*site.getsitepackages()] if hasattr(site, "getsitepackages") else []
    paths += [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    return [p for p in dict.fromkeys(paths) if os.path.isdir(p)]


def encode_frame(frame: dict[str, Any]) -> bytes:
    data = dumps(frame, allow_nan=False)
    return len(data).to_bytes(4, "big") + data


class LocalTransport:
    """A worker process on this machine.

    With namespaces the worker splits, and this object is its manager (``_manager.Worker``): it makes the
    channels the forker inherits, sends it each job and collects the outputs itself (no process between
    the host and the forker). Otherwise (``plain``) the worker manages its children itself and answers in
    JSON frames on its stdout.
    """

    def __init__(self, settings: dict[str, Any]) -> None:
        from ._manager import Channels

        self._channels = Channels() if settings.get("isolation") != "plain" and sys.platform.startswith("linux") \
            else None
        ends = self._channels.forker_ends if self._channels is not None else {}
        self._log = tempfile.TemporaryFile(prefix="recode-worker-")
        try:
            self.process = subprocess.Popen(
                worker_command(sys.executable, {**settings, "channels": ends}),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, pass_fds=tuple(ends.values()),
                env=LAUNCH_ENV, cwd="/", start_new_session=True,  # no Ctrl-C from the terminal
            )
        except OSError as exc:
            self._log.close()
            if self._channels is not None:
                self._channels.close_forker_ends()
                self._channels.close()
            raise SandboxError(f"could not start a sandbox worker with {sys.executable}: {exc}") from exc
        if self._channels is not None:
            self._channels.close_forker_ends()
        self._in = self.process.stdin.fileno()  # type: ignore[union-attr]
        self._out = self.process.stdout.fileno()  # type: ignore[union-attr]
        self._buffer = bytearray()
        self._manager: Any = None  # a _manager.Worker once the worker says it split
        self._root = -1  # the forker's root directory, held open
        self._queue: collections.deque[dict[str, Any]] = collections.deque()
        self._send(worker_bundle())

    def send(self, job: dict[str, Any]) -> None:
        if self._manager is not None:
            self._queue.append(job)  # run when its answer is asked for: the forker takes one at a time
        else:
            self._send(encode_frame(job))

    def _send(self, data: bytes) -> None:
        data = memoryview(data)
        try:
            while data:
                data = data[os.write(self._in, data):]
        except OSError as exc:
            raise WorkerLost(f"the worker stopped reading ({exc.strerror})") from exc

    def _fill(self, size: int, deadline: float, fd: int | None = None) -> None:
        while len(self._buffer) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerLost("the worker did not answer in time")
            source = self._out if fd is None else fd
            ready, _, _ = select.select([source], [], [], remaining)
            if ready:
                chunk = os.read(source, _READ)
                if not chunk:
                    raise WorkerLost("the worker ended unexpectedly")
                self._buffer += chunk

    def _frame(self, deadline: float, fd: int | None = None) -> dict[str, Any]:
        while (body := pop_frame(self._buffer)) is None:
            self._fill(frame_end(self._buffer), deadline, fd)
        try:
            return loads(body)
        except ValueError as exc:
            raise WorkerLost(f"the worker sent a malformed frame: {exc}") from exc

    def receive(self, deadline: float) -> dict[str, Any]:
        if self._manager is not None:
            from ._manager import ForkerLost

            job = self._queue.popleft()
            try:
                response = self._manager.execute(job, give_up=deadline)
            except ForkerLost as exc:
                raise WorkerLost(str(exc)) from None
            response["id"] = job.get("id")
            return response
        frame = self._frame(deadline)
        if frame.get("direct") and self._channels is not None and self._manager is None:
            return self._adopt(frame, deadline)
        if self._channels is not None:  # one process: no forker to speak to
            self._channels.close()
            self._channels = None
        return frame

    def _adopt(self, launcher: dict[str, Any], deadline: float) -> dict[str, Any]:
        """The worker split: wait for its forker's ready message, then be its manager."""
        from ._manager import Worker
        from ._workdir import WorkArea

        assert self._channels is not None
        ready = self._frame(deadline, self._channels.status)
        try:
            # Its file system as it sees it: the launcher's root, which shares the forker's mounts (unlike the
            # forker, the launcher may be looked into by its own user; it is our child, its pid stays its own),
            # held open as a descriptor.
            self._root = os.open(f"/proc/{self.process.pid}/root", os.O_PATH | os.O_DIRECTORY)
            work = WorkArea(ready["work_root"], ready["child_uid"], private=True, view=f"/proc/self/fd/{self._root}")
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise WorkerLost(f"the worker's file system is out of reach: {exc}") from None
        self._manager = Worker(mode=ready["mode"], child_uid=ready["child_uid"], work=work, channels=self._channels)
        return {"ready": True, "mode": ready["mode"], "notes": ready["notes"], "python": launcher.get("python")}

    def diagnostics(self) -> str:
        """The end of what the worker wrote on its stderr (a traceback, if it crashed)."""
        try:
            self._log.seek(0)
            return self._log.read()[-4000:].decode("utf-8", errors="replace").strip()
        except (OSError, ValueError):
            return ""

    def close(self, *, kill: bool = False) -> None:
        """Stop the worker: end of file on its stdin makes it exit; ``kill=True`` (or 2 s) kills it."""
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass
        try:
            self.process.wait(timeout=0 if kill else 2)
        except subprocess.TimeoutExpired:
            self.process.kill()  # the launcher; a namespaced worker dies with it (parent-death signal)
            self.process.wait()
        if self._channels is not None:
            self._channels.close()
            self._channels = None
        if self._manager is not None:
            self._manager.work.close()
        if self._root >= 0:
            os.close(self._root)
            self._root = -1
        self._log.close()
