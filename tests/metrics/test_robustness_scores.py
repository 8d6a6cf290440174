"""RP, RD and RR on small datasets computed by hand, greedy and sampled, per perturbation and category."""

from __future__ import annotations

import pytest

from pytest_recode import InvalidArgument
from pytest_recode.metrics import (
    ProblemCounts,
    ProblemOutcome,
    RobustnessScores,
    VariantOutcome,
    greedy_scores,
    nominal_pass_at_k,
    per_category,
    per_perturbation,
    problem_counts,
    robustness_scores,
)

T, F = True, False


def greedy(task_id: str, nominal: bool, t: tuple[bool, bool, bool], u: bool) -> ProblemOutcome:
    """A problem with three seeds of the randomized transform "T" and the deterministic "U", one category."""
    variants = [VariantOutcome("T", "cat", seed, (passed,)) for seed, passed in enumerate(t)]
    return ProblemOutcome(task_id, (nominal,), (*variants, VariantOutcome("U", "cat", 0, (u,))))


# Greedy, four problems (nominal | T seeds 0,1,2 | U):
#   P1: pass | pass pass pass | fail   T: robust, no flip      U: not robust, flips (lost)
#   P2: pass | pass fail pass | pass   T: not robust, lost     U: robust, no flip
#   P3: fail | fail pass fail | fail   T: not robust, gained   U: not robust, no flip
#   P4: fail | pass pass pass | fail   T: robust (every variant passes though the nominal fails), gained
#                                      U: not robust, no flip
# pass@1 = 2/4 = 0.5 for every row (the same four problems).
# T:   RP = {P1, P4} = 2/4 = 0.5;  RD = (0.5 - 0.5)/0.5 = 0;    RR = {P2, P3, P4} = 3/4
# U:   RP = {P2} = 1/4;            RD = (0.5 - 0.25)/0.5 = 0.5; RR = {P1} = 1/4
# cat (worst case over T's three seeds and U): RP = {} = 0; RD = 1; RR = all four flip = 1
# T with s = 1 (seed 0 only: pass, pass, fail, pass): RP = {P1, P2, P4} = 3/4; RD = (0.5 - 0.75)/0.5 = -0.5
#   (negative: P4 passes perturbed but not nominal); RR = {P4} = 1/4
GREEDY = [
    greedy("P1", T, (T, T, T), F),
    greedy("P2", T, (T, F, T), T),
    greedy("P3", F, (F, T, F), F),
    greedy("P4", F, (T, T, T), F),
]


def test_greedy_per_perturbation_by_hand() -> None:
    table = per_perturbation(GREEDY)
    assert list(table) == ["T", "U"]
    assert table["T"] == RobustnessScores("T", 1, 4, 12, 0.5, 0.5, 0.0, 0.75)
    assert table["U"] == RobustnessScores("U", 1, 4, 4, 0.5, 0.25, 0.5, 0.25)


def test_greedy_per_category_is_the_worst_case_over_transforms_and_seeds() -> None:
    assert per_category(GREEDY) == {"cat": RobustnessScores("cat", 1, 4, 16, 0.5, 0.0, 1.0, 1.0)}


def test_fewer_seeds_can_make_robust_drop_negative() -> None:
    assert per_perturbation(GREEDY, seeds=1)["T"] == RobustnessScores("T", 1, 4, 4, 0.5, 0.75, -0.5, 0.25)


def test_greedy_formulas_agree_with_the_sampled_ones_by_hand() -> None:
    assert greedy_scores(GREEDY, transforms=["T"], name="T") == per_perturbation(GREEDY)["T"]
    assert greedy_scores(GREEDY, categories=["cat"], name="cat") == per_category(GREEDY)["cat"]


def test_per_problem_counts() -> None:
    assert problem_counts(GREEDY[3], transforms=["T"]) == ProblemCounts("P4", 1, 0, 1, 0, 1, 3)
    assert problem_counts(GREEDY[3], categories=["cat"]) == ProblemCounts("P4", 1, 0, 0, 0, 1, 4)
    assert problem_counts(GREEDY[3], transforms=["nothing"]) is None


