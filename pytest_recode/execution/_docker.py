"""The Docker backend: the sandbox worker as the main process of a locked-down container, one per worker.

Each container runs with no network, memory and process limits, a read-only root file system, tmpfs work
space, an unprivileged user, no capabilities and ``no-new-privileges``. The worker is the container's
PID 1, so after each program it kills every process left in the container. The host talks to it over the
container's attached stdin/stdout (one socket, no ``exec`` and no container start per program).

The image needs only ``python3`` (with ``ctypes`` and ``resource``): the worker's code travels on its
stdin. ``scripts/build-sandbox-image.sh`` builds one offline from a debootstrapped Debian.
"""

from __future__ import annotations

import select
import socket
from typing import Any

from .._errors import ResourceMissing, SandboxError
from ._api import SandboxConfig
from ._host import ForkerLink, WorkerLost
from ._launch import LAUNCH_ENV, worker_bundle, worker_command
from ._pool import PoolSandbox

__all__ = ["DockerSandbox", "container_options", "docker_client"]

_BUILD_HINT = "run scripts/build-sandbox-image.sh (it installs and starts Docker, and builds the image offline)"
_WORKER_OVERHEAD_MB = 256  # the worker itself, and tmpfs pages, on top of one program's memory limit
_LABEL = "pytest-recode.sandbox"


def docker_client(image: str) -> Any:
    """A client of an engine that answers and has ``image``; raises with what to do otherwise."""
    try:
        import docker
    except ImportError as exc:
        raise ResourceMissing("the Docker sandbox needs the docker package: pip install 'pytest-recode[docker]'") \
            from exc
    try:
        client = docker.from_env(version="auto", timeout=30)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - the SDK raises several unrelated types here
        raise SandboxError(f"no Docker engine answers ({exc}); {_BUILD_HINT}") from None
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise ResourceMissing(f"the Docker image {image!r} does not exist; {_BUILD_HINT}") from None
    return client


def container_options(config: SandboxConfig) -> dict[str, Any]:
    """The locked-down settings of a sandbox container (keyword arguments of ``containers.create``)."""
    memory = f"{config.memory_mb + _WORKER_OVERHEAD_MB}m"
    return {
        "network_mode": "none",
        "mem_limit": memory,
        "memswap_limit": memory,  # no swap beyond the memory limit
        "pids_limit": config.max_processes + 16,
        "read_only": True,
        "tmpfs": {"/tmp": "rw,nosuid,nodev,size=256m,mode=1777"},
        "user": "65534:65534",
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "ipc_mode": "private",
        "environment": dict(LAUNCH_ENV),
        "working_dir": "/tmp",
        "labels": {_LABEL: "1"},
        # With detach=False the SDK sets StdinOnce: our socket closing ends the worker, hence the container.
        "stdin_open": True,
        "detach": False,
        "tty": False,
        "auto_remove": True,
    }


class DockerTransport(ForkerLink):
    """One container running the worker, spoken to over its attached stdin and (multiplexed) stdout."""

    def __init__(self, client: Any, config: SandboxConfig) -> None:
        super().__init__()
        settings = {"isolation": "plain", "in_container": True}
        try:
            self.container = client.containers.create(config.docker_image, worker_command("python3", settings),
                                                      **container_options(config))
            attached = self.container.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            self.container.start()
        except Exception as exc:  # noqa: BLE001 - docker.errors.* and OSError alike
            raise SandboxError(f"could not start a sandbox container from {config.docker_image!r}: {exc}") from None
        self._attached = attached
        self._sock: socket.socket = getattr(attached, "_sock", attached)
        self._sock.setblocking(False)
        self._raw = bytearray()
        self._stderr = bytearray()
        self._queue(worker_bundle())

    def _write(self, data: memoryview) -> int:
        try:
            return self._sock.send(data)
        except BlockingIOError:
            return 0
        except OSError as exc:
            raise WorkerLost(f"the container stopped reading ({exc})") from exc

    def _read(self) -> bytes:
        """What came on the container's stdout; its stderr is kept apart, for :meth:`diagnostics`."""
        try:
            chunk = self._sock.recv(1 << 16)  # under the C library's mmap threshold (see _launch._READ)
        except BlockingIOError:
            return b""
        except OSError as exc:
            raise WorkerLost(f"the container's stream failed ({exc})") from exc
        if not chunk:
            raise WorkerLost("the container ended unexpectedly")
        self._raw += chunk
        stdout = bytearray()
        while len(self._raw) >= 8:  # Docker's frames: stream, 3 bytes of nothing, 4 bytes of size
            size = int.from_bytes(self._raw[4:8], "big")
            if len(self._raw) < 8 + size:
                break
            if self._raw[0] == 2:
                self._stderr += self._raw[8 : 8 + size]
                del self._stderr[:-4000]
            else:
                stdout += self._raw[8 : 8 + size]
            del self._raw[: 8 + size]
        return bytes(stdout)

    def _wait(self, timeout: float, writing: bool) -> bool:
        readable, _, _ = select.select([self._sock], [self._sock] if writing else [], [], timeout)
        return bool(readable)

    def diagnostics(self) -> str:
        return self._stderr[-4000:].decode("utf-8", errors="replace").strip()

    def close(self, *, kill: bool = False) -> None:
        for closable in (self._sock, self._attached):
            try:
                closable.close()
            except OSError:
                pass
        try:
            self.container.kill()  # auto_remove deletes it once it stops
        except Exception:  # noqa: BLE001 - already gone
            pass


class DockerSandbox(PoolSandbox):
    """``config.worker_count`` containers of ``config.docker_image``, started when first needed."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        config = config if config is not None else SandboxConfig(backend="docker")
        client = docker_client(config.docker_image)
        self._client = client
        super().__init__(config, lambda: DockerTransport(client, config))

    def close(self) -> None:
        super().close()
        try:
            self._client.close()
        except Exception:  # noqa: BLE001
            pass
