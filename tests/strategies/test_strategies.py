"""The public Hypothesis strategies: what they draw, that it replays, and that shrinking means smaller."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis import find

from pytest_recode import Composition, InvalidArgument, Perturbation, Problem, Recipe, load_problems
from pytest_recode.strategies import compositions, perturbations, perturbed_problems
from pytest_recode.transforms import PARTIAL_CODE_CATEGORIES, get_transform

HUMANEVAL = load_problems("humaneval")
FIRST = HUMANEVAL[0]
QUICK = settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
#: One strategy per problem, built once: a strategy computes each transform's sites once per problem.
SOME = {p: compositions(p, max_transforms=2) for p in HUMANEVAL[:4]}


@QUICK
@given(st.data())
def test_every_drawn_perturbation_changes_the_prompt_and_replays_from_its_recipe(data: st.DataObject) -> None:
    problem = data.draw(st.sampled_from(list(SOME)))
    drawn = data.draw(SOME[problem])
    assert drawn.changed
    compile(drawn.perturbed.prompt + drawn.perturbed.canonical_solution, "<drawn>", "exec")
    recipe = Recipe.of(drawn)
    assert Recipe.parse(recipe.text()) == recipe
    replayed = recipe.apply(problem, get_transform)
    assert replayed.perturbed == drawn.perturbed
    assert replayed.size == drawn.size == recipe.size


@QUICK
@given(perturbations(FIRST, categories=["syntax", "format"]))
def test_code_transforms_perturb_the_partial_code(perturbation: Perturbation) -> None:
    assert perturbation.category in PARTIAL_CODE_CATEGORIES
    assert perturbation.nominal.partial


@QUICK
@given(compositions(FIRST, transforms=["ButterFingersPerturbation", "FuncRenameCamelCase", "new_lines"],
                    max_transforms=3))
def test_compositions_chain_different_transforms(drawn: Perturbation | Composition) -> None:
    if isinstance(drawn, Composition):
        names = [step.transform for step in drawn.steps]
        assert len(set(names)) == len(names) <= 3
        for before, after in zip(drawn.steps, drawn.steps[1:]):
            assert after.nominal == before.perturbed
        assert drawn.transform == "+".join(names)
        assert drawn.size == sum(step.size for step in drawn.steps)


def test_transforms_that_do_not_apply_are_never_drawn() -> None:
    # A one-word name has no snake_case to camelCase; the masked-model renamer cannot run here.
    one_word = Problem("t/0", 'def double(x):\n    """Twice x, the number given.\n    """\n', "double",
                       "    return 2 * x\n", "def check(candidate):\n    assert candidate(2) == 4\n")
    seen = set()

    @QUICK
    @given(perturbations(one_word, transforms=["FuncRenameCamelCase", "ChangeCharCase", "VarRenamerCB"]))
    def collect(perturbation: Perturbation) -> None:
        seen.add(perturbation.transform)

    collect()
    assert seen == {"ChangeCharCase"}


def test_hypothesis_shrinks_to_one_edit_at_the_earliest_site_with_option_zero() -> None:
    closer = find(perturbations(FIRST, transforms=["ButterFingersPerturbation"]),
                  lambda p: "closer" not in p.perturbed.prompt,
                  settings=settings(database=None, max_examples=500, deadline=None))
    sites = get_transform("ButterFingersPerturbation").sites(FIRST)
    assert closer.size == 1
    (edit,) = closer.edits
    assert (sites[edit.site].original, edit.option) == ("c", 0)  # the first letter of "closer", first option


def test_two_word_bug_shrinks_to_the_two_edits() -> None:
    both = find(perturbations(FIRST, transforms=["ButterFingersPerturbation"]),
                lambda p: "closer" not in p.perturbed.prompt and " other " not in p.perturbed.prompt,
                settings=settings(database=None, max_examples=1000, deadline=None))
    assert both.size == 2


def test_composition_shrinks_to_fewer_transforms() -> None:
    camel = find(compositions(FIRST, transforms=["ButterFingersPerturbation", "FuncRenameCamelCase"]),
                 lambda p: "hasCloseElements" in p.perturbed.prompt,
                 settings=settings(database=None, max_examples=500, deadline=None))
    assert isinstance(camel, Perturbation) and camel.transform == "FuncRenameCamelCase"


@QUICK
@given(perturbed_problems(FIRST, transforms=["FuncRenameCamelCase"]))
def test_perturbed_problems_are_ready_problems(problem: Problem) -> None:
    assert problem.entry_point == "hasCloseElements" and "def hasCloseElements(" in problem.prompt


def draw_one(strategy: st.SearchStrategy[object]) -> object:
    return find(strategy, lambda _: True, settings=settings(database=None, max_examples=1))


def test_building_never_raises_and_drawing_names_the_argument() -> None:
    strategy = perturbations(FIRST, transforms=["FuncRenameCamelcase"])  # misspelt: fine until drawn
    with pytest.raises(InvalidArgument, match=r"transforms\[0\]='FuncRenameCamelcase'.*Did you mean "
                                              r"'FuncRenameCamelCase'\?"):
        draw_one(strategy)
    with pytest.raises(InvalidArgument, match=r"max_edits=0 must be None or an int of at least 1"):
        draw_one(perturbations(FIRST, max_edits=0))
    with pytest.raises(InvalidArgument, match=r"transforms='ChangeCharCase' is a single value"):
        draw_one(perturbations(FIRST, transforms="ChangeCharCase"))  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=r"give transforms= or categories=, not both"):
        draw_one(perturbations(FIRST, transforms=["ChangeCharCase"], categories=["docstring"]))


@pytest.mark.parametrize(("text", "message"), [
    ("ButterFingerPerturbation[1]", r"'ButterFingerPerturbation' is not a transform\. Did you mean "
                                    r"'ButterFingersPerturbation'\?"),
    ("ChangeCharCase[a]", r"'ChangeCharCase\[a\]' is not a step like"),
    ("ChangeCharCase[]", r"step ChangeCharCase names no edit"),
    ("", r"expected steps like"),
])
def test_bad_recipes_say_what_fits(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        Recipe.parse(text)


def test_recipe_text_names_sites_options_and_an_unusual_baseline() -> None:
    recipe = Recipe.parse("partial:ButterFingersPerturbation[3,12.1]+FuncRenameCamelCase[0]")
    assert recipe.partial is True and recipe.size == 3
    assert recipe.text() == "partial:ButterFingersPerturbation[3,12.1]+FuncRenameCamelCase[0]"
    drawn = recipe.apply(FIRST, get_transform)
    assert isinstance(drawn, Composition) and drawn.nominal.partial
    assert Recipe.of(drawn) == recipe
