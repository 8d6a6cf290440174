"""Calling programs' entry points on many inputs in the sandbox: one call job per program, and another
round for the inputs after one that ran out of time or took the process down."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..execution import CallJob, CallsResult, Sandbox, Status
from ._outcomes import Outcome

__all__ = ["LOADING", "CallPlan", "call_all"]

#: How the message of every outcome of a program that did not load begins.
LOADING = "while loading the program"

#: Calls after a timeout or a crash are tried again in another round, at most this many times, and only
#: while rounds make progress (a round where no call returned or raised ends the tries: a program that loops
#: on every input costs one time limit, not one per input); the rest count as not run.
ROUNDS = 3


@dataclass(frozen=True)
class CallPlan:
    """One program, the function to call in it, and the argument tuples to call it on; ``timeout`` (seconds
    for all the calls) where it should not be the sandbox's own limit."""

    program: str
    entry_point: str
    inputs: tuple[tuple[Any, ...], ...]
    timeout: float | None = None
    #: ``inputs`` already encoded for the sandbox (see ``CallJob.encoded_inputs``), or None.
    encoded: tuple[Any, ...] | None = None
    #: Seconds each call may take, CPU seconds, and Python lines (see ``CallJob``).
    call_timeout: float | None = None
    line_budget: int | None = None
    call_cpu_timeout: float | None = None


def call_all(sandbox: Sandbox, plans: Sequence[CallPlan]) -> list[tuple[Outcome, ...]]:
    """Every plan's outcomes, one per input, in order: every program in one ``call_many`` per round (per
    time limit).

    Calls report in batches (``CallJob.batch_reports``) until a program's process dies: the calls after its
    last batch then run again, each reporting at once, so that the outcomes say which call took it down. That
    pass is not one of the :data:`ROUNDS`.
    """
    done: list[list[Outcome]] = [[] for _ in plans]
    batched = [True] * len(plans)
    rounds = [0] * len(plans)  # each plan's rounds so far
    pending = [i for i, plan in enumerate(plans) if plan.inputs]
    while pending:
        jobs = [CallJob(plans[i].program, plans[i].entry_point, plans[i].inputs[len(done[i]):],
                        plans[i].encoded[len(done[i]):] if plans[i].encoded is not None else None,
                        call_timeout=plans[i].call_timeout, line_budget=plans[i].line_budget,
                        call_cpu_timeout=plans[i].call_cpu_timeout, batch_reports=batched[i]) for i in pending]
        results = _call_many(sandbox, jobs, [plans[i].timeout for i in pending])
        still: list[int] = []
        for i, job, result in zip(pending, jobs, results):
            if job.batch_reports and result.status is not Status.PASSED and len(result.outcomes) < len(job.inputs) \
                    and not _did_not_load(result):
                done[i].extend(Outcome.from_call(call) for call in result.outcomes)
                batched[i] = False
                still.append(i)
                continue
            rounds[i] += 1
            outcomes = _outcomes(result, len(job.inputs))
            if (plans[i].call_timeout or plans[i].call_cpu_timeout) is not None \
                    and result.status is Status.TIMEOUT and len(outcomes) > 1:
                # With a limit per call, the job's own limit ends a job whose calls are many or slow, not the
                # call then running: that call is tried again, first in the next round.
                outcomes = outcomes[:-1]
            done[i].extend(outcomes)
            if len(done[i]) < len(plans[i].inputs):
                if rounds[i] <= ROUNDS and any(o.kind in ("returned", "raised") for o in outcomes):
                    still.append(i)
                else:
                    done[i].extend(Outcome("not_run", message="earlier calls ran out of time or crashed")
                                   for _ in range(len(plans[i].inputs) - len(done[i])))
        pending = still
    return [tuple(outcomes) for outcomes in done]


def _did_not_load(result: CallsResult) -> bool:
    """Whether the program certainly failed before its first call: an exception while loading (an exit, or
    a death, may also have come in a call whose report was held)."""
    return result.status is Status.FAILED and not result.outcomes and result.exception_type not in (None, "SystemExit")


def _call_many(sandbox: Sandbox, jobs: list[CallJob], timeouts: list[float | None]) -> list[CallsResult]:
    """``sandbox.call_many`` once per distinct time limit, results in the jobs' order."""
    results: list[CallsResult | None] = [None] * len(jobs)
    for timeout in dict.fromkeys(timeouts):
        indices = [i for i, t in enumerate(timeouts) if t == timeout]
        for i, result in zip(indices, sandbox.call_many([jobs[i] for i in indices], timeout=timeout)):
            results[i] = result
    return [r for r in results if r is not None]


def _outcomes(result: CallsResult, count: int) -> list[Outcome]:
    """What one call job's result says of its inputs: every call that ended, then the call that was running
    when the program ran out of time or crashed; the rest are left for the next round. A program that does not
    load raises its error on every input."""
    outcomes = [Outcome.from_call(call) for call in result.outcomes[:count]]
    if result.status is Status.PASSED or len(outcomes) >= count:
        return outcomes + [Outcome("not_run", message="no outcome came back")] * (count - len(outcomes))
    if result.status is Status.TIMEOUT:
        return [*outcomes, Outcome("timeout", message=result.message)]
    if result.status is Status.FAILED and not result.outcomes:  # it did not load (or exited while loading)
        first = result.message.strip().splitlines()[0] if result.message.strip() else ""
        failure = Outcome("raised", exception_type=result.exception_type or "Exception",
                          message=f"{LOADING}: {first}" if first else LOADING)
        return [failure] * count
    if result.status in (Status.CRASHED, Status.FAILED):  # the call took its process down (or ended it)
        return [*outcomes, Outcome("crashed", message=result.message or (result.exception_type or ""))]
    # The sandbox failed: this call, and the rest, did not run.
    return outcomes + [Outcome("not_run", message=f"{result.status.value}: {result.message}".strip())] * (
        count - len(outcomes))
