"""``compare`` and ``assert_equivalent``: one pair of completions, judged on its own."""

from __future__ import annotations

from ..execution import Sandbox, open_sandbox
from ..problems import Problem
from ._inputs import DEFAULT_INPUTS
from ._judge import EquivalenceJudge
from ._verdict import Verdict

__all__ = ["assert_equivalent", "compare"]


def compare(problem: Problem, nominal_completion: str, perturbed_completion: str, *,
            perturbed_problem: Problem | None = None, sandbox: Sandbox | None = None,
            inputs: int = DEFAULT_INPUTS, seed: int = 0) -> Verdict:
    """Whether two completions of a problem compute the same, on the problem's input set.

    Completions are bodies as the model wrote them, appended to the problem's prompt (to ``perturbed_problem``'s
    for the perturbed one, whose entry point is the one called: a renamed function is called by its new
    name). Without ``sandbox`` a local one is opened for the call and closed after: pass one to judge many.
    """
    if sandbox is None:
        with open_sandbox() as own:
            return compare(problem, nominal_completion, perturbed_completion, perturbed_problem=perturbed_problem,
                           sandbox=own, inputs=inputs, seed=seed)
    judge = EquivalenceJudge(sandbox, inputs=inputs, seed=seed)
    return judge.judge(problem, nominal_completion, perturbed_problem or problem, perturbed_completion)


def assert_equivalent(problem: Problem, nominal_completion: str, perturbed_completion: str, *,
                      perturbed_problem: Problem | None = None, sandbox: Sandbox | None = None,
                      inputs: int = DEFAULT_INPUTS, seed: int = 0) -> Verdict:
    """:func:`compare`, raising ``AssertionError`` with the verdict's description unless it is equivalent."""
    __tracebackhide__ = True
    verdict = compare(problem, nominal_completion, perturbed_completion, perturbed_problem=perturbed_problem,
                      sandbox=sandbox, inputs=inputs, seed=seed)
    if verdict.kind != "equivalent":
        raise AssertionError(verdict.describe())
    return verdict
