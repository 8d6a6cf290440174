"""The coarse comparison: how two completions fared against the problem's own tests (the same status and,
for failures, the same exception type). What the plugin judged by before outputs were compared; kept to
measure against (``bench/equivalence.py``) and to describe a test run in one line."""

from __future__ import annotations

from dataclasses import dataclass

from ..execution import RunResult

__all__ = ["RunComparison", "compare_test_runs", "describe_run"]


@dataclass(frozen=True)
class RunComparison:
    """Whether two runs behave the same; ``reason`` says how they differ when they do not."""

    equivalent: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.equivalent


def describe_run(result: RunResult) -> str:
    """``passed``, or the status with the exception and its message, on one line."""
    if result.passed:
        return "passed"
    detail = result.exception_type or ""
    if result.message:
        first_line = result.message.strip().splitlines()[0] if result.message.strip() else ""
        detail = f"{detail}: {first_line}" if detail else first_line
    return f"{result.status.value} ({detail})" if detail else result.status.value


def compare_test_runs(nominal: RunResult, perturbed: RunResult) -> RunComparison:
    """Same status, and for failures the same exception type, against the same tests."""
    if nominal.status != perturbed.status:
        return RunComparison(False, f"nominal {describe_run(nominal)}, perturbed {describe_run(perturbed)}")
    if not nominal.passed and nominal.exception_type != perturbed.exception_type:
        return RunComparison(False, f"both fail, differently: nominal {describe_run(nominal)}, "
                              f"perturbed {describe_run(perturbed)}")
    return RunComparison(True)
