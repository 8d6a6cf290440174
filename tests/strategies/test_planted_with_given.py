"""The planted bugs reached by a user's own ``@given(perturbations(problem))`` test, no plugin involved:
Hypothesis finds each one and shrinks it to exactly the planted perturbation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from planted import BUG_NAMES, TASK_ID, PlantedModel, bug

from pytest_recode import GenerationConfig, Perturbation, load_problems
from pytest_recode.execution import Sandbox, SandboxConfig, open_sandbox
from pytest_recode.strategies import perturbations

PROBLEM = next(p for p in load_problems("humaneval") if p.task_id == TASK_ID)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with open_sandbox(SandboxConfig(workers=1)) as opened:
        yield opened


@pytest.mark.slow  # Hypothesis judges one example at a time: a few hundred sandbox runs per bug
@pytest.mark.parametrize("name", BUG_NAMES)
def test_plain_given_shrinks_to_the_planted_perturbation(name: str, sandbox: Sandbox) -> None:
    planted = bug(name)
    model = PlantedModel(planted, [PROBLEM])  # the reference answers of this problem alone: quick to match
    failing: list[Perturbation] = []
    passed: dict[str, bool] = {}  # as a user would: the same prompt is not run twice

    @settings(database=None, deadline=None, max_examples=300, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(perturbations(PROBLEM, transforms=[planted.transform]))
    def test_my_model_is_robust(perturbation: Perturbation) -> None:
        prompt = perturbation.perturbed.prompt
        if prompt not in passed:
            completion = model.complete([prompt], GenerationConfig())[0][0]
            passed[prompt] = sandbox.run_tests(prompt + completion, perturbation.perturbed.test,
                                               perturbation.perturbed.entry_point).passed
        if not passed[prompt]:
            failing.append(perturbation)
            raise AssertionError(f"{perturbation.describe()} breaks the model")

    with pytest.raises(AssertionError):
        test_my_model_is_robust()
    minimal = failing[-1]  # Hypothesis replays the minimal failing example last
    assert (minimal.transform, minimal.size) == (planted.transform, planted.size)
    assert planted.breaks(minimal.perturbed.prompt)
