"""The sandbox interface: what running an untrusted program returns, whatever the backend."""

from __future__ import annotations

import abc
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "BACKENDS",
    "CallOutcome",
    "CallsResult",
    "RunResult",
    "Sandbox",
    "SandboxConfig",
    "Status",
    "TestJob",
]

Backend = Literal["local", "docker", "subprocess"]
#: The sandbox backends, by the name options use.
BACKENDS: tuple[Backend, ...] = ("local", "docker", "subprocess")


class Status(str, enum.Enum):
    """How a program's run ended."""

    PASSED = "passed"  #: ran to the end (for tests: every assert held)
    FAILED = "failed"  #: raised an exception, or exited before the end
    TIMEOUT = "timeout"  #: killed at the wall-clock limit
    CRASHED = "crashed"  #: died by a signal or a resource limit
    SANDBOX_ERROR = "sandbox_error"  #: the sandbox failed, not the program

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class SandboxConfig:
    """Settings every backend honours. ``workers=0`` means one worker per CPU core."""

    backend: Backend = "local"
    timeout_s: float = 3.0
    memory_mb: int = 1024
    workers: int = 0
    output_limit_bytes: int = 64 * 1024
    docker_image: str = "pytest-recode-sandbox:latest"


@dataclass(frozen=True)
class TestJob:
    """One program to run against tests: ``check(entry_point)`` runs after ``program`` and ``test``."""

    program: str
    test: str
    entry_point: str


@dataclass(frozen=True)
class RunResult:
    """What one run came to. ``exception_type`` and ``message`` describe a failure."""

    status: Status
    duration_s: float
    exception_type: str | None = None
    message: str = ""
    stdout: str = ""
    stderr: str = ""
    #: Facts about the isolation of this run a user should know (e.g. "no network namespace").
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict of the result (``status`` as its string)."""
        return {
            "status": self.status.value,
            "duration_s": round(self.duration_s, 6),
            "exception_type": self.exception_type,
            "message": self.message,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class CallOutcome:
    """The outcome of one call of the entry point, serialized inside the sandbox.

    ``value`` is a JSON-safe, tagged encoding of the returned object (so that a tuple, a list and a set
    stay distinct and an object cannot lie about its equality); ``exception_type`` is set instead when
    the call raised.
    """

    value: Any = None
    exception_type: str | None = None

    @property
    def raised(self) -> bool:
        return self.exception_type is not None


@dataclass(frozen=True)
class CallsResult:
    """The outcomes of calling the entry point on several inputs, one per input, in order.

    ``status`` is PASSED when the program loaded and every call ran (each may still have raised);
    otherwise it says why no outcomes (or only some) came back.
    """

    status: Status
    duration_s: float
    outcomes: tuple[CallOutcome, ...] = ()
    exception_type: str | None = None
    message: str = ""
    notes: tuple[str, ...] = field(default=())


class Sandbox(abc.ABC):
    """Runs untrusted programs. Use as a context manager, or call :meth:`close`."""

    config: SandboxConfig

    @abc.abstractmethod
    def run(self, program: str, *, timeout: float | None = None) -> RunResult:
        """Run a whole program; PASSED means it reached its end without an uncaught exception."""

    @abc.abstractmethod
    def run_tests(self, program: str, test: str, entry_point: str, *, timeout: float | None = None) -> RunResult:
        """Run ``program``, then ``test``, then ``check(entry_point)``; PASSED means every assert held."""

    def run_many(self, jobs: Sequence[TestJob], *, timeout: float | None = None) -> list[RunResult]:
        """Run several test jobs (backends with several workers run them in parallel), results in order."""
        return [self.run_tests(j.program, j.test, j.entry_point, timeout=timeout) for j in jobs]

    @abc.abstractmethod
    def call(
        self,
        program: str,
        entry_point: str,
        inputs: Sequence[Sequence[Any]],
        *,
        timeout: float | None = None,
    ) -> CallsResult:
        """Run ``program`` and call ``entry_point(*args)`` for each ``args`` in ``inputs``."""

    def close(self) -> None:
        """Release workers and containers. Idempotent."""

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
