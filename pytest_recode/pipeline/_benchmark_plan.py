"""Planning a benchmark run: each problem's baselines and variants, and the batches they are run in.

The variants are ReCode's seeded variants (:func:`seeded_perturbations`, the one set of rules every front
door uses) or the rows of ReCode's released files (:mod:`._released`). A batch holds whole problems, as many
as fit a budget of distinct prompts, so that a problem's cases always come from one engine call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..problems import Problem, load_problems
from ..transforms import PARTIAL_CODE_CATEGORIES, baseline
from ._cases import PerturbationLike
from ._context import RecodeContext
from ._seeded import seeded_perturbations

if TYPE_CHECKING:
    from ._benchmark import BenchmarkSettings, ProgressBar

__all__ = ["Planned", "batches", "nominal_problems", "plan_released", "plan_seeded", "released"]


@dataclass(frozen=True)
class Planned:
    """One problem of the run: its index in the run's problem list, the baselines whose nominal results
    are kept, and its variants."""

    index: int
    problem: Problem
    partial: Problem | None
    variants: tuple[PerturbationLike, ...]

    def problems(self) -> list[Problem]:
        baselines = [self.problem] if self.partial is None else [self.problem, self.partial]
        return list(dict.fromkeys([*baselines, *(p for v in self.variants for p in (v.nominal, v.perturbed))]))

    def prompts(self) -> int:
        return len({p.prompt for p in self.problems()})


def nominal_problems(settings: BenchmarkSettings) -> list[Problem]:
    """The run's problems: the dataset, or with ReCode's files the nominal problems their rows perturb (a
    dataset by name, else ``<dataset>.jsonl`` beside the dataset's folder)."""
    from ..problems import DATASETS

    if settings.recode_data is not None and settings.dataset not in DATASETS:
        return load_problems(Path(settings.recode_data) / f"{settings.dataset}.jsonl")
    return load_problems(settings.dataset, mbpp_path=settings.mbpp_path)


def plan_seeded(problems: Sequence[tuple[int, Problem]], context: RecodeContext, settings: BenchmarkSettings,
                 bar: ProgressBar) -> list[Planned]:
    transforms = [context.transform(name) for name in settings.transforms]
    partial_code = any(t.category in PARTIAL_CODE_CATEGORIES for t in transforms)
    planned = []
    for index, problem in problems:
        variants = seeded_perturbations(problem, transforms, seeds=settings.seeds, base_seed=settings.base_seed)
        partial = baseline(problem, "syntax") if partial_code else None
        planned.append(Planned(index, problem, partial if partial is not None and partial.partial else None,
                                variants.perturbations))
        bar.advance(1)
    return planned


def released(settings: BenchmarkSettings) -> list[Any]:
    """ReCode's files the run reads (checked before anything is written)."""
    from ._released import released_files

    assert settings.recode_data is not None
    seeds = range(settings.base_seed, settings.base_seed + settings.seeds)
    return released_files(settings.recode_data, settings.dataset, settings.transforms, seeds)


def plan_released(problems: Sequence[tuple[int, Problem]], settings: BenchmarkSettings, files: Sequence[Any],
                   bar: ProgressBar) -> list[Planned]:
    from ._released import partial_nominals, read_released

    assert settings.recode_data is not None
    nominal = {p.task_id: p for _, p in problems}
    partial_code = any(f.category in PARTIAL_CODE_CATEGORIES for f in files)
    partial = partial_nominals(settings.recode_data, settings.dataset, nominal) if partial_code else {}
    variants = read_released(files, settings.dataset, nominal, partial)
    planned = []
    for index, problem in problems:
        base = partial.get(problem.task_id)
        planned.append(Planned(index, problem, base if base is not None and base.partial else None,
                                tuple(variants.get(problem.task_id, ()))))
        bar.advance(1)
    return planned


def batches(planned: Sequence[Planned], budget: int) -> list[list[Planned]]:
    """Consecutive problems, as many as fit ``budget`` prompts (one problem at least)."""
    batches: list[list[Planned]] = []
    size = 0
    for item in planned:
        prompts = item.prompts()
        if batches and size + prompts <= budget:
            batches[-1].append(item)
            size += prompts
        else:
            batches.append([item])
            size = prompts
    return batches
