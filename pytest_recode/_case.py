"""``RecodeCase``: what a ``@recode_robust`` test receives, one per perturbation of a problem."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ._errors import RobustnessFailure
from ._runner import Evaluated, RecodeContext
from .equivalence import Verdict, compare_test_runs, describe_run
from .problems import Problem
from .transforms import Perturbation

__all__ = ["MODES", "CaseBatch", "CaseOutcome", "Mode", "RecodeCase"]

Mode = Literal["equivalent", "robust_pass"]
#: What ``recode_case.check()`` asserts: the same executed behaviour, or "passes wherever nominal passes".
MODES: tuple[Mode, ...] = ("equivalent", "robust_pass")


@dataclass(frozen=True)
class CaseOutcome:
    """The JSON-safe record of one case, as the plugin reports and aggregates it."""

    task_id: str
    transform: str
    category: str
    seed: int | None
    size: int
    nominal_passed: bool
    perturbed_passed: bool
    equivalent: bool
    #: Whether the nominal prompt is the partial-code variant (the baseline of syntax and format cases).
    partial: bool = False

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaseOutcome:
        return cls(**data)


class CaseBatch:
    """The cases of one problem, evaluated together on first use: one generation call, one execution call."""

    def __init__(self, context: RecodeContext, perturbations: Sequence[Perturbation], replay: str = "") -> None:
        self.context = context
        self.perturbations = tuple(perturbations)
        #: The command that re-runs this problem's item, shown under a failure.
        self.replay = replay
        self._evaluated: dict[Problem, Evaluated] | None = None

    def evaluated(self, problem: Problem) -> Evaluated:
        if self._evaluated is None:
            problems = list(dict.fromkeys(
                p for perturbation in self.perturbations for p in (perturbation.nominal, perturbation.perturbed)
            ))
            self._evaluated = dict(zip(problems, self.context.evaluate(problems)))
        return self._evaluated[problem]

    def cases(self, mode: Mode) -> list[RecodeCase]:
        return [RecodeCase(p, mode, self) for p in self.perturbations]


class RecodeCase:
    """One perturbation of one problem, with the model's completions of both prompts and their runs.

    Completions and runs are computed lazily, for all cases of the problem at once. ``check()`` applies
    the test's mode; ``assert_equivalent()`` and ``assert_robust_pass()`` apply one explicitly.
    """

    def __init__(self, perturbation: Perturbation, mode: Mode, batch: CaseBatch) -> None:
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
        return self._batch.evaluated(self.perturbation.nominal)

    @property
    def perturbed(self) -> Evaluated:
        return self._batch.evaluated(self.perturbation.perturbed)

    @property
    def nominal_completion(self) -> str:
        return self.nominal.completion

    @property
    def perturbed_completion(self) -> str:
        return self.perturbed.completion

    def verdict(self) -> Verdict:
        """Whether both completions behave the same against the tests."""
        return compare_test_runs(self.nominal.result, self.perturbed.result)

    def outcome(self) -> CaseOutcome:
        p = self.perturbation
        return CaseOutcome(
            task_id=p.nominal.task_id,
            transform=p.transform,
            category=p.category,
            seed=p.seed,
            size=p.size,
            nominal_passed=self.nominal.result.passed,
            perturbed_passed=self.perturbed.result.passed,
            equivalent=self.verdict().equivalent,
            partial=p.nominal.partial,
        )

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
            raise RobustnessFailure(self.explain("passes on the nominal prompt but not on the perturbed one"))

    def assert_equivalent(self) -> None:
        """Fail when the two completions do not behave the same against the tests."""
        __tracebackhide__ = True
        if not self.verdict():
            raise RobustnessFailure(self.explain("behaves differently on the perturbed prompt"))

    def explain(self, headline: str) -> str:
        """The failure report: what was perturbed, how both completions fared, the diff and both completions."""
        p = self.perturbation
        seed = f", seed {p.seed}" if p.seed is not None else ""
        return "\n".join([
            f"{p.nominal.task_id} is not robust to {p.transform} ({p.category}{seed}, "
            f"{p.size} edit{'s' if p.size != 1 else ''}): the model {headline}.",
            f"  nominal:   {describe_run(self.nominal.result)}",
            f"  perturbed: {describe_run(self.perturbed.result)}",
            "--- prompt diff (nominal -> perturbed) ---",
            p.prompt_diff().rstrip("\n"),
            "--- nominal completion ---",
            self.nominal.completion.rstrip("\n"),
            "--- perturbed completion ---",
            self.perturbed.completion.rstrip("\n"),
            *([f"Replay: {self._batch.replay}"] if self._batch.replay else []),
        ])
