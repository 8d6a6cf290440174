"""Perturbed datasets in ReCode's file layout, and the check that canonical solutions still pass.

Layout (what ReCode-era tooling reads): ``<out>/<dataset>/<folder>/<dataset>_<Transform>_s<seed>.jsonl``
with the category folders of :data:`RECODE_FOLDERS`, one row per problem (problems a transform cannot
change keep their nominal row), and ``<out>/<dataset>_partial.jsonl``, the nominal partial-code dataset
that the syntax and format files are measured against. Fields are ReCode's: ``task_id``, ``prompt``,
``entry_point``, ``canonical_solution``, ``test``, plus ``seed`` and ``perturbed`` (docstring files) or
``partial`` (syntax and format files: the nominal whole program with the split marker, ``None`` for a
problem whose body is one line and so has no partial-code variant).

Deterministic transforms have one variant (seed 0), randomized ones ``seeds`` variants, as in ReCode.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..execution import Sandbox, TestJob
from ..problems import Problem, join_at_marker
from ..transforms import PARTIAL_CODE_CATEGORIES, RECODE_FOLDERS, NotApplicable, Perturbation, Transform, baseline
from ._seeded import variant_seeds

__all__ = [
    "CheckReport",
    "TransformCheck",
    "Variant",
    "base_problems",
    "check_variants",
    "perturb_dataset",
    "recode_path",
    "recode_row",
    "write_variants",
]

@dataclass(frozen=True)
class Variant:
    """One transform's variant ``seed`` of one problem: a perturbation, or why there is none."""

    transform: str
    seed: int
    nominal: Problem
    result: Perturbation | NotApplicable

    @property
    def problem(self) -> Problem:
        """The problem as written to the dataset: perturbed, or the nominal one when not applicable."""
        return self.result.perturbed if isinstance(self.result, Perturbation) else self.nominal

    @property
    def changed(self) -> bool:
        return isinstance(self.result, Perturbation) and self.result.changed


def base_problems(problems: Sequence[Problem], category: str) -> list[Problem]:
    """What a category perturbs: each problem's :func:`~pytest_recode.pipeline.baseline`."""
    return [baseline(p, category) for p in problems]


def perturb_dataset(
    transform: Transform, problems: Sequence[Problem], seeds: int, *, base: Sequence[Problem] | None = None
) -> Iterator[Variant]:
    """Every variant of every problem (problems as :func:`base_problems` gives them for the category;
    pass ``base`` to reuse that list across the transforms of a category)."""
    base = base if base is not None else base_problems(problems, transform.category)
    prefetch = getattr(transform, "prefetch", None)
    if callable(prefetch):
        prefetch(base)  # model-based transforms batch their inputs across problems
    for seed in variant_seeds(transform, seeds):
        for problem in base:
            yield Variant(transform.name, seed, problem, transform.perturb(problem, seed))


# -- files ------------------------------------------------------------------------------------------
def recode_path(out: str | os.PathLike[str], dataset: str, transform: Transform, seed: int) -> Path:
    """``<out>/<dataset>/<folder>/<dataset>_<Transform>_s<seed>.jsonl``."""
    folder = RECODE_FOLDERS[transform.category]
    return Path(out) / dataset / folder / f"{dataset}_{transform.name}_s{seed}.jsonl"


def _partial_field(problem: Problem) -> str | None:
    return join_at_marker(problem) if problem.partial else None


def recode_row(variant: Variant, category: str) -> dict[str, Any]:
    """The JSON record ReCode writes for a variant, field for field."""
    problem = variant.problem
    row: dict[str, Any] = {
        "task_id": problem.task_id,
        "prompt": problem.prompt,
        "entry_point": problem.entry_point,
        "canonical_solution": problem.canonical_solution,
        "test": problem.test,
    }
    if category == "docstring":
        row["seed"] = variant.seed
        row["perturbed"] = variant.changed
    elif category in PARTIAL_CODE_CATEGORIES:
        row["partial"] = _partial_field(variant.nominal)
    return row