# Sampled, n = 4 completions (index i is paired across prompts), transform T with two seeds:
#   A: nominal T T F F | seed 0: T F T F | seed 1: T T T F
#      c = 2; robust (all seeds pass) = i0, i2 -> 2; lost (nominal pass, some seed fails) = i1 -> 1;
#      gained (nominal fail, some seed passes) = i2 -> 1
#   B: nominal T T T F | seed 0: F F T F | seed 1: F T T F
#      c = 3; robust = i2 -> 1; lost = i0, i1 -> 2; gained = 0
# k = 1: A: pass 2/4, RP 2/4, RR 1/4 + 1/4;  B: pass 3/4, RP 1/4, RR 2/4 + 0
#   pass = (1/2 + 3/4)/2 = 5/8; RP = (1/2 + 1/4)/2 = 3/8; RD = (5/8 - 3/8)/(5/8) = 2/5; RR = (1/2 + 1/2)/2 = 1/2
# k = 2 (C(4,2) = 6): A: pass 1 - C(2,2)/6 = 5/6, RP 5/6, RR 2 * (1 - C(3,2)/6) = 1
#                     B: pass 1 (n - c = 1 < 2), RP 1 - C(3,2)/6 = 1/2, RR (1 - C(2,2)/6) + 0 = 5/6
#   pass = (5/6 + 1)/2 = 11/12; RP = (5/6 + 1/2)/2 = 2/3; RD = (11/12 - 8/12)/(11/12) = 3/11; RR = 11/12
# k = 3 (C(4,3) = 4): A: pass 1, RP 1, RR 2 * (1 - C(3,3)/4) = 3/2;  B: pass 1, RP 1 - C(3,3)/4 = 3/4, RR 1 + 0
#   pass = 1; RP = 7/8; RD = 1/8; RR = 5/4 (above 1: RR adds two probabilities, as ReCode defines it)
SAMPLED = [
    ProblemOutcome("A", (T, T, F, F), (VariantOutcome("T", "cat", 0, (T, F, T, F)),
                                       VariantOutcome("T", "cat", 1, (T, T, T, F)))),
    ProblemOutcome("B", (T, T, T, F), (VariantOutcome("T", "cat", 0, (F, F, T, F)),
                                       VariantOutcome("T", "cat", 1, (F, T, T, F)))),
]


@pytest.mark.parametrize(
    ("k", "pass_at_k", "robust_pass", "robust_drop", "robust_relative"),
    [
        (1, 5 / 8, 3 / 8, 2 / 5, 1 / 2),
        (2, 11 / 12, 2 / 3, 3 / 11, 11 / 12),
        (3, 1.0, 7 / 8, 1 / 8, 5 / 4),
    ],
)
def test_sampled_by_hand(k: int, pass_at_k: float, robust_pass: float, robust_drop: float,
                         robust_relative: float) -> None:
    assert per_perturbation(SAMPLED, k=k)["T"] == RobustnessScores(
        "T", k, 2, 4, pass_at_k, robust_pass, robust_drop, robust_relative
    )


def test_sampled_counts_by_hand() -> None:
    assert problem_counts(SAMPLED[0]) == ProblemCounts("A", 4, 2, 2, 1, 1, 2)
    assert problem_counts(SAMPLED[1]) == ProblemCounts("B", 4, 3, 1, 2, 0, 2)


def test_k_above_n_names_the_problem() -> None:
    with pytest.raises(InvalidArgument,
                       match=r"k=5 exceeds the 4 completions of A: generate n >= 5 samples or lower k"):
        per_perturbation(SAMPLED, k=5)


def test_relative_can_reach_two_when_k_equals_n() -> None:
    # completion 0 is lost, completion 1 gained; with k = n = 2 each estimate is 1
    outcome = ProblemOutcome("X", (T, F), (VariantOutcome("T", "cat", 0, (F, T)),))
    assert robustness_scores([outcome], k=2).robust_relative == 2.0
    assert robustness_scores([outcome], k=1).robust_relative == 1.0


def test_drop_is_none_when_nothing_passes_nominally() -> None:
    outcomes = [ProblemOutcome("X", (F,), (VariantOutcome("T", "cat", 0, (T,)),)),
                ProblemOutcome("Y", (F,), (VariantOutcome("T", "cat", 0, (F,)),))]
    scores = robustness_scores(outcomes)
    assert scores == RobustnessScores("all", 1, 2, 2, 0.0, 0.5, None, 0.5)
    assert scores.to_json() == {"name": "all", "k": 1, "problems": 2, "variants": 2, "pass_at_k": 0.0,
                                "robust_pass": 0.5, "robust_drop": None, "robust_relative": 0.5}


