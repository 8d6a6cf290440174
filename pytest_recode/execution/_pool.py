"""A sandbox backed by a pool of workers: the local, subprocess and Docker backends differ only in how a
worker is started (a :class:`Transport` factory).

Workers start lazily, all at once, on first use. A job goes to an idle worker; ``run_many``/``call_many``
keep every worker busy. A worker that dies or stops answering is replaced and the job retried once on the
new one; a job that loses two workers comes back as ``sandbox_error``. A worker that says a program left
something behind it cannot clear (``recycle``) is replaced before it runs another job; a job that was
already on its way to it runs again on the new one.
"""

from __future__ import annotations

import collections
import itertools
import queue
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .._errors import InvalidArgument, SandboxError
from ._api import CallJob, CallOutcome, CallsResult, RunResult, Sandbox, SandboxConfig, Status, TestJob
from ._host import WorkerLost
from ._serialize import EncodeError, encode

__all__ = ["PoolSandbox", "Transport"]

_STARTUP_S = 60.0  # a cold interpreter on a busy machine, or a container start
_GRACE_S = 10.0  # beyond the job's own timeout, before the host gives up on a worker
_EMPTY = object()  # an idle-queue entry: a slot without a running worker
_ATTEMPTS = 2  # workers a job may lose before it counts as a sandbox error
_PIPELINE_BYTES = 48 * 1024  # a job this small queues in a worker's pipe without blocking the sender


class Transport(Protocol):
    def send(self, job: dict[str, Any]) -> None:
        """Start ``job`` (or queue it: a transport may run it only when asked for its answer)."""

    def receive(self, deadline: float) -> dict[str, Any]:
        """The answer to the oldest job sent and not answered (the first call: the worker's ready frame)."""

    def diagnostics(self) -> str: ...
    def close(self, *, kill: bool = False) -> None: ...


class _Recycle(Exception):
    """The worker asked to be replaced after the job it answered (and ran no job after it)."""


class _Worker:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.jobs = 0
        ready = transport.receive(time.monotonic() + _STARTUP_S)
        if not ready.get("ready"):
            raise WorkerLost(f"the worker did not start: {ready!r:.300}")
        self.mode = str(ready.get("mode", "?"))
        self.notes = tuple(ready.get("notes", ()))

    def send(self, job: dict[str, Any]) -> None:
        self.jobs += 1
        self.transport.send(job)

    def receive(self, job: dict[str, Any], grace_s: float) -> dict[str, Any]:
        """The answer to ``job``, the oldest job this worker has not answered yet."""
        response = self.transport.receive(time.monotonic() + job["timeout"] + grace_s)
        if response.get("id") != job["id"]:
            raise WorkerLost("the worker answered another job")
        return response


