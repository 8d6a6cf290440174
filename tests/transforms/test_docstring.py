"""Docstring transforms: exact before/after pairs, protection, shrinkable subsets, ReCode's defects."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_recode.problems import Problem, load_problems
from pytest_recode.transforms import Edit, get_transform, transform_names
from pytest_recode.transforms._nl import text_view, wordnet_missing

HUMANEVAL = {p.task_id: p for p in load_problems("humaneval")}
LOCAL = [n for n in transform_names(["docstring"]) if n != "BackTranslation"]
WORDNET = {"SynonymSubstitution", "SynonymInsertion"}
RANDOMIZED = [n for n in LOCAL if get_transform(n).randomized]
needs_wordnet = pytest.mark.skipif(wordnet_missing() is not None, reason=str(wordnet_missing()))


def _available(name: str) -> None:
    if name in WORDNET and wordnet_missing() is not None:
        pytest.skip(str(wordnet_missing()))


def _sentence(prompt: str, start: str) -> str:
    at = prompt.index(start)
    return prompt[at : prompt.index("\n", at)]


@pytest.mark.parametrize(
    ("name", "task_id", "start", "expected"),
    [
        ("TenseTransformationPast", "HumanEval/1", "Input",
         "Input to this function was a string containing multiple groups of nested parentheses. Your goal was to"),
        ("TenseTransformationPast", "HumanEval/1", "Separate",
         "Separate groups were balanced (each open brace was properly closed) and not nested within each other"),
        ("TenseTransformationPast", "HumanEval/81", "The only",
         "The only problem was, she had lost the code she used for grading."),
        ("TenseTransformationPast", "HumanEval/2", "Given",
         "Given a positive floating point number, it could be decomposed into"),
        ("TenseTransformationPast", "HumanEval/29", "Filter",
         "Filtered an input list of strings only for ones that started with a given prefix."),
        ("TenseTransformationPast", "HumanEval/8", "Empty",
         "Empty sum should have been equal to 0 and empty product should have been equal to 1."),
        ("TenseTransformationFuture", "HumanEval/9", "From",
         "From a given list of integers, will generate a list of rolling maximum element found until given moment"),
        ("TenseTransformationFuture", "HumanEval/3", "You",
         "You will be given a list of deposit and withdrawal operations on a bank account that will start with"),
        ("TenseTransformationFuture", "HumanEval/64", "a word",
         "a word as input and will return the number of vowels in the string."),
        ("TenseTransformationFuture", "HumanEval/81", "She",
         "She will have given you a list of GPAs for some students and you will have to write "),
        ("TenseTransformationFuture", "HumanEval/17", "Your task",
         "Your task will be to parse this string and return list of integers corresponding to how many beats will each"),
    ],
)
def test_tense_sentences(name: str, task_id: str, start: str, expected: str) -> None:
    result = get_transform(name).perturb(HUMANEVAL[task_id])
    assert result and _sentence(result.perturbed.prompt, start) == expected


def test_participles_keep_their_form_and_imperatives_become_descriptions() -> None:
    # ReCode: "in will give list of numbers", "will nest parentheses", "should was equal to 0".
    past = get_transform("TenseTransformationPast").perturb(HUMANEVAL["HumanEval/2"])
    assert past and "    Returned the decimal part of the number." in past.perturbed.prompt
    assert "given number" in past.perturbed.prompt and "gave" not in past.perturbed.prompt
    future = get_transform("TenseTransformationFuture").perturb(HUMANEVAL["HumanEval/0"])
    assert future
    assert '""" Will check if in given list of numbers, are any two numbers closer' in future.perturbed.prompt
    # "are any two numbers closer": the subject follows the verb, so no "will be any two numbers".
    assert [site.original for site in get_transform("TenseTransformationFuture").sites(HUMANEVAL["HumanEval/0"])] \
        == ["Check"]


def test_a_noun_that_opens_a_sentence_is_no_imperative() -> None:
    # "Input to this function is a string": "Input" is the subject, not "Will input to this function".
    sites = get_transform("TenseTransformationFuture").sites(HUMANEVAL["HumanEval/1"])
    assert [site.original for site in sites] == ["is", "is", "are", "is"]


def test_will_and_modals_move_to_the_past_with_their_verb() -> None:
    code = 'def f(x):\n    """It will be sorted. It will not fail. They will be kept. You must sort it."""\n'
    past = get_transform("TenseTransformationPast").perturb(Problem("T/0", code, "f", "    return x\n", ""))
    assert past and '"""It was sorted. It did not fail. They were kept. You had to sort it."""' in past.perturbed.prompt


_UNGRAMMATICAL = re.compile(
    r"\bwill (?:is|are|was|were|has|have been being|does|did|will|would|given|nested|\w+ed)\b"
    r"|\b(?:was|were|had|did) (?:is|are|was|were|has|does)\b|\bwill be be\b|\bwill Return\b"
    r"|\b(?:should|could|would|might|must|to) (?:will|was|were|\w+ed)\b|\bgave\b",
)


@pytest.mark.parametrize("name", ["TenseTransformationPast", "TenseTransformationFuture"])
def test_tense_output_on_a_sample_has_no_known_bad_forms(name: str) -> None:
    transform = get_transform(name)
    changed = 0
    for task_id in [f"HumanEval/{i}" for i in range(0, 164, 8)]:  # 21 problems
        result = transform.perturb(HUMANEVAL[task_id])
        if not result:
            continue
        changed += result.changed
        text = result.perturbed.prompt
        found = set(_UNGRAMMATICAL.findall(text.replace("will need", "")))
        assert not found - set(_UNGRAMMATICAL.findall(HUMANEVAL[task_id].prompt)), (task_id, text)  # 112: "to deleted"
        for site in transform.sites(HUMANEVAL[task_id]):
            assert site.original.lower() not in ("given", "nested", "sorted", "containing"), (task_id, site)
    assert changed >= 12