def test_problems_a_transform_does_not_apply_to_are_left_out_of_its_row() -> None:
    # Y has no U variant: U's row counts X only, nominal pass@k included (Y's nominal fails)
    outcomes = [
        ProblemOutcome("X", (T,), (VariantOutcome("T", "c1", 0, (T,)), VariantOutcome("U", "c2", 0, (F,)))),
        ProblemOutcome("Y", (F,), (VariantOutcome("T", "c1", 0, (F,)),)),
        ProblemOutcome("Z", (T,)),  # no variant at all: in no row, but in the nominal pass@k
    ]
    table = per_perturbation(outcomes)
    assert table["T"] == RobustnessScores("T", 1, 2, 2, 0.5, 0.5, 0.0, 0.0)
    assert table["U"] == RobustnessScores("U", 1, 1, 1, 1.0, 0.0, 1.0, 1.0)
    assert per_category(outcomes) == {"c1": RobustnessScores("c1", 1, 2, 2, 0.5, 0.5, 0.0, 0.0),
                                      "c2": RobustnessScores("c2", 1, 1, 1, 1.0, 0.0, 1.0, 1.0)}
    assert nominal_pass_at_k(outcomes) == 2 / 3


def test_partial_code_baselines_are_separate_records() -> None:
    full = ProblemOutcome("X", (T,), (VariantOutcome("FuncRename", "function_name", 0, (F,)),))
    partial = ProblemOutcome("X", (F,), (VariantOutcome("tab_indent", "format", 0, (T,)),), partial=True)
    table = per_perturbation([full, partial])
    assert table["FuncRename"].pass_at_k == 1.0 and table["FuncRename"].robust_pass == 0.0
    assert table["tab_indent"].pass_at_k == 0.0 and table["tab_indent"].robust_pass == 1.0
    assert nominal_pass_at_k([full, partial]) == 1.0
    assert nominal_pass_at_k([full, partial], partial=True) == 0.0


def test_selection_by_transform_category_and_seed() -> None:
    scores = robustness_scores(GREEDY, transforms=["T", "U"], seeds=1, name="T and U, seed 0")
    # seed 0 of T (pass, pass, fail, pass) and U (fail, pass, fail, fail): robust = {P2}
    assert scores == RobustnessScores("T and U, seed 0", 1, 4, 8, 0.5, 0.25, 0.5, 0.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"transforms": "T"}, r"transforms='T' is a string; did you mean transforms=\['T'\]\?"),
        ({"categories": "cat"}, r"categories='cat' is a string; did you mean categories=\['cat'\]\?"),
        ({"transforms": ["V"]}, r"no problem has a variant of V; the outcomes have variants of \['T', 'U'\]"),
        ({"seeds": 0}, r"seeds=0 must be None \(every seed\) or an int >= 1"),
        ({"k": 0}, r"k=0 must be at least 1"),
    ],
)
def test_bad_selections(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        robustness_scores(GREEDY, **kwargs)  # type: ignore[arg-type]


def test_greedy_needs_one_completion_per_prompt() -> None:
    with pytest.raises(InvalidArgument, match=r"A has 4 completions per prompt; greedy figures need exactly 1"):
        greedy_scores(SAMPLED)


def test_a_problem_given_twice_is_refused() -> None:
    with pytest.raises(InvalidArgument, match=r"outcomes holds 'P1' \(partial=False\) twice"):
        per_perturbation([GREEDY[0], GREEDY[0]])


def test_outcomes_must_be_a_sequence_of_records() -> None:
    with pytest.raises(InvalidArgument, match=r"must be a sequence of ProblemOutcome records"):
        per_perturbation(GREEDY[0])  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=r"outcomes holds 'P1'; expected ProblemOutcome records"):
        per_perturbation(["P1"])  # type: ignore[list-item]


def test_nominal_pass_at_k_needs_records_of_that_kind() -> None:
    with pytest.raises(InvalidArgument, match=r"no outcome has partial=True"):
        nominal_pass_at_k(GREEDY, partial=True)
    assert nominal_pass_at_k(SAMPLED, k=2) == 11 / 12


def test_selections_may_be_any_iterable_and_name_the_row() -> None:
    scores = robustness_scores(GREEDY, transforms=iter(["T"]))
    assert scores.name == "T" and scores == per_perturbation(GREEDY)["T"]
    assert robustness_scores(GREEDY, categories=("cat",)).name == "cat"
    with pytest.raises(InvalidArgument, match=r"no problem has a variant of V with a seed below 2; "):
        robustness_scores(GREEDY, transforms=(t for t in ["V"]), seeds=2)
