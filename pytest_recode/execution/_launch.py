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

import json
import os
import select
import subprocess
import sys
import tempfile
from importlib import resources
from typing import Any

from .._errors import SandboxError
from ._host import ForkerLink, WorkerLost

__all__ = ["LOADER", "LocalTransport", "WorkerLost", "worker_bundle", "worker_command"]

#: The worker's modules.
WORKER_MODULES = ("_decode", "_serialize", "_isolation", "_seccomp", "_frames", "_capture", "_control", "_describe",
                  "_program", "_calls", "_judge", "_warmup", "_workdir", "_prepare", "_forker", "_worker")

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
#: Bytes per read: under the C library's threshold for mapping memory afresh.
_READ = 1 << 16

WORKER_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
              "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8"}
#: How the worker starts: LD_BIND_NOW binds every symbol of the interpreter once, at start, rather than on
#: first use in each child (each such binding writes a page the child must copy). The worker drops it from
#: its environment before any program runs.
LAUNCH_ENV = {**WORKER_ENV, "LD_BIND_NOW": "1"}


_PIPE_SIZE = 1 << 20
_F_SETPIPE_SZ = 1031


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


class LocalTransport(ForkerLink):
    """A worker process on this machine, spoken to on its stdin and stdout (see ``_host.py``)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        super().__init__()
        self._log = tempfile.TemporaryFile(prefix="recode-worker-")
        try:
            self.process = subprocess.Popen(
                worker_command(sys.executable, settings), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=self._log, env=LAUNCH_ENV, cwd="/", start_new_session=True,  # no Ctrl-C from the terminal
            )
        except OSError as exc:
            self._log.close()
            raise SandboxError(f"could not start a sandbox worker with {sys.executable}: {exc}") from exc
        self._in = self.process.stdin.fileno()  # type: ignore[union-attr]
        self._out = self.process.stdout.fileno()  # type: ignore[union-attr]
        for fd in (self._in, self._out):
            os.set_blocking(fd, False)
            try:
                import fcntl

                fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_SIZE)  # a megabyte in flight: fewer wake-ups
            except OSError:
                pass
        self._queue(worker_bundle())

    def _write(self, data: memoryview) -> int:
        try:
            return os.write(self._in, data)
        except BlockingIOError:
            return 0
        except OSError as exc:
            raise WorkerLost(f"the worker stopped reading ({exc.strerror})") from exc

    def _read(self) -> bytes:
        try:
            chunk = os.read(self._out, _READ)
        except BlockingIOError:
            return b""
        if not chunk:
            raise WorkerLost("the worker ended unexpectedly")
        return chunk

    def _wait(self, timeout: float, writing: bool) -> bool:
        readable, _, _ = select.select([self._out], [self._in] if writing else [], [], timeout)
        return bool(readable)

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
        self._log.close()
