"""The reference model answers from canonical solutions, by the closest known prompt."""

from __future__ import annotations

from pytest_recode import GenerationConfig, ReferenceModel, load_problems
from pytest_recode.problems import partial_variant


def test_nominal_prompts_get_their_canonical_solution() -> None:
    problems = load_problems("humaneval")[:20]
    model = ReferenceModel(problems)
    completions = model.complete([p.prompt for p in problems], GenerationConfig())
    assert completions == [[p.canonical_solution] for p in problems]


def test_partial_prompts_get_the_rest_of_the_solution() -> None:
    problem = load_problems("humaneval")[0]
    partial = partial_variant(problem)
    assert partial is not None
    model = ReferenceModel([problem])
    assert model.complete([partial.prompt], GenerationConfig()) == [[partial.canonical_solution]]


def test_perturbed_prompts_get_the_closest_problem() -> None:
    problems = load_problems("humaneval")[:10]
    model = ReferenceModel(problems)
    typo = problems[3].prompt.replace("Your task", "Yuor task").replace("balance", "balanse", 1)
    assert typo != problems[3].prompt
    assert model.complete([typo], GenerationConfig(n=2)) == [[problems[3].canonical_solution] * 2]


def test_fingerprint_depends_on_the_problems() -> None:
    problems = load_problems("humaneval")
    assert ReferenceModel(problems[:3]).fingerprint() == ReferenceModel(problems[:3]).fingerprint()
    assert ReferenceModel(problems[:3]).fingerprint() != ReferenceModel(problems[:4]).fingerprint()


def test_answers_follow_the_prompt_indentation() -> None:
    problem = load_problems("humaneval")[0]
    model = ReferenceModel([problem])
    tabbed = problem.prompt.replace("    ", "\t").replace("numbers:", "numbrs:")
    (answer,), = model.complete([tabbed], GenerationConfig())
    assert answer == problem.canonical_solution.replace("    ", "\t")
