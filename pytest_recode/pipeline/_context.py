"""The pipeline behind every robustness case: perturbations → completions → execution → verdict.

One :class:`RecodeContext` lives per process (per xdist worker): it owns the completion engine (and so the
model and its cache), the sandbox and the transform instances. Work is done in batches: every prompt a
problem's cases need is generated in one engine call (identical prompts once), and every program is
executed in one ``run_many`` call (identical programs once).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..execution import RunResult, Sandbox, TestJob
from ..models import CompletionEngine, GenerationConfig
from ..problems import Problem
from ..transforms import Transform, TransformConfig, get_transform

if TYPE_CHECKING:
    from ..equivalence import EquivalenceJudge, Pair, Verdict

__all__ = ["Evaluated", "RecodeContext"]


@dataclass(frozen=True)
class Evaluated:
    """A problem's prompt, the model's completion of it, and how that completion fared in its tests.

    With ``n`` completions per prompt (sampled generation), ``completions`` and ``results`` hold all of
    them, paired by index; ``completion`` and ``result`` are the first (with greedy decoding, the only one).
    """

    problem: Problem
    completion: str
    result: RunResult
    completions: tuple[str, ...] = ()
    results: tuple[RunResult, ...] = ()

    def __post_init__(self) -> None:
        if not self.completions:
            object.__setattr__(self, "completions", (self.completion,))
        if not self.results:
            object.__setattr__(self, "results", (self.result,))

    @property
    def passed(self) -> tuple[bool, ...]:
        """Whether each completion passed its tests, by index."""
        return tuple(r.passed for r in self.results)


def truncate(problem: Problem, completion: str) -> str:
    """The part of a completion that belongs to the function under test."""
    from ..models import truncate_completion

    return truncate_completion(problem.prompt, completion, problem.entry_point)


class RecodeContext:
    """Per-process machinery shared by all cases. Close it (or use it as a context manager) when done."""

    def __init__(
        self,
        engine: CompletionEngine,
        sandbox: Sandbox,
        generation: GenerationConfig | None = None,
        transform_config: TransformConfig | None = None,
        judge: EquivalenceJudge | None = None,
    ) -> None:
        self.engine = engine
        self.sandbox = sandbox
        self._judge = judge
        self.generation = generation if generation is not None else GenerationConfig()
        self.transform_config = transform_config if transform_config is not None else TransformConfig()
        self._transforms: dict[str, Transform] = {}

    def transform(self, name: str) -> Transform:
        """The one instance of a transform this context uses (instances cache what they parse)."""
        if name not in self._transforms:
            self._transforms[name] = get_transform(name, self.transform_config)
        return self._transforms[name]

    def evaluate(self, problems: Sequence[Problem]) -> list[Evaluated]:
        """Complete every problem's prompt and run the completions against the problem's tests: one engine
        call, one sandbox call. Every one of the ``generation.n`` completions of a prompt is run."""
        return self.run(problems, self.complete(problems))

    def complete(self, problems: Sequence[Problem]) -> list[tuple[str, ...]]:
        """The ``generation.n`` completions of every problem's prompt (one engine call), each truncated after
        the function under test."""
        prompts = [p.prompt for p in problems]
        return [tuple(truncate(p, c) for c in done)
                for p, done in zip(problems, self.engine.complete(prompts, self.generation))]

    def run(self, problems: Sequence[Problem], completions: Sequence[Sequence[str]]) -> list[Evaluated]:
        """Run each problem's completions against its tests, every distinct program once (one sandbox call)."""
        jobs = [[TestJob(p.prompt + c, p.test, p.entry_point) for c in done] for p, done in zip(problems, completions)]
        unique_jobs = list(dict.fromkeys(job for row in jobs for job in row))
        results = dict(zip(unique_jobs, self.sandbox.run_many(unique_jobs)))
        return [Evaluated(p, done[0], results[row[0]], tuple(done), tuple(results[j] for j in row))
                for p, done, row in zip(problems, completions, jobs)]

    @property
    def judge(self) -> EquivalenceJudge:
        """The equivalence judge (one with its defaults on this context's sandbox, unless one was given)."""
        if self._judge is None:
            from ..equivalence import EquivalenceJudge

            self._judge = EquivalenceJudge(self.sandbox)
        return self._judge

    def judge_many(self, pairs: Sequence[Pair], *, hanging: Collection[str] = ()) -> list[Verdict]:
        """Equivalence verdicts for (nominal problem, its completion, perturbed problem, its completion)
        tuples, judged together (see :class:`pytest_recode.equivalence.EquivalenceJudge`); ``hanging`` names
        programs whose tests ran out of time."""
        return self.judge.judge_many(pairs, hanging=hanging)

    def close(self) -> None:
        self.sandbox.close()

    def __enter__(self) -> RecodeContext:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
