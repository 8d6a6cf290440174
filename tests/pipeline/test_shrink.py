"""The batched shrinker: a 1-minimal failing perturbation, a batch of candidates per round."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_recode import Edit, load_problems
from pytest_recode.pipeline import Shrinker
from pytest_recode.pipeline._shrink import atoms_of
from pytest_recode.strategies import AnyPerturbation, Composition, Recipe, recipe_steps
from pytest_recode.transforms import Transform, baseline, get_transform

PROBLEM = load_problems("humaneval")[0]
TRANSFORMS: dict[str, Transform] = {}


def transform(name: str) -> Transform:
    if name not in TRANSFORMS:
        TRANSFORMS[name] = get_transform(name)
    return TRANSFORMS[name]


TYPOS = transform("ButterFingersPerturbation")
BASE = baseline(PROBLEM, "docstring")
SITES = TYPOS.sites(BASE)


def edited_sites(perturbation: AnyPerturbation) -> set[tuple[str, int]]:
    return {(step.transform, e.site) for step in recipe_steps(perturbation) for e in step.edits}


class Judge:
    """Fails when every required (transform, site) is edited; counts rounds and candidates."""

    def __init__(self, required: set[tuple[str, int]]) -> None:
        self.required = required
        self.batches: list[int] = []

    def __call__(self, candidates: Sequence[AnyPerturbation]) -> list[bool]:
        self.batches.append(len(candidates))
        return [self.required <= edited_sites(c) for c in candidates]


def shrink(failing: AnyPerturbation, judge: Judge, budget: int = 10_000) -> tuple[AnyPerturbation, bool]:
    shrinker = Shrinker(transform, judge, lambda: sum(judge.batches) >= budget)
    result = shrinker.shrink(failing)
    return result.perturbation, result.proven


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.sets(st.integers(0, len(SITES) - 1), min_size=1, max_size=3).flatmap(
    lambda needed: st.tuples(st.just(needed), st.sets(st.integers(0, len(SITES) - 1), max_size=12))))
def test_ddmin_finds_exactly_the_edits_that_are_needed(sets: tuple[set[int], set[int]]) -> None:
    needed, extra = sets
    failing = TYPOS.perturb_with(BASE, [Edit(i, 0) for i in sorted(needed | extra)])
    judge = Judge({(TYPOS.name, i) for i in needed})
    minimal, proven = shrink(failing, judge)
    assert proven and edited_sites(minimal) == judge.required


def test_a_round_is_one_batch_and_rounds_grow_with_the_log_of_the_size() -> None:
    failing = TYPOS.perturb_with(BASE, [Edit(i, 0) for i in range(32)])
    judge = Judge({(TYPOS.name, 17)})
    minimal, proven = shrink(failing, judge)
    assert proven and minimal.size == 1
    assert len(judge.batches) <= 7  # 32 -> 16 -> 8 -> 4 -> 2 -> 1, then nothing left to prove


def test_options_are_lowered_to_the_most_natural_one() -> None:
    failing = TYPOS.perturb_with(BASE, [Edit(3, 2), Edit(9, 1)])
    minimal, _ = shrink(failing, Judge({(TYPOS.name, 3)}))
    assert [(e.site, e.option) for e in minimal.edits] == [(3, 0)]


def test_a_composition_drops_the_transform_that_does_not_matter() -> None:
    camel = transform("FuncRenameCamelCase")
    failing = Recipe.parse("ButterFingersPerturbation[1,5,8]+FuncRenameCamelCase[0]").apply(PROBLEM, transform)
    assert isinstance(failing, Composition)
    minimal, proven = shrink(failing, Judge({(camel.name, 0)}))
    assert proven and minimal.transform == "FuncRenameCamelCase" and minimal.size == 1
    assert minimal.nominal == BASE  # the baseline stays the one the composition started from


def test_both_transforms_kept_when_both_matter() -> None:
    failing = Recipe.parse("ButterFingersPerturbation[1,5,8]+FuncRenameCamelCase[0]").apply(PROBLEM, transform)
    minimal, proven = shrink(failing, Judge({(TYPOS.name, 5), ("FuncRenameCamelCase", 0)}))
    assert proven and Recipe.of(minimal).text() == "ButterFingersPerturbation[5]+FuncRenameCamelCase[0]"


def test_a_spent_budget_returns_the_smallest_failure_so_far_unproven() -> None:
    failing = TYPOS.perturb_with(BASE, [Edit(i, 0) for i in range(32)])
    judge = Judge({(TYPOS.name, 3), (TYPOS.name, 29)})
    minimal, proven = shrink(failing, judge, budget=4)
    assert not proven and judge.required <= edited_sites(minimal) and minimal.size < 32


def test_atoms_name_their_sites() -> None:
    failing = TYPOS.perturb_with(BASE, [Edit(0, 1)])
    (atom,) = atoms_of(failing, lambda t, p: (t if isinstance(t, Transform) else transform(t)).sites(p))
    assert (atom.step, atom.site, atom.option, atom.original) == (0, 0, 1, SITES[0].original)
