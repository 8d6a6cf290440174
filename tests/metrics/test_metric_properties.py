"""Properties of the robustness metrics on generated datasets."""

from __future__ import annotations

from fractions import Fraction
from math import comb

from hypothesis import given
from hypothesis import strategies as st

from pytest_recode.metrics import (
    ProblemOutcome,
    VariantOutcome,
    greedy_scores,
    per_category,
    per_perturbation,
    problem_counts,
    robustness_scores,
)

# Two categories; "R" is randomized (up to three seeds), the others deterministic.
TRANSFORMS = {"R": "first", "D": "first", "E": "second"}


@st.composite
def datasets(draw: st.DrawFn, *, n: int | None = None, complete: bool = False) -> list[ProblemOutcome]:
    """Problems with n paired completions; with ``complete`` every problem has every transform and seed."""
    n = draw(st.integers(1, 5)) if n is None else n
    results = st.tuples(*[st.booleans()] * n)
    seeds = {"R": draw(st.integers(1, 3)), "D": 1, "E": 1}
    outcomes = []
    for index in range(draw(st.integers(1, 6))):
        variants = [
            VariantOutcome(name, category, seed, draw(results))
            for name, category in TRANSFORMS.items()
            if complete or draw(st.booleans())
            for seed in range(seeds[name])
        ]
        outcomes.append(ProblemOutcome(f"P{index}", draw(results), tuple(variants)))
    if not any(o.variants for o in outcomes):
        first = outcomes[0]
        outcomes[0] = ProblemOutcome(first.task_id, first.nominal, (VariantOutcome("D", "first", 0, draw(results)),))
    return outcomes


def ks(outcomes: list[ProblemOutcome]) -> st.SearchStrategy[int]:
    return st.integers(1, outcomes[0].n)


def exact_mean_pass(rows: list[tuple[int, ...]], k: int) -> float:
    """The mean pass@k of prompts given as result rows, computed independently of the package."""
    n = len(rows[0])
    total = sum((1 - Fraction(comb(n - sum(r), k), comb(n, k)) for r in rows), Fraction(0))
    return float(total / len(rows))


@given(st.data())
def test_figures_lie_in_their_ranges(data: st.DataObject) -> None:
    outcomes = data.draw(datasets())
    k = data.draw(ks(outcomes))
    for scores in [*per_perturbation(outcomes, k=k).values(), *per_category(outcomes, k=k).values()]:
        assert 0.0 <= scores.pass_at_k <= 1.0
        assert 0.0 <= scores.robust_pass <= 1.0
        assert 0.0 <= scores.robust_relative <= 2.0
        if k == 1:
            assert scores.robust_relative <= 1.0
        if scores.pass_at_k == 0.0:
            assert scores.robust_drop is None
        else:
            assert scores.robust_drop is not None and scores.robust_drop <= 1.0


@given(st.data())
def test_robust_pass_is_at_most_the_pass_at_k_of_every_single_variant(data: st.DataObject) -> None:
    outcomes = data.draw(datasets(complete=True))
    k = data.draw(ks(outcomes))
    for name in TRANSFORMS:
        robust = robustness_scores(outcomes, k=k, transforms=[name]).robust_pass
        for seed in range(len([v for v in outcomes[0].variants if v.transform == name])):
            rows = [next(v.results for v in o.variants if (v.transform, v.seed) == (name, seed)) for o in outcomes]
            assert robust <= exact_mean_pass(rows, k)
    # per problem, whatever the dataset
    for outcome in data.draw(datasets()):
        counts = problem_counts(outcome)
        for variant in outcome.variants:
            assert counts is not None and counts.robust <= sum(variant.results)


@given(st.data())
def test_robust_pass_is_at_most_pass_at_k_when_the_nominal_is_one_of_the_variants(data: st.DataObject) -> None:
    outcomes = [
        ProblemOutcome(o.task_id, o.nominal, (*o.variants, VariantOutcome("Nominal", "first", 0, o.nominal)))
        for o in data.draw(datasets())
    ]
    k = data.draw(ks(outcomes))
    for name in TRANSFORMS:
        scores = robustness_scores(outcomes, k=k, transforms=[name, "Nominal"])
        assert scores.robust_pass <= scores.pass_at_k
        assert scores.robust_drop is None or scores.robust_drop >= 0.0
    category = per_category(outcomes, k=k)["first"]
    assert category.robust_pass <= category.pass_at_k


@given(st.data())
def test_variants_equal_to_the_nominal_change_nothing(data: st.DataObject) -> None:
    outcomes = [
        ProblemOutcome(o.task_id, o.nominal, tuple(VariantOutcome(v.transform, v.category, v.seed, o.nominal)
                                                   for v in o.variants))
        for o in data.draw(datasets())
    ]
    k = data.draw(ks(outcomes))
    for scores in per_perturbation(outcomes, k=k).values():
        assert scores.robust_pass == scores.pass_at_k
        assert scores.robust_relative == 0.0
        assert scores.robust_drop in (None, 0.0)


@given(datasets(n=1))
def test_greedy_formulas_equal_the_sampled_ones_with_n_and_k_one(outcomes: list[ProblemOutcome]) -> None:
    for name, scores in per_perturbation(outcomes, k=1).items():
        assert greedy_scores(outcomes, transforms=[name], name=name) == scores
    for name, scores in per_category(outcomes, k=1).items():
        assert greedy_scores(outcomes, categories=[name], name=name) == scores
    assert greedy_scores(outcomes) == robustness_scores(outcomes)


@given(st.data())
def test_the_category_worst_case_is_at_most_each_of_its_perturbations(data: st.DataObject) -> None:
    outcomes = data.draw(datasets(complete=True))
    k = data.draw(ks(outcomes))
    table = per_perturbation(outcomes, k=k)
    categories = per_category(outcomes, k=k)
    for name, category in TRANSFORMS.items():
        assert categories[category].robust_pass <= table[name].robust_pass
        assert categories[category].pass_at_k == table[name].pass_at_k
    # per problem, whatever the dataset
    for outcome in data.draw(datasets()):
        for name, category in TRANSFORMS.items():
            single = problem_counts(outcome, transforms=[name])
            whole = problem_counts(outcome, categories=[category])
            if single is not None:
                assert whole is not None and whole.robust <= single.robust
                assert whole.lost >= single.lost and whole.gained >= single.gained


@given(st.data())
def test_more_seeds_never_raise_robust_pass(data: st.DataObject) -> None:
    outcomes = data.draw(datasets(complete=True))
    k = data.draw(ks(outcomes))
    figures = [robustness_scores(outcomes, k=k, transforms=["R"], seeds=s).robust_pass for s in (1, 2, 3)]
    assert figures[0] >= figures[1] >= figures[2]


@given(st.data())
def test_order_of_problems_does_not_matter(data: st.DataObject) -> None:
    outcomes = data.draw(datasets())
    shuffled = data.draw(st.permutations(outcomes))
    k = data.draw(ks(outcomes))
    assert {name: s for name, s in per_perturbation(outcomes, k=k).items()} == per_perturbation(shuffled, k=k)
    assert per_category(outcomes, k=k) == per_category(shuffled, k=k)
    assert [ProblemOutcome.from_json(o.to_json()) for o in outcomes] == outcomes
