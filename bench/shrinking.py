"""Finding and shrinking planted robustness bugs, three ways side by side, in one run.

Each planted bug (tests/planted.py) is a model that answers HumanEval/0 correctly except when one specific
perturbation is in the prompt: a typo in one docstring word, a camelCased name, a `while` loop or a dead-code
block in the partial code, and two typos in two words together. Each is searched for three ways:

  (a) ReCode's seeded variants only (s seeds, no search, no shrinking): the failure is whatever variant fails;
  (b) plain Hypothesis: ``@given(perturbations(problem, transforms=[T]))`` asking the model for one prompt per
      example, Hypothesis's own shrinking (what a user gets from the strategies alone);
  (c) this plugin's pipeline: seeded variants and a Hypothesis-drawn search judged in one batch, then the
      batched delta-debugging shrinker.

Per bug and approach: the size of the first failure found, the size reported, examples judged, prompts
generated and model calls until the minimal failure (an engine deduplicates identical prompts for all three).
Goals for (c): every bug shrunk to its planted size in every run; at most 100 prompts and 10 model calls per
bug; at least 8x fewer model calls than (b).

    .venv/bin/python bench/shrinking.py [--runs 3] [--max-examples 25] [--seeds 5]

The last line holds the figures as space-separated key=value pairs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

from planted import BUGS, TASK_ID, PlantedBug, PlantedModel  # noqa: E402
from pytest_recode.execution import SandboxConfig, open_sandbox  # noqa: E402
from pytest_recode.models import CompletionEngine  # noqa: E402
from pytest_recode.pipeline import CaseBatch, RecodeContext, SearchPlan, judge_problem, search_seed  # noqa: E402
from pytest_recode.pipeline import seeded_perturbations  # noqa: E402
from pytest_recode.problems import Problem, load_problems  # noqa: E402
from pytest_recode.strategies import perturbations  # noqa: E402


@dataclass(frozen=True)
class Outcome:
    first: int | None  # edits of the first failure found (None: none found)
    reported: int | None  # edits of the failure reported
    examples: int
    prompts: int
    calls: int


def _broken(batch: CaseBatch, perturbation: object) -> bool:
    return batch.nominal(perturbation).result.passed and not batch.perturbed(perturbation).result.passed


def seeded_only(problem: Problem, bug: PlantedBug, context: RecodeContext, seeds: int) -> Outcome:
    variants = seeded_perturbations(problem, [context.transform(bug.transform)], seeds=seeds).perturbations
    batch = CaseBatch(context, variants)
    failing = [p for p in variants if _broken(batch, p)]
    size = min((p.size for p in failing), default=None)
    stats = context.engine.stats
    return Outcome(size, size, len(variants), stats.generated, stats.calls)


def plain_hypothesis(problem: Problem, bug: PlantedBug, context: RecodeContext, run: int,
                     max_examples: int) -> Outcome:
    found: list[int] = []
    examples = 0

    @settings(max_examples=max_examples, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=(Phase.generate, Phase.shrink), print_blob=False,
              report_multiple_bugs=False)
    @seed(search_seed("plain", bug.name, run))
    @given(perturbations(problem, transforms=[context.transform(bug.transform)]))
    def test(perturbation: object) -> None:
        nonlocal examples
        examples += 1
        batch = CaseBatch(context, [perturbation])  # one prompt per example: a model call per new prompt
        if _broken(batch, perturbation):
            found.append(perturbation.size)  # type: ignore[attr-defined]
            raise AssertionError("the model breaks")

    try:
        test()
    except AssertionError:
        pass
    stats = context.engine.stats
    # Hypothesis re-runs the minimal example last; the last failure it saw is the one it reports.
    return Outcome(found[0] if found else None, found[-1] if found else None, examples, stats.generated,
                   stats.calls)


def this_plugin(problem: Problem, bug: PlantedBug, context: RecodeContext, run: int, max_examples: int,
                seeds: int) -> Outcome:
    def check(perturbation: object, batch: CaseBatch) -> BaseException | None:
        return AssertionError("the model breaks") if _broken(batch, perturbation) else None

    plan = SearchPlan((context.transform(bug.transform),), seeds=seeds, max_examples=max_examples,
                      search_seed=search_seed("plugin", bug.name, run))
    result = judge_problem(problem, plan, context, check)
    finding = result.finding
    stats = context.engine.stats
    if finding is None:
        return Outcome(None, None, len(result.cases), stats.generated, stats.calls)
    return Outcome(finding.first.size, finding.perturbation.size, len(result.cases), stats.generated, stats.calls)


def _fmt(value: int | None) -> str:
    return "-" if value is None else str(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per bug and approach, each with its own seed")
    parser.add_argument("--max-examples", type=int, default=25,
                        help="examples for the plugin's search and its seeded variants (default: 25)")
    parser.add_argument("--hypothesis-examples", type=int, default=100,
                        help="max_examples of plain Hypothesis (default: 100, Hypothesis's own)")
    parser.add_argument("--seeds", type=int, default=5, help="seeded variants per randomized transform (ReCode: 5)")
    args = parser.parse_args()
    problem = next(p for p in load_problems("humaneval") if p.task_id == TASK_ID)
    approaches = ("a", "b", "c")
    results: dict[tuple[str, str], list[Outcome]] = {}
    with open_sandbox(SandboxConfig()) as sandbox:
        for bug in BUGS:
            for run in range(args.runs):
                for approach in approaches:
                    # A fresh engine per run: nothing is served from an earlier run's answers.
                    context = RecodeContext(CompletionEngine(PlantedModel(bug)), sandbox)
                    if approach == "a":
                        outcome = seeded_only(problem, bug, context, args.seeds)
                    elif approach == "b":
                        outcome = plain_hypothesis(problem, bug, context, run, args.hypothesis_examples)
                    else:
                        outcome = this_plugin(problem, bug, context, run, args.max_examples, args.seeds)
                    results.setdefault((bug.name, approach), []).append(outcome)
    names = {"a": "(a) seeded only", "b": "(b) plain Hypothesis", "c": "(c) this plugin"}
    print(f"planted bugs in {TASK_ID}, {args.runs} runs each; per run: first failure size -> reported size, "
          "examples, prompts generated, model calls")
    all_reached = True
    totals = {a: 0 for a in approaches}
    worst_c = {"prompts": 0, "calls": 0}
    for bug in BUGS:
        print(f"{bug.name} (planted: {bug.transform}, {bug.size} edit{'s' if bug.size != 1 else ''})")
        for approach in approaches:
            outcomes = results[(bug.name, approach)]
            cells = [f"{_fmt(o.first)}->{_fmt(o.reported)} {o.examples}ex {o.prompts}p {o.calls}c" for o in outcomes]
            reached = sum(o.reported == bug.size for o in outcomes)
            totals[approach] += sum(o.calls for o in outcomes)
            print(f"  {names[approach]:<22} reached {reached}/{len(outcomes)}   " + "  |  ".join(cells))
            if approach == "c":
                all_reached &= reached == len(outcomes)
                worst_c["prompts"] = max(worst_c["prompts"], *(o.prompts for o in outcomes))
                worst_c["calls"] = max(worst_c["calls"], *(o.calls for o in outcomes))
    ratio = totals["b"] / totals["c"] if totals["c"] else float("inf")
    print(f"model calls over every bug and run: (a) {totals['a']}, (b) {totals['b']}, (c) {totals['c']}; "
          f"(b)/(c) = {ratio:.1f}x (goal: at least 8x)")
    print(f"(c) worst bug: {worst_c['prompts']} prompts (goal: at most 100), {worst_c['calls']} model calls "
          f"(goal: at most 10); every bug shrunk to its planted size in every run: {'yes' if all_reached else 'NO'}")
    median_c = statistics.median(o.calls for (_, a), outs in results.items() if a == "c" for o in outs)
    print(f"calls_a={totals['a']} calls_b={totals['b']} calls_c={totals['c']} ratio_b_over_c={ratio:.2f} "
          f"worst_prompts_c={worst_c['prompts']} worst_calls_c={worst_c['calls']} median_calls_c={median_c:g} "
          f"all_reached={'yes' if all_reached else 'no'} runs={args.runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
