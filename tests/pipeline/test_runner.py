"""The seeded enumeration of perturbations and the batched evaluation behind every case."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_recode import GenerationConfig, Problem, load_problems
from pytest_recode._case import CaseBatch, CaseOutcome
from pytest_recode._runner import RecodeContext, seeded_perturbations
from pytest_recode.execution import RunResult, Sandbox, Status
from pytest_recode.execution import TestJob as Job
from pytest_recode.models import CallableModel, CompletionEngine
from pytest_recode.transforms import get_transform

SNAKE = Problem(
    task_id="t/0",
    prompt='def add_one(x):\n    """Add one.\n    >>> add_one(1)\n    2\n    """\n',
    entry_point="add_one",
    canonical_solution="    return x + 1\n",
    test="def check(candidate):\n    assert candidate(1) == 2\n",
)


class CountingSandbox(Sandbox):
    """Runs nothing: every program passes; remembers what it was asked to run."""

    def __init__(self) -> None:
        self.batches: list[list[Job]] = []

    def run(self, program: str, *, timeout: float | None = None) -> RunResult:
        return RunResult(Status.PASSED, 0.0)

    def run_tests(self, program: str, test: str, entry_point: str, *, timeout: float | None = None) -> RunResult:
        return RunResult(Status.PASSED, 0.0)

    def run_many(self, jobs: Sequence[Job], *, timeout: float | None = None) -> list[RunResult]:
        self.batches.append(list(jobs))
        return [RunResult(Status.PASSED, 0.0) for _ in jobs]

    def call(self, program, entry_point, inputs, *, timeout=None):  # type: ignore[no-untyped-def]
        raise NotImplementedError


def test_deterministic_transforms_give_one_variant_whatever_the_seeds() -> None:
    camel = get_transform("FuncRenameCamelCase")
    found, skipped = seeded_perturbations(SNAKE, [camel], seeds=5)
    assert [p.perturbed.entry_point for p in found] == ["addOne"]
    assert [p.seed for p in found] == [0]
    assert skipped == []


def test_not_applicable_transforms_are_reported_once() -> None:
    one_word = SNAKE.with_changes(prompt=SNAKE.prompt.replace("add_one", "inc"), entry_point="inc")
    found, skipped = seeded_perturbations(one_word, [get_transform("FuncRenameCamelCase")], seeds=3)
    assert found == []
    assert [(s.transform, s.task_id) for s in skipped] == [("FuncRenameCamelCase", "t/0")]


def test_code_transforms_start_from_the_partial_code_variant() -> None:
    problem = load_problems("humaneval")[0]
    found, _ = seeded_perturbations(problem, [get_transform("FuncRenameCamelCase")])
    assert found[0].nominal is problem  # function-name transforms perturb the whole prompt


def test_one_generation_call_and_one_execution_call_per_problem() -> None:
    calls: list[list[str]] = []

    def model(prompts: list[str]) -> list[str]:
        calls.append(prompts)
        return ["    return x + 1\n" for _ in prompts]

    sandbox = CountingSandbox()
    context = RecodeContext(CompletionEngine(CallableModel(model)), sandbox, GenerationConfig())
    found, _ = seeded_perturbations(SNAKE, [context.transform("FuncRenameCamelCase")])
    cases = CaseBatch(context, found).cases("equivalent")
    outcomes = [case.outcome() for case in cases]
    assert outcomes == [CaseOutcome("t/0", "FuncRenameCamelCase", "function_name", 0, 1, True, True, True)]
    assert len(calls) == 1 and len(calls[0]) == 2  # the nominal and the perturbed prompt, together
    assert len(sandbox.batches) == 1 and len(sandbox.batches[0]) == 2
    assert context.engine.stats.generated == 2


def test_case_outcome_survives_json() -> None:
    outcome = CaseOutcome("t/0", "FuncRenameCamelCase", "function_name", None, 1, True, False, False)
    assert CaseOutcome.from_json(outcome.to_json()) == outcome