class PoolSandbox(Sandbox):
    """Runs jobs on ``config.worker_count`` workers made by ``start_worker``.

    ``jobs_per_worker=1`` gives every job a fresh worker (the subprocess backend).
    """

    def __init__(self, config: SandboxConfig, start_worker: Callable[[], Transport], *,
                 jobs_per_worker: int | None = None, notes: Sequence[str] = ()) -> None:
        self.config = config
        self._start_worker = start_worker
        self._jobs_per_worker = jobs_per_worker
        self._extra_notes = tuple(notes)
        self._idle: queue.SimpleQueue[_Worker | object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self._ids = itertools.count(1)
        self._workers: set[_Worker] = set()
        self._finalizer = weakref.finalize(self, _close_all, self._workers)
        #: How long past a job's timeout the host waits for a worker before replacing it.
        self.grace_s = _GRACE_S

    # -- workers ---------------------------------------------------------------------------------------
    def _new_worker(self) -> _Worker:
        transport = self._start_worker()
        try:
            worker = _Worker(transport)
        except WorkerLost as exc:
            detail = transport.diagnostics()
            transport.close()
            raise SandboxError(f"a {self.config.backend} sandbox worker failed to start: {exc}"
                               + (f"\n{detail}" if detail else "")) from None
        with self._lock:
            self._workers.add(worker)
        return worker

    def _drop(self, worker: _Worker, *, kill: bool = False) -> None:
        with self._lock:
            self._workers.discard(worker)
        worker.transport.close(kill=kill)

    def _ensure_started(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        for _ in range(self.config.worker_count):
            self._idle.put(_EMPTY)  # a slot whose worker starts when a job first needs it

    def _acquire(self) -> _Worker:
        item = self._idle.get()
        if self._closed:
            self._idle.put(item)  # wake the next waiter, which will see the same
            raise SandboxError("the sandbox is closed; open a new one")
        if item is _EMPTY:
            try:
                return self._new_worker()
            except BaseException:
                self._idle.put(_EMPTY)
                raise
        return item  # type: ignore[return-value]

    @property
    def notes(self) -> tuple[str, ...]:
        """What the running workers say about their isolation."""
        with self._lock:
            workers = list(self._workers)
        return self._extra_notes + (workers[0].notes if workers else ())

    # -- one job ---------------------------------------------------------------------------------------
    def _job(self, kind: str, timeout: float | None, **fields: Any) -> dict[str, Any]:
        limit = self.config.timeout_s if timeout is None else timeout
        if not limit > 0:
            raise InvalidArgument(f"timeout={timeout!r}: expected a positive number of seconds.")
        config = self.config
        return {"op": "job", "kind": kind, "timeout": float(limit), "memory_mb": config.memory_mb,
                "output_limit": config.output_limit_bytes, "value_limit": config.value_limit_bytes,
                "max_processes": config.max_processes, "file_size_mb": config.file_size_mb, **fields}

    def _lost(self, worker: _Worker, exc: WorkerLost) -> str:
        """Replace a worker that failed; what went wrong, for the message of a job that cannot be run."""
        detail = worker.transport.diagnostics()
        self._drop(worker, kill=True)
        self._idle.put(_EMPTY)
        return f"{exc}" + (f" ({detail.splitlines()[-1]})" if detail else "")

    def _frame(self, job: dict[str, Any]) -> dict[str, Any]:
        job["id"] = next(self._ids)
        return job

    def _answer(self, response: dict[str, Any], worker: _Worker) -> dict[str, Any]:
        response["notes"] = list(self._extra_notes) + list(worker.notes) + list(response.get("notes", ()))
        return response

    def _execute(self, job: dict[str, Any]) -> dict[str, Any]:
        self._ensure_started()
        failures = []
        for _ in range(_ATTEMPTS):
            worker = self._acquire()
            try:
                worker.send(self._frame(job))
                response = worker.receive(job, self.grace_s)
            except WorkerLost as exc:
                failures.append(self._lost(worker, exc))
                continue
            except BaseException:
                self._drop(worker, kill=True)  # e.g. KeyboardInterrupt mid-job: its state is unknown
                self._idle.put(_EMPTY)
                raise
            if response.get("recycle") or (self._jobs_per_worker is not None
                                           and worker.jobs >= self._jobs_per_worker):
                self._drop(worker, kill=bool(response.get("recycle")))
                self._idle.put(_EMPTY)
            else:
                self._idle.put(worker)
            return self._answer(response, worker)
        return _lost_twice(failures)

    def _drain(self, jobs: list[dict[str, Any]], results: list[Any], take: Callable[[], int | None]) -> None:
        """Run jobs on one worker until none are left; a job whose worker dies goes to the next worker."""
        retry: collections.deque[int] = collections.deque()
        failures: dict[int, list[str]] = collections.defaultdict(list)

        def next_index() -> int | None:
            return retry.popleft() if retry else take()

        while True:
            worker = self._acquire()
            in_flight: collections.deque[int] = collections.deque()
            try:
                self._pump(worker, jobs, results, next_index, in_flight, retry)
            except WorkerLost as exc:
                message = self._lost(worker, exc)
                for index in in_flight:
                    failures[index].append(message)
                    if len(failures[index]) >= _ATTEMPTS:
                        results[index] = _lost_twice(failures[index])
                    else:
                        retry.append(index)
                continue
            except _Recycle:
                self._drop(worker, kill=True)
                self._idle.put(_EMPTY)
                retry.extendleft(reversed(in_flight))  # never run there: no attempt lost
                continue
            except BaseException:
                self._drop(worker, kill=True)
                self._idle.put(_EMPTY)
                raise
            self._idle.put(worker)
            return

    def _pump(self, worker: _Worker, jobs: list[dict[str, Any]], results: list[Any],
              next_index: Callable[[], int | None], in_flight: collections.deque[int],
              retry: collections.deque[int]) -> None:
        # Send the next job before the current one's answer is back (when it is small enough to wait in
        # the worker's pipe without blocking us), so the worker never waits for this process.
        while True:
            while len(in_flight) < 2:
                index = next_index()
                if index is None:
                    break
                frame = self._frame(jobs[index])
                if in_flight and len(frame["program"]) + len(frame.get("test") or "") > _PIPELINE_BYTES:
                    retry.appendleft(index)
                    break
                in_flight.append(index)
                worker.send(frame)
            if not in_flight:
                return
            head = in_flight[0]
            response = worker.receive(jobs[head], self.grace_s)
            in_flight.popleft()
            results[head] = self._answer(response, worker)
            if response.get("recycle"):
                raise _Recycle

    def _map(self, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not jobs:
            return []
        self._ensure_started()
        if self._jobs_per_worker is not None:  # a fresh worker per job: nothing to pipeline
            return self._map_each(jobs)
        results: list[dict[str, Any] | None] = [None] * len(jobs)
        order = iter(range(len(jobs)))
        lock = threading.Lock()

        def take() -> int | None:
            with lock:
                return next(order, None)

        self._in_threads(lambda: self._drain(jobs, results, take), min(self.config.worker_count, len(jobs)))
        return results  # type: ignore[return-value]

    def _map_each(self, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results: list[dict[str, Any] | None] = [None] * len(jobs)
        order = iter(range(len(jobs)))
        lock = threading.Lock()

        def drain() -> None:
            while True:
                with lock:
                    index = next(order, None)
                if index is None:
                    return
                results[index] = self._execute(jobs[index])

        self._in_threads(drain, min(self.config.worker_count, len(jobs)))
        return results  # type: ignore[return-value]

    @staticmethod
    def _in_threads(target: Callable[[], None], count: int) -> None:
        errors: list[BaseException] = []

        def guarded() -> None:
            try:
                target()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                errors.append(exc)

        threads = [threading.Thread(target=guarded, daemon=True) for _ in range(count - 1)]
        for thread in threads:
            thread.start()
        guarded()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    # -- the Sandbox interface -------------------------------------------------------------------------
    def run(self, program: str, *, timeout: float | None = None) -> RunResult:
        return _run_result(self._execute(self._job("run", timeout, program=_text("program", program))))

    def run_tests(self, program: str, test: str, entry_point: str, *, timeout: float | None = None) -> RunResult:
        job = self._tests_job(TestJob(program, test, entry_point), timeout)
        return _run_result(self._execute(job))

    def run_many(self, jobs: Sequence[TestJob], *, timeout: float | None = None) -> list[RunResult]:
        return [_run_result(r) for r in self._map([self._tests_job(j, timeout) for j in jobs])]

    def call(self, program: str, entry_point: str, inputs: Sequence[Sequence[Any]], *,
             timeout: float | None = None) -> CallsResult:
        return self.call_many([CallJob(program, entry_point, tuple(tuple(a) for a in inputs))], timeout=timeout)[0]

    def call_many(self, jobs: Sequence[CallJob], *, timeout: float | None = None) -> list[CallsResult]:
        return [_calls_result(r) for r in self._map([self._call_job(j, timeout) for j in jobs])]

    def _tests_job(self, job: TestJob, timeout: float | None) -> dict[str, Any]:
        return self._job("tests", timeout, program=_text("program", job.program), test=_text("test", job.test),
                         entry_point=_text("entry_point", job.entry_point))

    def _call_job(self, job: CallJob, timeout: float | None) -> dict[str, Any]:
        if job.encoded_inputs is not None and len(job.encoded_inputs) == len(job.inputs):
            inputs = list(job.encoded_inputs)
        else:
            try:
                inputs = [encode(list(args), strict=True) for args in job.inputs]
            except (EncodeError, TypeError) as exc:
                raise InvalidArgument(f"inputs={job.inputs!r:.200}: {exc}") from None
        return self._job("call", timeout, program=_text("program", job.program),
                         entry_point=_text("entry_point", job.entry_point), inputs=inputs,
                         call_timeout=float(job.call_timeout) if job.call_timeout is not None else None,
                         call_cpu_timeout=(float(job.call_cpu_timeout) if job.call_cpu_timeout is not None
                                           else None),
                         batch_reports=job.batch_reports is True,
                         line_budget=job.line_budget)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._idle.put(_EMPTY)  # wakes anyone waiting for a worker
        self._finalizer()


def _lost_twice(failures: list[str]) -> dict[str, Any]:
    return {"status": "sandbox_error", "duration_s": 0.0, "exception_type": "WorkerLost",
            "message": "the sandbox lost its worker twice on this job: " + "; ".join(failures)}


def _close_all(workers: set[_Worker]) -> None:
    for worker in list(workers):
        worker.transport.close()
    workers.clear()


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(f"{name}={value!r:.80}: expected the source text as a str, got {type(value).__name__}.")
    return value


def _common(response: dict[str, Any]) -> dict[str, Any]:
    """The fields of a result, each of its exact built-in type whatever the response held."""
    try:
        status = Status(response.get("status"))
    except ValueError:
        status = Status.SANDBOX_ERROR
    duration = response.get("duration_s")
    notes = response.get("notes")
    return {"status": status,
            "duration_s": float(duration) if type(duration) in (int, float) and duration >= 0 else 0.0,
            "exception_type": _exact_text(response.get("exception_type"), None),
            "message": _exact_text(response.get("message")), "stdout": _exact_text(response.get("stdout")),
            "stderr": _exact_text(response.get("stderr")),
            "notes": tuple(str.__str__(n) for n in notes if isinstance(n, str)) if type(notes) is list else (),
            "traceback": _exact_text(response.get("traceback"))}


def _exact_text(value: Any, default: Any = "") -> Any:
    return str.__str__(value) if isinstance(value, str) else default


def _run_result(response: dict[str, Any]) -> RunResult:
    return RunResult(**_common(response))


def _calls_result(response: dict[str, Any]) -> CallsResult:
    outcomes = response.get("outcomes")
    outcomes = tuple(CallOutcome(o.get("value"), _exact_text(o.get("exception_type"), None),
                                 _exact_text(o.get("message")), o.get("after"),
                                 o["duration_s"] if type(o.get("duration_s")) is float else 0.0,
                                 o.get("timed_out") is True, o["cost"] if type(o.get("cost")) is int else None)
                     for o in (outcomes if type(outcomes) is list else ()) if type(o) is dict)
    return CallsResult(outcomes=outcomes, **_common(response))
