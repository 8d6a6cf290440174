"""``RecodeCase``: what a ``@recode_robust`` test receives, one per perturbation of a problem."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import pytest

from .._errors import RobustnessFailure
from ..equivalence import describe_run

if TYPE_CHECKING:
    from ..equivalence import Verdict
    from ..pipeline import CaseBatch, Evaluated
    from ..problems import Problem
    from ..strategies import AnyPerturbation

__all__ = ["MODES", "Mode", "RecodeCase"]

Mode = Literal["equivalent", "robust_pass"]
#: What ``recode_case.check()`` asserts: the same executed behaviour, or "passes wherever nominal passes".
MODES: tuple[Mode, ...] = ("equivalent", "robust_pass")


class RecodeCase:
    """One perturbation of one problem, with the model's completions of both prompts and their runs.

    The test is called only on cases whose nominal completion passes its tests. ``check()`` applies the
    test's mode; ``assert_equivalent()`` and ``assert_robust_pass()`` apply one explicitly; ``verdict()``
    is the equivalence verdict itself.
    """

    def __init__(self, perturbation: AnyPerturbation, batch: CaseBatch, mode: Mode = "equivalent") -> None:
        self.perturbation = perturbation
        self.mode = mode
        self._batch = batch

    def __repr__(self) -> str:
        return f"RecodeCase({self.problem.task_id}, {self.perturbation.describe()})"

    # -- what the case is -----------------------------------------------------------------------------
    @property
    def problem(self) -> Problem:
        """The nominal problem (the partial-code variant for syntax and format transforms)."""
        return self.perturbation.nominal

    @property
    def perturbed_problem(self) -> Problem:
        return self.perturbation.perturbed

    @property
    def nominal_prompt(self) -> str:
        return self.perturbation.nominal.prompt

    @property
    def perturbed_prompt(self) -> str:
        return self.perturbation.perturbed.prompt

    # -- what the model did -------------------------------------------------------------------------
    @property
    def nominal(self) -> Evaluated:
        return self._batch.nominal(self.perturbation)

    @property
    def perturbed(self) -> Evaluated:
        return self._batch.perturbed(self.perturbation)

    @property
    def nominal_completion(self) -> str:
        return self.nominal.completion

    @property
    def perturbed_completion(self) -> str:
        return self.perturbed.completion

    def verdict(self) -> Verdict:
        """Whether both completions compute the same on the problem's inputs (judged for every case of the
        batch at once): see :class:`pytest_recode.Verdict`."""
        return self._batch.verdict(self.perturbation)

    # -- assertions ---------------------------------------------------------------------------------
    def check(self) -> None:
        """Apply the mode the test was declared with."""
        __tracebackhide__ = True
        if self.mode == "robust_pass":
            self.assert_robust_pass()
        else:
            self.assert_equivalent()

    def assert_robust_pass(self) -> None:
        """Fail when the perturbed completion fails its tests where the nominal one passes."""
        __tracebackhide__ = True
        if self.nominal.result.passed and not self.perturbed.result.passed:
            raise RobustnessFailure(self._explain("passes on the nominal prompt but not on the perturbed one"))

    def assert_equivalent(self) -> None:
        """Fail when the two completions compute different things on some input. A case whose nominal
        completion is itself broken, or where nothing could be compared, is skipped: there is nothing to hold
        the perturbed completion to."""
        __tracebackhide__ = True
        verdict = self.verdict()
        if verdict.kind in ("nominal_broken", "undecided"):
            pytest.skip(f"{self.problem.task_id}: {verdict.kind}: {verdict.reason}")
        if verdict.kind != "equivalent":
            raise RobustnessFailure("\n".join([
                "the model computes something else on the perturbed prompt: its completion "
                + verdict.describe(),
                f"  (its tests: nominal {describe_run(self.nominal.result)}, "
                f"perturbed {describe_run(self.perturbed.result)})",
            ]))

    def _explain(self, headline: str, detail: str = "") -> str:
        lines = [
            f"the model {headline}.",
            f"  nominal:   {describe_run(self.nominal.result)}",
            f"  perturbed: {describe_run(self.perturbed.result)}",
        ]
        if detail and detail not in "\n".join(lines):
            lines.append(detail)
        return "\n".join(lines)
