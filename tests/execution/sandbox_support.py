"""Helpers shared by the execution tests (a module of its own: test modules cannot import from conftest,
whose module name every test directory's conftest shares)."""

from __future__ import annotations

import os

import pytest

from pytest_recode import ResourceMissing, SandboxError
from pytest_recode.equivalence import describe_run
from pytest_recode.execution import RunResult, Sandbox, SandboxConfig, Status, open_sandbox

BACKENDS = [pytest.param("local", id="local"), pytest.param("docker", id="docker", marks=pytest.mark.docker)]

#: A probe run after hostile programs: every process but the worker, the judge and itself, every file left
#: behind. The judge is the oldest process besides the worker (it outlives every program: anything a program
#: left behind is younger).
LEFTOVERS_PROBE = """\
import os
me = os.getpid()
def started(pid):
    return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[19])
others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]
judge = min(others, key=started, default=None)
processes = sorted(p for p in others if p != judge)
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


def assert_exact_types(result: RunResult) -> None:
    """Every field of ``result`` of its exact built-in type (a program can make its message a ``str``
    subclass, or forge a frame whose fields are anything), and ``describe_run`` works on it."""
    assert type(result.status) is Status and type(result.duration_s) is float
    assert result.exception_type is None or type(result.exception_type) is str
    assert all(type(getattr(result, name)) is str for name in ("message", "stdout", "stderr", "traceback"))
    assert type(result.notes) is tuple and all(type(note) is str for note in result.notes)
    assert type(describe_run(result)) is str
