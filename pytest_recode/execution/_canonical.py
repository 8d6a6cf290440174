"""Checking that each problem's canonical solution passes its own tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..problems import Problem
from ._api import RunResult, Sandbox, TestJob

__all__ = ["CanonicalCheck", "check_canonical"]


@dataclass(frozen=True)
class CanonicalCheck:
    """The outcome of running every canonical solution of a dataset against its tests."""

    results: tuple[tuple[Problem, RunResult], ...]

    @property
    def passed(self) -> tuple[Problem, ...]:
        return tuple(p for p, r in self.results if r.passed)

    @property
    def failed(self) -> tuple[tuple[Problem, RunResult], ...]:
        return tuple((p, r) for p, r in self.results if not r.passed)

    def summary(self) -> str:
        """``N problems, P canonical solutions pass, F fail``."""
        return f"{len(self.results)} problems, {len(self.passed)} canonical solutions pass, {len(self.failed)} fail"


def check_canonical(problems: Sequence[Problem], sandbox: Sandbox) -> CanonicalCheck:
    """Run ``prompt + canonical_solution`` of every problem against its tests, in the sandbox."""
    jobs = [TestJob(p.reference_program, p.test, p.entry_point) for p in problems]
    results = sandbox.run_many(jobs)
    return CanonicalCheck(tuple(zip(problems, results)))
