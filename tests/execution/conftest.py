"""Sandboxes for the execution tests: one per backend, shared by the session (workers start once).

Docker tests are marked ``docker`` and skip, saying how to enable them, where no engine answers or the
image is missing; with ``RECODE_REQUIRE_DOCKER=1`` (CI) they fail instead, so they cannot go missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from pytest_recode import ResourceMissing, SandboxError
from pytest_recode.execution import Sandbox, SandboxConfig, open_sandbox

BACKENDS = [pytest.param("local", id="local"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]

#: A probe run after hostile programs: every process but the worker and itself, every file left behind.
LEFTOVERS_PROBE = """\
import os
me = os.getpid()
processes = sorted(int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me))
files = sorted(os.path.join(top, name) for top in ("/tmp", "/dev/shm") if os.path.isdir(top)
               for name in os.listdir(top))
print(processes, files, os.listdir("."), os.getcwd())
"""
CLEAN = "[] ['/tmp/work'] [] /tmp/work\n"


def docker_unavailable(image: str) -> str | None:
    """Why the Docker tests cannot run here, with what enables them; None when they can."""
    from pytest_recode.execution._docker import docker_client

    try:
        docker_client(image).close()
    except (SandboxError, ResourceMissing) as exc:
        return f"docker: {exc}"
    return None


def skip_without_docker(image: str = "pytest-recode-sandbox:latest") -> None:
    reason = docker_unavailable(image)
    if reason and os.environ.get("RECODE_REQUIRE_DOCKER") == "1":
        pytest.fail(f"RECODE_REQUIRE_DOCKER=1 but {reason}")
    if reason:
        pytest.skip(reason)


def open_or_skip(config: SandboxConfig) -> Sandbox:
    if config.backend == "docker":
        skip_without_docker(config.docker_image)
    return open_sandbox(config)


@pytest.fixture(scope="session", params=BACKENDS)
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """One worker (so that a probe runs where the program ran), short limits."""
    with open_or_skip(SandboxConfig(backend=request.param, workers=1, timeout_s=1.0, memory_mb=256)) as box:
        yield box


@pytest.fixture(scope="session", params=BACKENDS)
def parallel_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """Two workers, default limits."""
    with open_or_skip(SandboxConfig(backend=request.param, workers=2)) as box:
        yield box


@pytest.fixture
def backend(sandbox: Sandbox) -> str:
    return sandbox.config.backend


def host_sandbox_processes() -> list[tuple[int, int]]:
    """(pid, uid) of host processes running as a sandbox child's private user id (200000 and up)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="utf-8") as handle:
                uid = next(int(line.split()[1]) for line in handle if line.startswith("Uid:"))
        except (OSError, StopIteration, ValueError):
            continue
        if uid >= 200000:
            found.append((int(entry), uid))
    return found
