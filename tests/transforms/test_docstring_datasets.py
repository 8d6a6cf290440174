"""Every docstring and function-name transform on every HumanEval (and MBPP) problem keeps the program working."""

from __future__ import annotations

import pytest

from pytest_recode.execution import SandboxConfig, open_sandbox
from pytest_recode.execution import TestJob as Job
from pytest_recode.problems import Problem, load_problems
from pytest_recode.transforms import get_transform, transform_names
from pytest_recode.transforms._nl import text_view, wordnet_missing

DOCSTRING = [n for n in transform_names(["docstring"]) if n != "BackTranslation"]
FUNCTION_NAME = list(transform_names(["function_name"]))
WORDNET = {"SynonymSubstitution", "SynonymInsertion", "FuncRenameSynonymSub"}


def _names(names: list[str]) -> list[str]:
    return [n for n in names if n not in WORDNET or wordnet_missing() is None]


def _perturbed(problems: list[Problem], names: list[str], seeds: range) -> list[tuple[str, Problem, Problem]]:
    out = []
    for name in names:
        transform = get_transform(name)
        for problem in problems:
            for seed in seeds if transform.randomized else range(1):
                result = transform.perturb(problem, seed)
                if result:
                    out.append((name, problem, result.perturbed))
    return out


def _check_docstring_only(nominal: Problem, perturbed: Problem) -> None:
    view = text_view(nominal.prompt, nominal.entry_point)
    assert view is not None
    assert perturbed.prompt[: view.docstring.text_start] == nominal.prompt[: view.docstring.text_start]
    assert perturbed.prompt.endswith(nominal.prompt[view.docstring.text_end :])


def test_humaneval_docstring_transforms_parse_and_stay_in_the_docstring() -> None:
    problems = load_problems("humaneval")
    for name, nominal, perturbed in _perturbed(problems, _names(DOCSTRING), range(1)):
        compile(perturbed.reference_program, f"{name} {nominal.task_id}", "exec")
        _check_docstring_only(nominal, perturbed)


# MBPP/123's reference solution takes ~2.6 s alone; a loaded machine must not turn it into a timeout.
GENEROUS = SandboxConfig(timeout_s=30)


def _run(pairs: list[tuple[str, Problem, Problem]]) -> list[tuple[str, str, str]]:
    with open_sandbox(GENEROUS) as sandbox:
        results = sandbox.run_many([Job(p.reference_program, p.test, p.entry_point) for _, _, p in pairs])
    return [(name, nominal.task_id, r.status.value) for (name, nominal, _), r in zip(pairs, results) if not r.passed]


@pytest.mark.slow
def test_humaneval_canonical_solutions_pass_after_every_transform_and_seed() -> None:
    problems = load_problems("humaneval")
    pairs = _perturbed(problems, _names(DOCSTRING + FUNCTION_NAME), range(5))
    for name, nominal, perturbed in pairs:
        if name in DOCSTRING:
            _check_docstring_only(nominal, perturbed)
    assert len(pairs) > 8000
    assert _run(pairs) == []


# Two tests, so that xdist spreads MBPP's programs over its workers.
@pytest.mark.slow
@pytest.mark.parametrize("names", [DOCSTRING, FUNCTION_NAME], ids=["docstring", "function_name"])
def test_mbpp_canonical_solutions_pass_after_every_transform(mbpp_path: str, names: list[str]) -> None:
    problems = load_problems("mbpp", mbpp_path=mbpp_path)
    with open_sandbox(GENEROUS) as sandbox:
        nominal = sandbox.run_many([Job(p.reference_program, p.test, p.entry_point) for p in problems])
    passing = [p for p, r in zip(problems, nominal) if r.passed]
    assert len(passing) >= 950
    pairs = _perturbed(passing, _names(names), range(1))
    for name, nominal_problem, perturbed in pairs:
        if name in DOCSTRING:
            _check_docstring_only(nominal_problem, perturbed)
    failures = _run(pairs)
    assert failures == []
