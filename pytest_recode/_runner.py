"""The pipeline behind every robustness case: perturbations → completions → execution → verdict.

One :class:`RecodeContext` lives per process (per xdist worker): it owns the completion engine (and so the
model and its cache), the sandbox and the transform instances. Work is done in batches: every prompt a
problem's cases need is generated in one engine call (identical prompts once), and every program is
executed in one ``run_many`` call (identical programs once).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .execution import RunResult, Sandbox, TestJob
from .models import CompletionEngine, GenerationConfig
from .problems import Problem, partial_variant
from .transforms import NotApplicable, Perturbation, Transform, TransformConfig, get_transform

__all__ = ["Evaluated", "RecodeContext", "seeded_perturbations"]

#: Categories whose transforms apply to partial code (the nominal prompt plus half of the body).
PARTIAL_CODE_CATEGORIES = frozenset({"syntax", "format"})


@dataclass(frozen=True)
class Evaluated:
    """A problem's prompt, the model's completion of it, and how that completion fared in its tests."""

    problem: Problem
    completion: str
    result: RunResult


def truncate(problem: Problem, completion: str) -> str:
    """The part of a completion that belongs to the function under test."""
    from . import models

    truncate_completion = getattr(models, "truncate_completion", None)
    if truncate_completion is None:
        return completion
    return str(truncate_completion(problem.prompt, completion, problem.entry_point))


class RecodeContext:
    """Per-process machinery shared by all cases. Close it (or use it as a context manager) when done."""

    def __init__(
        self,
        engine: CompletionEngine,
        sandbox: Sandbox,
        generation: GenerationConfig | None = None,
        transform_config: TransformConfig | None = None,
    ) -> None:
        self.engine = engine
        self.sandbox = sandbox
        self.generation = generation if generation is not None else GenerationConfig()
        self.transform_config = transform_config if transform_config is not None else TransformConfig()
        self._transforms: dict[str, Transform] = {}

    def transform(self, name: str) -> Transform:
        """The one instance of a transform this context uses (instances cache what they parse)."""
        if name not in self._transforms:
            self._transforms[name] = get_transform(name, self.transform_config)
        return self._transforms[name]

    def evaluate(self, problems: Sequence[Problem]) -> list[Evaluated]:
        """Complete every problem's prompt and run the completion against the problem's tests."""
        prompts = [p.prompt for p in problems]
        completions = [truncate(p, c[0]) for p, c in zip(problems, self.engine.complete(prompts, self.generation))]
        jobs = [TestJob(p.prompt + c, p.test, p.entry_point) for p, c in zip(problems, completions)]
        unique_jobs = list(dict.fromkeys(jobs))
        results = dict(zip(unique_jobs, self.sandbox.run_many(unique_jobs)))
        return [Evaluated(p, c, results[j]) for p, c, j in zip(problems, completions, jobs)]

    def close(self) -> None:
        self.sandbox.close()

    def __enter__(self) -> RecodeContext:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def nominal_for(problem: Problem, transform: Transform) -> Problem | None:
    """The unperturbed problem a transform starts from: the partial-code variant for code categories."""
    if transform.category in PARTIAL_CODE_CATEGORIES:
        return partial_variant(problem)
    return problem


def seeded_perturbations(
    problem: Problem,
    transforms: Iterable[Transform],
    *,
    seeds: int = 1,
    base_seed: int = 0,
    limit: int | None = None,
) -> tuple[list[Perturbation], list[NotApplicable]]:
    """ReCode's seeded variants of ``problem``: seed by seed, every transform in turn, up to ``limit``.

    Deterministic transforms contribute one variant; variants that leave the prompt unchanged, or repeat
    an earlier prompt, are skipped. Returns the perturbations and the transforms that did not apply.
    """
    transforms = list(transforms)
    found: list[Perturbation] = []
    skipped: list[NotApplicable] = []
    seen_prompts: set[str] = set()
    for offset in range(seeds):
        for transform in transforms:
            if offset > 0 and not transform.randomized:
                continue
            start = nominal_for(problem, transform)
            if start is None:
                if offset == 0:
                    skipped.append(NotApplicable(transform.name, problem.task_id,
                                                 "no partial-code variant (the body is a single line)"))
                continue
            result = transform.perturb(start, seed=base_seed + offset)
            if isinstance(result, NotApplicable):
                if offset == 0:
                    skipped.append(result)
                continue
            if not result.changed or result.perturbed.prompt in seen_prompts:
                continue
            seen_prompts.add(result.perturbed.prompt)
            found.append(result)
            if limit is not None and len(found) >= limit:
                return found, skipped
    return found, skipped
