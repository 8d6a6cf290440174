"""The seeded enumeration of perturbations (one set of rules) and the batched evaluation behind every case."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_recode import CaseOutcome, GenerationConfig, Problem, load_problems
from pytest_recode.pipeline import CaseBatch, RecodeContext, round_robin, seeded_perturbations
from pytest_recode.pipeline._dataset import base_problems
from pytest_recode.problems import partial_variant
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
    seeded = seeded_perturbations(SNAKE, [camel], seeds=5)
    assert [p.perturbed.entry_point for p in seeded.perturbations] == ["addOne"]
    assert [p.seed for p in seeded.perturbations] == [0]
    assert seeded.not_applicable == ()


def test_not_applicable_transforms_are_reported_once() -> None:
    one_word = SNAKE.with_changes(prompt=SNAKE.prompt.replace("add_one", "inc"), entry_point="inc")
    seeded = seeded_perturbations(one_word, [get_transform("FuncRenameCamelCase")], seeds=3)
    assert seeded.perturbations == ()
    assert [(s.transform, s.task_id) for s in seeded.not_applicable] == [("FuncRenameCamelCase", "t/0")]


def test_code_transforms_start_from_the_partial_code_variant() -> None:
    problem = load_problems("humaneval")[0]
    seeded = seeded_perturbations(problem, [get_transform("FuncRenameCamelCase"), get_transform("tab_indent")])
    camel, tabs = seeded.perturbations
    assert camel.nominal is problem  # function-name transforms perturb the whole prompt
    assert tabs.nominal == partial_variant(problem)


def test_one_line_bodies_are_perturbed_whole_as_recode_files_do() -> None:
    # One rule for the plugin and `recode perturb`: without a partial variant, the baseline is the problem.
    one_line = SNAKE
    assert partial_variant(one_line) is None
    seeded = seeded_perturbations(one_line, [get_transform("new_line_aftercode")])
    assert [p.nominal for p in seeded.perturbations] == [one_line]
    assert base_problems([one_line], "format") == [one_line]


def test_a_budget_is_spread_round_robin_over_categories() -> None:
    problem = load_problems("humaneval")[0]
    names = ["ButterFingersPerturbation", "ChangeCharCase", "SwapCharactersPerturbation", "FuncRenameCamelCase",
             "FuncRenameSwapChar"]
    transforms = [get_transform(name) for name in names]
    assert [t.name for t in round_robin(transforms)] == [
        "ButterFingersPerturbation", "FuncRenameCamelCase", "ChangeCharCase", "FuncRenameSwapChar",
        "SwapCharactersPerturbation"]
    seeded = seeded_perturbations(problem, transforms, seeds=2, limit=3)
    assert [(p.transform, p.seed) for p in seeded.perturbations] == [
        ("ButterFingersPerturbation", 0), ("FuncRenameCamelCase", 0), ("ChangeCharCase", 0)]
    seeded = seeded_perturbations(problem, transforms, seeds=2, limit=7)
    assert [(p.transform, p.seed) for p in seeded.perturbations][5:] == [
        ("ButterFingersPerturbation", 1), ("ChangeCharCase", 1)]  # seeds after every transform; camel has one


def test_one_generation_call_and_one_execution_call_per_problem() -> None:
    calls: list[list[str]] = []

    def model(prompts: list[str]) -> list[str]:
        calls.append(prompts)
        return ["    return x + 1\n" for _ in prompts]

    sandbox = CountingSandbox()
    context = RecodeContext(CompletionEngine(CallableModel(model)), sandbox, GenerationConfig())
    found = seeded_perturbations(SNAKE, [context.transform("FuncRenameCamelCase")]).perturbations
    batch = CaseBatch(context, found)
    outcomes = [batch.outcome(p) for p in found]
    assert outcomes == [CaseOutcome("t/0", "FuncRenameCamelCase", "function_name", 0, 1, (True,), (True,))]
    assert len(calls) == 1 and len(calls[0]) == 2  # the nominal and the perturbed prompt, together
    assert len(sandbox.batches) == 1 and len(sandbox.batches[0]) == 2
    assert context.engine.stats.generated == 2


def test_case_outcome_survives_json() -> None:
    outcome = CaseOutcome("t/0", "FuncRenameCamelCase", "function_name", None, 1, (True,), (False,),
                          verdict="differs", source="search", recipe="FuncRenameCamelCase[0]", failed=True)
    assert CaseOutcome.from_json(outcome.to_json()) == outcome
