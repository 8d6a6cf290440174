"""Properties of how two outcomes compare (in the parent, on the sandbox's encodings): equal encodings are
equal, exact types are kept (a tuple is not a list, 1 is not 1.0 nor True), order does not matter where
Python's equality ignores it, floats count within the tolerance."""

from __future__ import annotations

import copy
import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pytest_recode.equivalence import Outcome, Tolerance
from pytest_recode.equivalence._outcomes import same_outcome, same_value
from pytest_recode.execution import encode_value

TOLERANCE = Tolerance()

keys = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
scalars = st.one_of(keys, st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=-2**80, max_value=2**80))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(keys, inner, max_size=4),
        st.frozensets(st.one_of(st.integers(), st.text(max_size=3)), max_size=4),
        st.sets(st.one_of(st.integers(), st.text(max_size=3)), max_size=4),
    ),
    max_leaves=12,
)


def same(a: Any, b: Any) -> bool:
    return same_value(encode_value(a), encode_value(b), TOLERANCE)


@given(values)
def test_equal_encodings_compare_equal(value: Any) -> None:
    assert same_value(encode_value(value), encode_value(value), TOLERANCE)
    assert same(value, copy.deepcopy(value))


@given(values, values)
def test_comparison_is_symmetric(a: Any, b: Any) -> None:
    assert same(a, b) == same(b, a)


@given(st.lists(values, max_size=4))
def test_a_tuple_is_not_a_list(items: list[Any]) -> None:
    assert not same(tuple(items), list(items))
    assert not same([tuple(items)], [list(items)])
    assert not same({"k": tuple(items)}, {"k": list(items)})


@given(st.integers(min_value=-2**53, max_value=2**53))
def test_an_int_is_not_the_equal_float(n: int) -> None:
    assert n == float(n)
    assert not same(n, float(n))
    assert not same((n,), (float(n),))


@given(st.booleans())
def test_a_bool_is_not_the_equal_int(flag: bool) -> None:
    assert not same(flag, int(flag))


@given(st.sets(st.integers(), max_size=6))
def test_a_set_is_not_a_frozenset_nor_a_sorted_list(items: set[int]) -> None:
    assert not same(items, frozenset(items))
    assert not same(items, sorted(items))


@given(st.dictionaries(keys, values, max_size=5))
def test_dict_order_does_not_matter(mapping: dict[Any, Any]) -> None:
    assert same(mapping, dict(reversed(list(mapping.items()))))


@given(st.lists(st.integers(), min_size=2, unique=True, max_size=6))
def test_list_order_matters(items: list[int]) -> None:
    assert not same(items, items[::-1] if items != items[::-1] else items[1:] + items[:1])


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_floats_within_the_tolerance(x: float) -> None:
    assert same(x, x + x * 1e-12)
    assert same([x], [x * (1 + 1e-12)])
    off = x + max(1.0, abs(x)) * 1e-6
    assert not same(x, off)
    assert same(x, off) == math.isclose(x, off, rel_tol=TOLERANCE.rel, abs_tol=TOLERANCE.abs)


def test_nan_equals_nan_and_infinities_are_exact() -> None:
    assert same(float("nan"), float("nan"))
    assert same([float("nan")], [float("nan")])
    assert same(math.inf, math.inf)
    assert not same(math.inf, -math.inf)
    assert not same(math.inf, 1e308)


@given(st.sampled_from(["ValueError", "TypeError", "IndexError"]), st.text(max_size=10), st.text(max_size=10))
def test_raised_outcomes_compare_by_exception_type(exception: str, message: str, other_message: str) -> None:
    a = Outcome("raised", exception_type=exception, message=message)
    assert same_outcome(a, Outcome("raised", exception_type=exception, message=other_message), TOLERANCE)
    assert not same_outcome(a, Outcome("raised", exception_type="KeyError", message=message), TOLERANCE)
    assert not same_outcome(a, Outcome("returned", encode_value(None)), TOLERANCE)


@given(values)
def test_returned_outcomes_compare_values_and_arguments_after(value: Any) -> None:
    encoded = encode_value(value)
    plain = Outcome("returned", encoded)
    assert same_outcome(plain, Outcome("returned", encode_value(copy.deepcopy(value))), TOLERANCE)
    mutated = Outcome("returned", encoded, arguments_after=encode_value(([1, 2],)))
    assert not same_outcome(plain, mutated, TOLERANCE)
    assert not same_outcome(mutated, plain, TOLERANCE)
    assert same_outcome(mutated, Outcome("returned", encoded, arguments_after=encode_value(([1, 2],))), TOLERANCE)
    assert not same_outcome(mutated, Outcome("returned", encoded, arguments_after=encode_value(([2, 1],))), TOLERANCE)


def test_not_run_is_never_the_same() -> None:
    assert not same_outcome(Outcome("not_run"), Outcome("not_run"), TOLERANCE)
    assert same_outcome(Outcome("timeout"), Outcome("timeout"), TOLERANCE)
    assert not same_outcome(Outcome("timeout"), Outcome("crashed"), TOLERANCE)
