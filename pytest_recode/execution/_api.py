"""The sandbox interface: what running an untrusted program returns, whatever the backend."""

from __future__ import annotations

import abc
import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .._errors import InvalidArgument
from .._platform import available_cores

__all__ = [
    "BACKENDS",
    "ISOLATION_MODES",
    "CallJob",
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
#: How far the local worker isolates programs: "auto" takes the strongest the system allows.
ISOLATION_MODES = ("auto", "namespaces", "userns", "plain")


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
    """Settings every backend honours. ``workers=0`` means one worker per CPU core.

    ``timeout_s`` is the wall-clock limit of one program (all its tests, or all its calls); ``memory_mb``
    its address-space limit; ``output_limit_bytes`` how much of stdout and of stderr is kept;
    ``value_limit_bytes`` the largest encoded return value of one call; ``max_processes`` and
    ``file_size_mb`` bound what a program may fork and write; ``isolation`` picks the local worker's
    isolation (see :data:`ISOLATION_MODES`; "auto" is the strongest available).
    """

    backend: Backend = "local"
    timeout_s: float = 3.0
    memory_mb: int = 1024
    workers: int = 0
    output_limit_bytes: int = 64 * 1024
    docker_image: str = "pytest-recode-sandbox:latest"
    value_limit_bytes: int = 8 * 1024 * 1024
    max_processes: int = 64
    file_size_mb: int = 16
    isolation: str = "auto"

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise InvalidArgument(f"backend={self.backend!r}: expected one of {', '.join(BACKENDS)}.")
        if self.isolation not in ISOLATION_MODES:
            raise InvalidArgument(f"isolation={self.isolation!r}: expected one of {', '.join(ISOLATION_MODES)}.")
        if not self.timeout_s > 0:
            raise InvalidArgument(f"timeout_s={self.timeout_s!r}: expected a positive number of seconds.")
        for name, low in (("memory_mb", 64), ("workers", 0), ("output_limit_bytes", 0), ("value_limit_bytes", 1024),
                          ("max_processes", 1), ("file_size_mb", 0)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise InvalidArgument(f"{name}={value!r}: expected an int of at least {low}.")

    @property
    def worker_count(self) -> int:
        """How many workers run programs in parallel (``workers``, or one per usable CPU core)."""
        return self.workers or available_cores()


@dataclass(frozen=True)
class TestJob:
    """One program to run against tests: ``check(entry_point)`` runs after ``program`` and ``test``."""

    __test__ = False  # not a pytest test class, whatever its name

    program: str
    test: str
    entry_point: str


@dataclass(frozen=True)
class CallJob:
    """One program whose ``entry_point`` is called on each argument tuple of ``inputs``.

    ``encoded_inputs``, where given, is ``inputs`` already encoded (``encode_value(list(args), strict=True)``
    for each): a caller that calls many programs on the same inputs encodes them once.
    """

    program: str
    entry_point: str
    inputs: tuple[tuple[Any, ...], ...]
    encoded_inputs: tuple[Any, ...] | None = field(default=None, compare=False, repr=False)
    #: Seconds each call may take (best effort, inside the program's process: a call past it is an outcome
    #: with ``timed_out`` and the next call runs, until a second call ran past it: the calls after that are
    #: not made, and no outcome comes back for them); None: only the job's own limit.
    call_timeout: float | None = None
    #: Most Python lines each call may run (counted by a trace function, which slows calls several times):
    #: a call past it is stopped like one past ``call_timeout``; each outcome then says its ``cost``. A
    #: measure of work that does not depend on the machine's speed. None: not counted.
    line_budget: int | None = None
    #: CPU seconds each call may use (the program's process's user and system time), counted like
    #: ``call_timeout``, which still stops a call that waits without computing. A machine busy with other
    #: work stretches a call's wall-clock time, not its CPU time, so this limit can be much tighter. None:
    #: not limited.
    call_cpu_timeout: float | None = None
    #: Calls that end quickly report in batches, in one write each: cheaper for many quick calls. The price:
    #: where the program's process dies (a crash, or the job's own time limit), the reports it held die with
    #: it, so the outcomes end at the last batch and the call after them is not necessarily the one that was
    #: running (run those calls again without batches to know). Calls that take a millisecond or more, and
    #: calls past ``call_timeout`` or ``call_cpu_timeout``, report at once.
    batch_reports: bool = False

    def __post_init__(self) -> None:
        if self.line_budget is not None and not (isinstance(self.line_budget, int) and self.line_budget > 0):
            raise InvalidArgument(f"line_budget={self.line_budget!r}: expected a positive number of lines.")
        if self.call_timeout is not None and not (isinstance(self.call_timeout, (int, float))
                                                  and self.call_timeout > 0):
            raise InvalidArgument(f"call_timeout={self.call_timeout!r}: expected a positive number of seconds.")
        if self.call_cpu_timeout is not None and not (isinstance(self.call_cpu_timeout, (int, float))
                                                      and self.call_cpu_timeout > 0):
            raise InvalidArgument(f"call_cpu_timeout={self.call_cpu_timeout!r}: expected a positive number of "
                                  "CPU seconds.")


@dataclass(frozen=True)
class RunResult:
    """What one run came to. ``exception_type`` and ``message`` describe a failure, ``traceback`` where."""

    status: Status
    duration_s: float
    exception_type: str | None = None
    message: str = ""
    stdout: str = ""
    stderr: str = ""
    #: Facts about the isolation of this run a user should know (e.g. "no network namespace").
    notes: tuple[str, ...] = ()
    traceback: str = ""

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
            "traceback": self.traceback,
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
    #: The exception's message (for reports; compare outcomes by ``value`` and ``exception_type``).
    message: str = ""
    #: The positional arguments as the call left them, encoded like ``value``, where the call changed them
    #: (None where it changed none).
    arguments_after: Any = None
    #: How long the call took, as the program's process measured it (to choose inputs by, never to judge).
    duration_s: float = field(default=0.0, compare=False)
    #: The call ran past the job's ``call_timeout``, ``call_cpu_timeout`` or ``line_budget`` (and was stopped
    #: there).
    timed_out: bool = False
    #: Python lines the call ran, where the job had a ``line_budget``; None otherwise.
    cost: int | None = field(default=None, compare=False)

    @property
    def raised(self) -> bool:
        return self.exception_type is not None

    def decoded(self) -> Any:
        """The returned value as Python data (see :mod:`pytest_recode.execution._serialize`)."""
        from ._serialize import decode

        return decode(self.value)


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
    stdout: str = ""
    stderr: str = ""
    traceback: str = ""

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED


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

    def call_many(self, jobs: Sequence[CallJob], *, timeout: float | None = None) -> list[CallsResult]:
        """:meth:`call` for several programs (in parallel where the backend can), results in order."""
        return [self.call(j.program, j.entry_point, j.inputs, timeout=timeout) for j in jobs]

    @abc.abstractmethod
    def call(
        self,
        program: str,
        entry_point: str,
        inputs: Sequence[Sequence[Any]],
        *,
        timeout: float | None = None,
    ) -> CallsResult:
        """Run ``program`` and call ``entry_point(*args)`` for each ``args`` in ``inputs``.

        Each call's return value is encoded inside the sandbox (:mod:`._serialize`); ``timeout`` bounds
        the whole: on a timeout or crash the outcomes of the calls that finished still come back.
        """

    def close(self) -> None:
        """Release workers and containers. Idempotent."""

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
