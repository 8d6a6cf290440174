"""The pass@k estimator: hand-computed values, argument checks, and its properties."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_recode import InvalidArgument
from pytest_recode.metrics import pass_at_k, pass_at_k_of


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 1, 0.4),  # c / n
        (5, 2, 2, 0.7),  # 1 - C(3,2)/C(5,2) = 1 - 3/10
        (5, 2, 3, 0.9),  # 1 - C(3,3)/C(5,3) = 1 - 1/10
        (5, 2, 4, 1.0),  # n - c = 3 < 4: every draw of 4 holds a correct one
        (5, 0, 3, 0.0),
        (5, 5, 1, 1.0),
        (10, 3, 5, 11 / 12),  # 1 - C(7,5)/C(10,5) = 1 - 21/252
        (1, 1, 1, 1.0),
        (1, 0, 1, 0.0),
        (200, 1, 100, 0.5),  # 1 - C(199,100)/C(200,100) = 1 - 100/200
    ],
)
def test_hand_computed_values(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == expected


def test_huge_binomials_neither_overflow_nor_lose_the_answer() -> None:
    # C(2000, 1000) ~ 2e600 overflows a float: a factorial formula in floats raises or returns nan.
    assert pass_at_k(2000, 1000, 1000) == 1.0
    assert pass_at_k(2000, 1, 1) == 1 / 2000
    # 1 - C(1999, 1000)/C(2000, 1000) = 1 - 1000/2000 exactly
    assert pass_at_k(2000, 1, 1000) == 0.5


def test_pass_at_k_of_counts_the_results() -> None:
    assert pass_at_k_of([True, False, True, False, False], 2) == 0.7
    assert pass_at_k_of((False,), 1) == 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((3, 1, 4), r"k=4 must be between 1 and 3\. pass@k needs at least k completions per prompt: generate n >= 4"),
        ((3, 1, 0), r"k=0 must be between 1 and 3\.$"),
        ((3, 4, 1), r"c=4 must be between 0 and 3\. \(c counts the correct completions among the n\)"),
        ((3, -1, 1), r"c=-1 must be between 0 and 3"),
        ((0, 0, 1), r"n=0 must be at least 1\."),
        ((3.0, 1, 1), r"n=3\.0 has type float; expected int\."),
        ((3, True, 1), r"c=True has type bool; expected int\."),
    ],
)
def test_bad_arguments_name_the_argument(args: tuple[object, object, object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        pass_at_k(*args)  # type: ignore[arg-type]


def test_k_above_n_is_also_a_value_error() -> None:
    with pytest.raises(ValueError):
        pass_at_k(1, 1, 2)


counts = st.integers(1, 60).flatmap(
    lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))
)


@given(counts)
def test_between_zero_and_one_and_equal_to_the_exact_ratio(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    value = pass_at_k(n, c, k)
    assert 0.0 <= value <= 1.0
    assert value == float(1 - Fraction(comb(n - c, k), comb(n, k)))
    assert (value == 0.0) == (c == 0)
    if n - c < k:
        assert value == 1.0


@given(counts)
def test_monotone_in_c(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    if c < n:
        assert pass_at_k(n, c, k) <= pass_at_k(n, c + 1, k)
        if n - c >= k:  # some draw of k misses every correct one, so one more correct one helps strictly
            assert pass_at_k(n, c, k) < pass_at_k(n, c + 1, k)


@given(counts)
def test_monotone_in_k(nck: tuple[int, int, int]) -> None:
    n, c, k = nck
    if k < n:
        assert pass_at_k(n, c, k) <= pass_at_k(n, c, k + 1)


@given(st.integers(1, 60).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_k_equal_to_one_is_the_share_of_correct_completions(nc: tuple[int, int]) -> None:
    n, c = nc
    assert pass_at_k(n, c, 1) == c / n
