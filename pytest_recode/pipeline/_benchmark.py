"""The benchmark run behind ``recode run``: ReCode's figures for a model, as ``results.json`` and reports.

For every problem of the dataset (or of one shard of it), the run takes ReCode's seeded variants
(:func:`seeded_perturbations`, the one set of rules every front door uses) or the rows of ReCode's own
released files, then works in batches of problems: every distinct prompt of a batch is completed in one
engine call (``n`` completions each when sampling; the engine deduplicates and caches), every distinct
program runs in one sandbox call, and the equivalence judge sees the whole batch at once. Each finished
batch goes to the journal, so a killed run continues where it stopped (:mod:`._journal`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from .._errors import InvalidArgument, ReportError
from ..models import GenerationConfig
from ..report import (
    Example,
    ProblemRecord,
    RunResults,
    first_difference,
    load_results,
    write_reports,
)
from ._benchmark_plan import Planned, batches, nominal_problems, plan_released, plan_seeded, released
from ._cases import CaseBatch, PerturbationLike
from ._context import RecodeContext
from ._journal import FinishedProblem, Journal
from ._shard import Shard

__all__ = ["BenchmarkSettings", "NO_PROGRESS", "Progress", "ProgressBar", "run_benchmark"]

#: The results file in a run's directory.
RESULTS_NAME = "results.json"
#: Distinct prompts per batch by default: enough to keep a GPU busy, few enough to lose little to a kill.
DEFAULT_BATCH_PROMPTS = 1024


class ProgressBar(Protocol):
    def advance(self, amount: int) -> None: ...

    def close(self) -> None: ...


#: Opens a bar for a stage: ``(description, total, unit) -> bar``. The ``recode`` command draws them.
Progress = Callable[[str, int, str], ProgressBar]


class _Quiet:
    def advance(self, amount: int) -> None:
        pass

    def close(self) -> None:
        pass


def NO_PROGRESS(description: str, total: int, unit: str) -> ProgressBar:  # noqa: N802 - a constant by use
    """Draws nothing."""
    return _Quiet()


@dataclass(frozen=True)
class BenchmarkSettings:
    """What a run measures; everything here is recorded in ``results.json`` and must match to resume a run
    or to merge its shards (all but ``shard``)."""

    dataset: str = "builtin"
    transforms: tuple[str, ...] = ()
    seeds: int = 5
    base_seed: int = 0
    n_samples: int = 1
    temperature: float = 0.0
    top_p: float = 0.95
    k: tuple[int, ...] = (1,)
    max_new_tokens: int = 512
    limit: int | None = None
    recode_data: str | None = None
    sandbox: str = "local"
    timeout: float = 3.0
    memory_mb: int = 1024
    shard: Shard | None = None
    #: Where ``dataset="mbpp"`` is read from (not recorded: the same data may lie elsewhere on each machine).
    mbpp_path: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for name, low in (("seeds", 1), ("n_samples", 1), ("max_new_tokens", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InvalidArgument(f"{name}={value!r}: give an int of at least {low}.")
        if self.limit is not None and self.limit < 1:
            raise InvalidArgument(f"limit={self.limit!r}: give at least 1 problem.")
        if not self.transforms:
            raise InvalidArgument("transforms=(): choose at least one transform or category.")
        if not self.k or any(k < 1 for k in self.k):
            raise InvalidArgument(f"k={list(self.k)!r}: give one or more k of at least 1.")
        if max(self.k) > self.n_samples:
            raise InvalidArgument(f"k={max(self.k)} needs at least {max(self.k)} completions per prompt: give "
                                  f"--n-samples {max(self.k)} or more (now {self.n_samples}), or lower --k.")

    def generation(self) -> GenerationConfig:
        return GenerationConfig(max_new_tokens=self.max_new_tokens, temperature=self.temperature, top_p=self.top_p,
                                n=self.n_samples, seed=self.base_seed)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset, "recode_data": self.recode_data, "transforms": list(self.transforms),
            "seeds": self.seeds, "base_seed": self.base_seed, "n_samples": self.n_samples,
            "temperature": self.temperature, "top_p": self.top_p, "k": list(self.k),
            "max_new_tokens": self.max_new_tokens, "limit": self.limit, "sandbox": self.sandbox,
            "timeout": self.timeout, "memory_mb": self.memory_mb,
            "shard": None if self.shard is None else str(self.shard),
        }


def _recipe(variant: PerturbationLike) -> str:
    from ..strategies import Recipe
    from ..transforms import Perturbation

    return Recipe.of(variant).text() if isinstance(variant, Perturbation) else ""


def _run_batch(context: RecodeContext, batch: Sequence[Planned], bars: dict[str, ProgressBar],
               n: int) -> list[FinishedProblem]:
    problems = list(dict.fromkeys(p for item in batch for p in item.problems()))
    completions = context.complete(problems)
    prompts = len({p.prompt for p in problems})
    bars["generating"].advance(prompts)
    evaluated = dict(zip(problems, context.run(problems, completions)))
    bars["executing"].advance(prompts * n)
    cases = CaseBatch(context, [v for item in batch for v in item.variants], evaluated)
    finished = []
    for item in batch:
        outcomes, examples = [], []
        for variant in item.variants:
            outcome = cases.outcome(variant, recipe=_recipe(variant), verdict=cases.verdict(variant).kind)
            outcomes.append(outcome)
            if outcome.broken:
                examples.append(Example(outcome.task_id, outcome.transform, outcome.category, outcome.seed,
                                        outcome.size, variant.prompt_diff(), recipe=outcome.recipe))
        record = ProblemRecord(item.problem.task_id, item.index, evaluated[item.problem].passed,
                               None if item.partial is None else evaluated[item.partial].passed)
        finished.append(FinishedProblem(record, tuple(outcomes), tuple(examples)))
    return finished


def run_benchmark(
    context: RecodeContext,
    settings: BenchmarkSettings,
    out: str | os.PathLike[str],
    *,
    model: dict[str, Any],
    created: str,
    versions: dict[str, str],
    unavailable: dict[str, str] | None = None,
    progress: Progress = NO_PROGRESS,
    batch_prompts: int = DEFAULT_BATCH_PROMPTS,
    fresh: bool = False,
    on_resume: Callable[[int, int], None] | None = None,
) -> RunResults:
    """Run the benchmark into the directory ``out`` (see the module docstring) and write ``results.json``
    and the reports there; returns the results.

    ``context.generation`` must be ``settings.generation()``. ``model`` (spec, name, fingerprint) and
    ``versions`` are recorded as given; ``created`` is the date of a new run (a resumed one keeps its own).
    A run whose journal is in ``out`` continues (``on_resume(done, total)`` is told how far it had come); a
    finished run with the same arguments is not run again (its reports are written again). Arguments that
    do not fit what ``out`` holds raise :class:`~pytest_recode.ReportError`, unless ``fresh``.
    """
    if context.generation != settings.generation():
        raise InvalidArgument("the context's generation config is not the settings' (settings.generation()).")
    problems = nominal_problems(settings)
    if settings.limit is not None:
        problems = problems[: settings.limit]
    files = released(settings) if settings.recode_data is not None else None
    indexed = list(enumerate(problems))
    if settings.shard is not None:
        indexed = settings.shard.select(indexed, key=lambda item: item[1].task_id)
    dataset = {"name": problems[0].dataset if problems else settings.dataset, "problems": len(problems)}
    results = RunResults(settings=settings.to_json(), model=dict(model), dataset=dataset, versions=dict(versions),
                         created=created, unavailable=dict(sorted((unavailable or {}).items())))
    identity = {**results.identity(), "shard": results.shard}
    journal = Journal(out)
    finished_run = _finished(out, identity, journal, fresh)
    if finished_run is not None:
        write_reports(finished_run, out)
        return finished_run
    created, finished = journal.resume(identity, created, fresh=fresh)
    done = {f.record.task_id for f in finished}
    if finished and on_resume is not None:
        on_resume(len(done), len(indexed))
    todo = [(i, p) for i, p in indexed if p.task_id not in done]
    bar = progress("perturbing", len(todo), "problems")
    planned = (plan_released(todo, settings, files, bar) if files is not None
               else plan_seeded(todo, context, settings, bar))
    bar.close()
    chunks = batches(planned, batch_prompts)
    prompts = [len({p.prompt for item in b for p in item.problems()}) for b in chunks]
    bars = {"generating": progress("generating", sum(prompts), "prompts"),
            "executing": progress("executing", sum(prompts) * settings.n_samples, "programs")}
    try:
        for batch in chunks:
            done_now = _run_batch(context, batch, bars, settings.n_samples)
            journal.append(done_now)
            finished.extend(done_now)
    finally:
        for stage in bars.values():
            stage.close()
    results = replace(results, created=created, problems=tuple(f.record for f in finished),
                      cases=tuple(c for f in finished for c in f.cases),
                      examples=tuple(e for f in finished for e in f.examples)).in_order()
    results.save(Path(out) / RESULTS_NAME)
    write_reports(results, out)
    journal.remove()
    return results


def _finished(out: str | os.PathLike[str], identity: dict[str, Any], journal: Journal,
              fresh: bool) -> RunResults | None:
    """The finished run in ``out`` when it is this run (no journal, a results.json of the same identity)."""
    path = Path(out) / RESULTS_NAME
    if fresh or journal.path.exists() or not path.exists():
        return None
    previous = load_results(path)
    difference = first_difference({**previous.identity(), "shard": previous.shard}, identity)
    if difference is not None:
        raise ReportError(f"{out} holds the results of a run with other arguments: they differ in {difference} "
                          "(then and now); give --fresh to replace them, or choose another --out.")
    return previous
