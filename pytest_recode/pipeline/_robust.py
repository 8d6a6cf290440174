"""Judging one problem: replayed failures, ReCode's seeded variants and a Hypothesis search, judged in one
batch; then the smallest failure shrunk to a 1-minimal perturbation.

The judge of a case is a callable (the plugin passes the user's ``@recode_robust`` test): it returns the
exception the test raised on the case, or ``None``. A case whose nominal completion fails its own tests is
recorded (it counts in ReCode's figures) but not judged: robustness cannot be judged where the model does
not solve the problem in the first place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .._errors import InvalidArgument
from ..equivalence import describe_run
from ..metrics import CaseOutcome
from ..problems import Problem
from ..strategies import AnyPerturbation, Recipe
from ..transforms import NotApplicable, Transform
from ._cases import CaseBatch
from ._context import RecodeContext
from ._search import draw_perturbations
from ._seeded import seeded_perturbations
from ._shrink import Shrinker, ShrinkResult

if TYPE_CHECKING:
    from ..models import EngineStats

__all__ = ["CaseCheck", "Finding", "ProblemRun", "SearchPlan", "judge_problem"]

#: Runs the test on one case of a batch: the exception it raised, or ``None`` when it passed.
CaseCheck = Callable[[AnyPerturbation, CaseBatch], "BaseException | None"]


@dataclass(frozen=True)
class SearchPlan:
    """How a problem is judged. ``transforms`` are the selected transforms that can run here."""

    transforms: tuple[Transform, ...]
    seeds: int = 1
    base_seed: int = 0
    max_examples: int = 25
    search: bool = True
    compose: int = 1
    shrink_budget: int = 100
    search_seed: int = 0
    #: Failures stored by an earlier run (the example database), judged first.
    stored: tuple[Recipe, ...] = ()
    #: Judge exactly this perturbation and nothing else (``--recode-replay``).
    replay: Recipe | None = None


@dataclass(frozen=True)
class Finding:
    """The smallest failing perturbation of a problem, with the evidence and what finding it cost."""

    perturbation: AnyPerturbation
    batch: CaseBatch
    error: BaseException
    #: The failure that was shrunk (the smallest found before shrinking) and where it came from.
    first: AnyPerturbation
    first_source: str
    #: Whether 1-minimality was checked (False when the shrink budget ran out first).
    proven: bool
    examples: int
    rounds: int
    prompts: int
    calls: int
    failures: int

    @property
    def recipe(self) -> Recipe:
        return Recipe.of(self.perturbation)


@dataclass(frozen=True)
class ProblemRun:
    """What judging one problem came to."""

    cases: tuple[CaseOutcome, ...]
    finding: Finding | None
    #: Cases the test was called on (those whose nominal completion passes).
    judged: int
    #: One line per baseline whose nominal completion fails its tests.
    nominal_failures: tuple[str, ...] = ()
    not_applicable: tuple[NotApplicable, ...] = field(default=())


def _candidates(problem: Problem, plan: SearchPlan, context: RecodeContext) -> tuple[
        list[tuple[AnyPerturbation, str]], tuple[NotApplicable, ...]]:
    if plan.replay is not None:
        result = plan.replay.apply(problem, context.transform)
        if isinstance(result, NotApplicable):
            raise InvalidArgument(f"--recode-replay={plan.replay.text()!r} does not apply to {problem.task_id}: "
                                  f"{result.reason}")
        return [(result, "replay")], ()
    found: list[tuple[AnyPerturbation, str]] = []
    for recipe in plan.stored:
        try:
            result = recipe.apply(problem, context.transform)
        except InvalidArgument:  # stored by another version of a transform: its sites moved
            continue
        if not isinstance(result, NotApplicable) and result.changed:
            found.append((result, "replay"))
    seeded = seeded_perturbations(problem, plan.transforms, seeds=plan.seeds, base_seed=plan.base_seed,
                                  limit=plan.max_examples)
    found.extend((p, "seeded") for p in seeded.perturbations)
    if plan.search:
        seen = frozenset(p.perturbed.prompt for p, _ in found)
        drawn = draw_perturbations(problem, plan.transforms, count=plan.max_examples, max_transforms=plan.compose,
                                   random_seed=plan.search_seed, exclude=seen)
        found.extend((p, "search") for p in drawn)
    return found, seeded.not_applicable


def judge_problem(problem: Problem, plan: SearchPlan, context: RecodeContext, check: CaseCheck, *,
                  test: str = "") -> ProblemRun:
    """Judge ``problem`` as the plan says; shrink the smallest failure (see the module docstring)."""
    before = context.engine.stats
    candidates, not_applicable = _candidates(problem, plan, context)
    batch = CaseBatch(context, [p for p, _ in candidates])
    batch.evaluate()
    cases, failures, nominal_failures = [], [], {}
    for perturbation, source in candidates:
        recipe = Recipe.of(perturbation).text()
        nominal = batch.nominal(perturbation)
        error = None
        if nominal.result.passed:
            error = check(perturbation, batch)
            if error is not None:
                failures.append((perturbation, source, error))
        else:
            nominal_failures.setdefault(perturbation.nominal, f"{perturbation.nominal.task_id}"
                                        f"{' (partial code)' if perturbation.nominal.partial else ''}: "
                                        f"nominal completion fails its tests: {describe_run(nominal.result)}")
        cases.append(batch.outcome(perturbation, source=source, recipe=recipe, test=test, failed=error is not None,
                                   verdict=batch.known_verdict(perturbation)))
    judged = sum(batch.nominal(p).result.passed for p, _ in candidates)
    finding = None
    if failures:
        finding = _shrink(failures, batch, context, check, plan, before, examples=len(candidates))
    return ProblemRun(tuple(cases), finding, judged, tuple(nominal_failures.values()), not_applicable)


def _shrink(failures: Sequence[tuple[AnyPerturbation, str, BaseException]], found_in: CaseBatch,
            context: RecodeContext, check: CaseCheck, plan: SearchPlan, before: EngineStats, *,
            examples: int) -> Finding:
    first, source, error = min(failures, key=lambda f: f[0].size)
    evidence: dict[str, tuple[CaseBatch, BaseException]] = {}

    def judge(candidates: Sequence[AnyPerturbation]) -> list[bool]:
        batch = CaseBatch(context, candidates)
        batch.evaluate()
        verdicts = []
        for perturbation in candidates:
            failed = None
            if batch.nominal(perturbation).result.passed:
                failed = check(perturbation, batch)
            if failed is not None:
                evidence.setdefault(perturbation.perturbed.prompt, (batch, failed))
            verdicts.append(failed is not None)
        return verdicts

    start = context.engine.stats.generated
    shrinker = Shrinker(context.transform, judge,
                        lambda: context.engine.stats.generated - start >= plan.shrink_budget)
    # A replay re-runs exactly what a replay line names: it was shrunk in the run that printed the line.
    result = ShrinkResult(first, True, 0) if plan.replay is not None else shrinker.shrink(first)
    # Nothing smaller failed when the result is not in the evidence: the first failure is the minimal one.
    batch, final_error = evidence.get(result.perturbation.perturbed.prompt, (found_in, error))
    after = context.engine.stats
    return Finding(
        perturbation=result.perturbation,
        batch=batch,
        error=final_error,
        first=first,
        first_source=source,
        proven=result.proven,
        examples=examples,
        rounds=result.rounds,
        prompts=after.generated - before.generated,
        calls=after.calls - before.calls,
        failures=len(failures),
    )
