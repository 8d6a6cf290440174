"""Sampled evaluation (n completions per prompt, paired by index) and the stable split into shards."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from test_seeded_and_batches import SNAKE, CountingSandbox

from pytest_recode import CaseOutcome, GenerationConfig, InvalidArgument
from pytest_recode.execution import RunResult, Status
from pytest_recode.execution import TestJob as Job
from pytest_recode.models import CallableModel, CompletionEngine
from pytest_recode.pipeline import CaseBatch, RecodeContext, Shard, seeded_perturbations

class VerdictSandbox(CountingSandbox):
    """Runs nothing: a program passes when it holds ``x + 1``; remembers every batch."""

    def run_many(self, jobs: Sequence[Job], *, timeout: float | None = None) -> list[RunResult]:
        self.batches.append(list(jobs))
        return [RunResult(Status.PASSED if "x + 1" in job.program else Status.FAILED, 0.0) for job in jobs]


def sampling_model() -> CallableModel:
    """Asked n times; the i-th round answers right on the nominal prompt only for even i, and on the
    camel-cased prompt always."""
    rounds = iter(range(100))

    def complete(prompts: list[str]) -> list[str]:
        i = next(rounds)
        return ["    return x + 1\n" if "addOne" in p or i % 2 == 0 else "    return x\n" for p in prompts]

    return CallableModel(complete)


def test_every_sampled_completion_is_run_and_paired_by_index() -> None:
    sandbox = VerdictSandbox()
    context = RecodeContext(CompletionEngine(sampling_model()), sandbox, GenerationConfig(n=3, temperature=0.8))
    [camel] = seeded_perturbations(SNAKE, [context.transform("FuncRenameCamelCase")]).perturbations
    batch = CaseBatch(context, [camel])
    assert batch.outcome(camel) == CaseOutcome("t/0", "FuncRenameCamelCase", "function_name", 0, 1,
                                               (True, False, True), (True, True, True))
    evaluated = batch.nominal(camel)
    assert evaluated.completions == ("    return x + 1\n", "    return x\n", "    return x + 1\n")
    assert (evaluated.completion, evaluated.result) == (evaluated.completions[0], evaluated.results[0])
    # one sandbox call; identical programs run once (two distinct nominal programs, one perturbed)
    assert [len(b) for b in sandbox.batches] == [3]


def test_greedy_evaluation_is_one_completion_as_before() -> None:
    sandbox = VerdictSandbox()
    context = RecodeContext(CompletionEngine(CallableModel(lambda ps: ["    return x + 1\n"] * len(ps))), sandbox)
    [evaluated] = context.evaluate([SNAKE])
    assert (evaluated.completions, evaluated.passed) == (("    return x + 1\n",), (True,))


def test_a_caller_can_complete_and_run_in_two_steps() -> None:
    sandbox = VerdictSandbox()
    context = RecodeContext(CompletionEngine(CallableModel(lambda ps: ["    return x + 1\n"] * len(ps))), sandbox)
    [camel] = seeded_perturbations(SNAKE, [context.transform("FuncRenameCamelCase")]).perturbations
    problems = [camel.nominal, camel.perturbed]
    evaluated = dict(zip(problems, context.run(problems, context.complete(problems))))
    batch = CaseBatch(context, [camel], evaluated)
    assert batch.outcome(camel).perturbed == (True,)
    assert len(sandbox.batches) == 1  # the batch did not evaluate again


@given(st.lists(st.text(min_size=1, max_size=8), unique=True, max_size=60), st.integers(1, 7), st.randoms())
def test_shards_split_the_problems_whatever_their_order(task_ids: list[str], count: int, random) -> None:
    shards = [Shard(i, count).select(task_ids, key=str) for i in range(1, count + 1)]
    assert sorted(t for shard in shards for t in shard) == sorted(task_ids)  # every problem once
    assert max(map(len, shards)) - min(map(len, shards)) <= 1  # sizes differ by one at most
    for shard in shards:  # each keeps the given order
        assert shard == [t for t in task_ids if t in set(shard)]
    shuffled = list(task_ids)
    random.shuffle(shuffled)
    for i, shard in enumerate(shards, start=1):  # membership depends on the task ids alone
        assert set(Shard(i, count).select(shuffled, key=str)) == set(shard)


def test_the_split_is_fixed() -> None:
    # The same on every machine and Python: the split of builtin/0..9 into 3 shards, written down.
    ids = [f"builtin/{i}" for i in range(10)]
    assert [Shard(i, 3).select(ids, key=str) for i in (1, 2, 3)] == [
        ["builtin/1", "builtin/4", "builtin/6", "builtin/7"],
        ["builtin/0", "builtin/5", "builtin/9"],
        ["builtin/2", "builtin/3", "builtin/8"],
    ]


@pytest.mark.parametrize("text", ["0/3", "4/3", "1", "a/b", "1/0", "-1/2", ""])
def test_a_bad_shard_says_what_fits(text: str) -> None:
    with pytest.raises(InvalidArgument, match=r"I/N"):
        Shard.parse(text)


def test_shard_text_round_trips() -> None:
    assert str(Shard.parse(" 2/5 ")) == "2/5"
