"""The one path from a problem to judged cases, used alike by the plugin and the ``recode`` command.

- :func:`seeded_perturbations`: ReCode's seeded variants, by one set of rules (baseline, seeds, order);
- :class:`RecodeContext`: the per-process engine, sandbox and transforms; :class:`CaseBatch`: perturbations
  evaluated together (one generation call, one execution call);
- :func:`judge_problem`: replayed failures, seeded variants and a Hypothesis search judged in one batch,
  and the smallest failure shrunk to a 1-minimal perturbation (:class:`Shrinker`);
- ReCode's file layout for perturbed datasets (``_dataset``);
- :func:`run_benchmark`: the benchmark run behind ``recode run`` (resumable, batched across problems, on
  this package's seeded variants or ReCode's released files), and :class:`Shard`, a stable share of a run's
  problems for ``recode run --shard`` and ``pytest --recode-shard``.
"""

from ._benchmark import NO_PROGRESS, BenchmarkSettings, Progress, ProgressBar, run_benchmark
from ._cases import CaseBatch
from ._context import Evaluated, RecodeContext
from ._robust import CaseCheck, Finding, ProblemRun, SearchPlan, judge_problem
from ._search import draw_perturbations, search_seed
from ._seeded import SeededVariants, round_robin, seeded_perturbations, variant_seeds
from ._shard import Shard
from ._shrink import Shrinker, ShrinkResult

__all__ = [
    "NO_PROGRESS",
    "BenchmarkSettings",
    "CaseBatch",
    "CaseCheck",
    "Evaluated",
    "Finding",
    "ProblemRun",
    "Progress",
    "ProgressBar",
    "RecodeContext",
    "SearchPlan",
    "SeededVariants",
    "Shard",
    "ShrinkResult",
    "Shrinker",
    "draw_perturbations",
    "judge_problem",
    "round_robin",
    "run_benchmark",
    "search_seed",
    "seeded_perturbations",
    "variant_seeds",
]