def write_variants(
    out: str | os.PathLike[str], dataset: str, transform: Transform, variants: Iterable[Variant]
) -> list[Path]:
    """Write variants as ReCode's files (one per seed); returns the paths written."""
    by_seed: dict[int, list[Variant]] = {}
    for variant in variants:
        by_seed.setdefault(variant.seed, []).append(variant)
    paths = []
    for seed, rows in sorted(by_seed.items()):
        path = recode_path(out, dataset, transform, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            for variant in rows:
                handle.write(json.dumps(recode_row(variant, transform.category)) + "\n")
        paths.append(path)
    return paths


def write_partial_nominal(out: str | os.PathLike[str], dataset: str, problems: Sequence[Problem]) -> Path:
    """``<out>/<dataset>_partial.jsonl``: the nominal rows the syntax and format files are measured against."""
    path = Path(out) / f"{dataset}_partial.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        for problem in base_problems(problems, "syntax"):
            row = {
                "task_id": problem.task_id,
                "prompt": problem.prompt,
                "entry_point": problem.entry_point,
                "canonical_solution": problem.canonical_solution,
                "test": problem.test,
                "partial": _partial_field(problem),
            }
            handle.write(json.dumps(row) + "\n")
    return path


# -- checking ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TransformCheck:
    """How one transform fared: rows written, prompts changed, and canonical solutions that still pass.

    ``nominal_passing`` counts rows whose nominal canonical solution passes (the N of ``preserved P of
    N``); ``still_passing`` those of them whose (perturbed) canonical solution passes too.
    """

    transform: str
    seeds: int
    rows: int
    perturbed: int
    not_applicable: int
    nominal_passing: int
    still_passing: int
    failures: tuple[tuple[str, int, str], ...] = field(default=())


@dataclass(frozen=True)
class CheckReport:
    checks: tuple[TransformCheck, ...]

    @property
    def preserved(self) -> int:
        return sum(c.still_passing for c in self.checks)

    @property
    def total(self) -> int:
        return sum(c.nominal_passing for c in self.checks)


def _job(problem: Problem) -> TestJob:
    return TestJob(problem.prompt + problem.canonical_solution, problem.test, problem.entry_point)


def check_variants(
    variants_by_transform: Sequence[tuple[Transform, Sequence[Variant]]],
    sandbox: Sandbox,
    *,
    progress: Callable[[str], None] | None = None,
) -> CheckReport:
    """Run every distinct program once (nominal and perturbed) and count, per transform, what still passes."""
    jobs: dict[TestJob, int] = {}
    for _, variants in variants_by_transform:
        for variant in variants:
            jobs.setdefault(_job(variant.nominal), len(jobs))
            jobs.setdefault(_job(variant.problem), len(jobs))
    if progress is not None:
        progress(f"running {len(jobs)} distinct programs")
    ordered = list(jobs)
    results = sandbox.run_many(ordered)
    outcome = {job: result for job, result in zip(ordered, results)}
    checks = []
    for transform, variants in variants_by_transform:
        nominal_passing = still_passing = perturbed = not_applicable = 0
        failures = []
        for variant in variants:
            perturbed += variant.changed
            not_applicable += isinstance(variant.result, NotApplicable)
            if not outcome[_job(variant.nominal)].passed:
                continue
            nominal_passing += 1
            result = outcome[_job(variant.problem)]
            if result.passed:
                still_passing += 1
            else:
                detail = f"{result.status}: {result.exception_type or ''} {result.message}".strip()
                failures.append((variant.nominal.task_id, variant.seed, detail[:300]))
        seeds = len({v.seed for v in variants})
        checks.append(
            TransformCheck(transform.name, seeds, len(variants), perturbed, not_applicable, nominal_passing,
                           still_passing, tuple(failures))
        )
    return CheckReport(tuple(checks))
