"""Cases evaluated in batches: a set of perturbations costs one generation call and one execution call.

A :class:`CaseBatch` takes perturbations of problems (single transforms or compositions: anything with a
``nominal`` and a ``perturbed`` problem), completes every distinct prompt among them in one engine call and
runs every distinct program in one sandbox call, the first time any of them is looked at. Equivalence
verdicts are judged the same way, for the whole batch at once, when the first one is asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ..execution import Status
from ..metrics import CaseOutcome
from ..problems import Problem
from ._context import Evaluated, RecodeContext

if TYPE_CHECKING:
    from ..equivalence import Verdict

__all__ = ["CaseBatch", "PerturbationLike"]


class PerturbationLike(Protocol):
    """What a batch needs of a perturbation: a :class:`~pytest_recode.Perturbation` or a composition."""

    transform: str
    category: str
    nominal: Problem
    perturbed: Problem

    @property
    def size(self) -> int: ...

    @property
    def seed(self) -> int | None: ...

    def prompt_diff(self) -> str: ...


class CaseBatch:
    """Perturbations evaluated together (see the module docstring)."""

    def __init__(self, context: RecodeContext, perturbations: Sequence[Any],
                 evaluated: Mapping[Problem, Evaluated] | None = None) -> None:
        """``evaluated``: the batch's problems already completed and run (by a caller that does both steps
        itself, e.g. to report progress between them); otherwise done on first use."""
        self.context = context
        self.perturbations: tuple[Any, ...] = tuple(perturbations)
        self._evaluated: dict[Problem, Evaluated] | None = None if evaluated is None else dict(evaluated)
        self._verdicts: dict[tuple[Problem, Problem], Verdict] | None = None

    def __len__(self) -> int:
        return len(self.perturbations)

    def _problems(self) -> list[Problem]:
        return list(dict.fromkeys(p for x in self.perturbations for p in (x.nominal, x.perturbed)))

    def evaluate(self) -> None:
        """Complete and run everything in the batch now (otherwise done on first use)."""
        if self._evaluated is None:
            problems = self._problems()
            self._evaluated = dict(zip(problems, self.context.evaluate(problems)))

    def evaluated(self, problem: Problem) -> Evaluated:
        self.evaluate()
        assert self._evaluated is not None
        return self._evaluated[problem]

    def nominal(self, perturbation: PerturbationLike) -> Evaluated:
        return self.evaluated(perturbation.nominal)

    def perturbed(self, perturbation: PerturbationLike) -> Evaluated:
        return self.evaluated(perturbation.perturbed)

    def verdict(self, perturbation: PerturbationLike) -> Verdict:
        """The equivalence verdict of the perturbation's two completions, judged for the whole batch at once."""
        if self._verdicts is None:
            self.evaluate()
            pairs = list(dict.fromkeys((x.nominal, x.perturbed) for x in self.perturbations))
            problems = {problem for pair in pairs for problem in pair}
            # Programs whose tests ran out of time hang on some input: their calls need not wait as long.
            hanging = {problem.prompt + self.evaluated(problem).completion for problem in problems
                       if self.evaluated(problem).result.status is Status.TIMEOUT}
            verdicts = self.context.judge_many([
                (nominal, self.evaluated(nominal).completion, perturbed, self.evaluated(perturbed).completion)
                for nominal, perturbed in pairs
            ], hanging=hanging)
            self._verdicts = dict(zip(pairs, verdicts))
        return self._verdicts[(perturbation.nominal, perturbation.perturbed)]

    def known_verdict(self, perturbation: PerturbationLike) -> str | None:
        """The kind of the perturbation's verdict if verdicts were judged for this batch, else ``None``."""
        if self._verdicts is None:
            return None
        return self._verdicts[(perturbation.nominal, perturbation.perturbed)].kind

    def outcome(self, perturbation: PerturbationLike, *, source: str = "seeded", recipe: str = "", test: str = "",
                failed: bool = False, verdict: str | None = None) -> CaseOutcome:
        """The case record of one perturbation of this batch: every completion's result, paired by index."""
        return CaseOutcome(
            task_id=perturbation.nominal.task_id,
            transform=perturbation.transform,
            category=perturbation.category,
            seed=perturbation.seed,
            size=perturbation.size,
            nominal=self.nominal(perturbation).passed,
            perturbed=self.perturbed(perturbation).passed,
            partial=perturbation.nominal.partial,
            verdict=verdict,
            source=source,  # type: ignore[arg-type]
            recipe=recipe,
            test=test,
            failed=failed,
        )