def test_tense_subset_shrinks() -> None:
    transform = get_transform("TenseTransformationFuture")
    problem = HUMANEVAL["HumanEval/1"]
    sites = transform.sites(problem)
    assert [s.original for s in sites[:2]] == ["is", "is"]
    one = transform.apply(problem, [Edit(1)])
    assert "Your goal will be to" in one.prompt and "function is a string" in one.prompt


def _outside_text_unchanged(nominal: Problem, perturbed: Problem) -> None:
    view = text_view(nominal.prompt, nominal.entry_point)
    assert view is not None
    doc = view.docstring
    assert perturbed.prompt[: doc.text_start] == nominal.prompt[: doc.text_start]
    assert perturbed.prompt.endswith(nominal.prompt[doc.text_end :])
    # Every protected piece (identifier, quoted value, code) is still there, in order.
    region = perturbed.prompt[doc.text_start : len(perturbed.prompt) - (len(nominal.prompt) - doc.text_end)]
    position = 0
    for piece in view.pieces:
        if piece.protected:
            found = region.find(piece.text, position)
            assert found >= 0, piece
            position = found + len(piece.text)


@pytest.mark.parametrize("name", LOCAL)
@settings(max_examples=25, deadline=None)
@given(index=st.integers(0, 163), seed=st.integers(0, 2**32 - 1))
def test_only_the_docstring_text_changes(name: str, index: int, seed: int) -> None:
    _available(name)
    problem = HUMANEVAL[f"HumanEval/{index}"]
    result = get_transform(name).perturb(problem, seed)
    if not result:
        return
    compile(result.perturbed.reference_program, problem.task_id, "exec")
    _outside_text_unchanged(problem, result.perturbed)
    assert result.perturbed.canonical_solution == problem.canonical_solution
    assert result.perturbed.test == problem.test and result.perturbed.entry_point == problem.entry_point


NO_EXAMPLE = Problem(
    "T/noexample",
    'def add(x, y):\n    """Return the sum of x and y, which are given numbers."""\n',
    "add",
    "    return x + y\n",
    "def check(c):\n    assert c(2, 3) == 5\n",
)


@pytest.mark.parametrize("name", LOCAL)
def test_docstring_without_examples_keeps_its_quotes(name: str) -> None:
    # ReCode's synonym transforms turned the closing quotes into `" " "` here (88 of 164 prompts).
    _available(name)
    transform = get_transform(name)
    for seed in range(10):
        result = transform.perturb(NO_EXAMPLE, seed)
        if not result:
            continue
        prompt = result.perturbed.prompt
        assert prompt.startswith('def add(x, y):\n    """') and prompt.endswith('"""\n')
        namespace: dict[str, object] = {}
        exec(prompt + NO_EXAMPLE.canonical_solution, namespace)  # noqa: S102 - our own fixed program
        assert namespace["add"](2, 3) == 5  # type: ignore[operator]
        assert re.search(r"\bx\b", prompt) and re.search(r"\by\b", prompt)


@pytest.mark.parametrize("name", RANDOMIZED)
def test_same_seed_same_output_and_independent_problems(name: str) -> None:
    _available(name)
    transform = get_transform(name)
    twin = NO_EXAMPLE.with_changes(task_id="T/twin")
    a, b = transform.perturb(NO_EXAMPLE, 3), transform.perturb(NO_EXAMPLE, 3)
    assert a and b and a.perturbed == b.perturbed
    # ReCode reused one seed for every problem; here equal texts under other ids draw independently.
    differs = any(
        transform.perturb(NO_EXAMPLE, s).edits != transform.perturb(twin, s).edits  # type: ignore[union-attr]
        for s in range(5)
    )
    assert differs


@pytest.mark.parametrize("name", RANDOMIZED)
def test_every_seed_changes_every_problem_with_sites(name: str) -> None:
    # ReCode: FuncRenameSynonymSub seed 0 changed 0 of 164; nothing here may leave a prompt unchanged.
    _available(name)
    transform = get_transform(name)
    for index in range(0, 164, 4):
        problem = HUMANEVAL[f"HumanEval/{index}"]
        for seed in range(3):
            result = transform.perturb(problem, seed)
            assert not result or result.changed, (problem.task_id, seed)


@pytest.mark.parametrize(
    ("name", "edits", "expected"),
    [
        ("ChangeCharCase", [Edit(0), Edit(2)], "reTurn the sum"),
        ("ButterFingersPerturbation", [Edit(1, 1)], "Rrturn the sum"),
        ("SwapCharactersPerturbation", [Edit(0), Edit(1)], "etRurn the sum"),
        ("WhitespacePerturbation", [Edit(0)], "R eturn the sum"),
        ("EnglishInflectionalVariation", [Edit(0, 0)], "Returns the sum"),
    ],
)
def test_exact_edits(name: str, edits: list[Edit], expected: str) -> None:
    result = get_transform(name).perturb_with(NO_EXAMPLE, edits)
    assert result and expected in result.perturbed.prompt


@needs_wordnet
def test_synonyms_keep_inflection_and_case() -> None:
    problem = NO_EXAMPLE.with_changes(prompt='def add(x, y):\n    """Returns the sums of the numbers."""\n')
    transform = get_transform("SynonymSubstitution")
    sites = {s.original: s.options for s in transform.sites(problem)}
    assert "sums" in sites and all(o.endswith("s") for o in sites["sums"] if " " not in o)
    insertion = get_transform("SynonymInsertion")
    result = insertion.perturb_with(problem, [Edit(0)])
    assert result and result.perturbed.prompt.count("sums") == 1
