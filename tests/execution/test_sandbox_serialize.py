"""The tagged value encoding: exact before/after pairs, round trips, and what it refuses."""

from __future__ import annotations

import collections
import decimal
import fractions
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_recode.execution import EncodeError, Opaque, decode_value, encode_value
from pytest_recode.execution._serialize import dumps, loads


class AlwaysEqual:
    def __eq__(self, other: object) -> bool:
        return True

    def __repr__(self) -> str:  # stable, so xdist workers collect the same test ids
        return "AlwaysEqual()"

    __hash__ = object.__hash__


class LyingInt(int):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__


Point = collections.namedtuple("Point", "x y")


ENCODINGS = [
    (None, None),
    (True, True),
    (0, 0),
    (-(2**63), -(2**63)),
    (2**63, {"$": "int", "v": "0x8000000000000000"}),
    (-(2**70), {"$": "int", "v": "-0x400000000000000000"}),
    (1.5, 1.5),
    (-0.0, -0.0),
    (math.inf, {"$": "float", "v": "inf"}),
    (-math.inf, {"$": "float", "v": "-inf"}),
    ("a\ud800", "a\ud800"),
    ([1, [2]], [1, [2]]),
    ((1, "a"), {"$": "tuple", "v": [1, "a"]}),
    ((), {"$": "tuple", "v": []}),
    ({3, 1, 2}, {"$": "set", "v": [1, 2, 3]}),
    (frozenset({"b", "a"}), {"$": "frozenset", "v": ["a", "b"]}),
    ({"b": 1, 2: (3,)}, {"$": "dict", "v": [["b", 1], [2, {"$": "tuple", "v": [3]}]]}),
    (b"\x00\xff", {"$": "bytes", "v": "AP8="}),
    (bytearray(b"ab"), {"$": "bytearray", "v": "YWI="}),
    (1 + 2j, {"$": "complex", "v": [1.0, 2.0]}),
    (range(1, 9, 3), {"$": "range", "v": [1, 9, 3]}),
    (collections.Counter("aab"), {"$": "Counter", "v": [["a", 2], ["b", 1]]}),
    (collections.OrderedDict(x=1), {"$": "OrderedDict", "v": [["x", 1]]}),
    (collections.defaultdict(list, {1: [2]}), {"$": "defaultdict", "factory": "list", "v": [[1, [2]]]}),
    (collections.deque([1, 2], maxlen=5), {"$": "deque", "maxlen": 5, "v": [1, 2]}),
    (decimal.Decimal("1.10"), {"$": "Decimal", "v": "1.10"}),
    (fractions.Fraction(3, 6), {"$": "Fraction", "v": [1, 2]}),
    (LyingInt(5), {"$": "object", "type": f"{__name__}.LyingInt", "v": 5}),
    (Point(1, 2), {"$": "object", "type": f"{__name__}.Point", "v": {"$": "tuple", "v": [1, 2]}}),
    (AlwaysEqual(), {"$": "object", "type": f"{__name__}.AlwaysEqual", "v": None}),
    (int, {"$": "type", "v": "int"}),
    ([str, tuple], [{"$": "type", "v": "str"}, {"$": "type", "v": "tuple"}]),
    (AlwaysEqual, {"$": "object", "type": "type", "v": None}),  # a class of a program's own: not a built-in
]


@pytest.mark.parametrize(
    ("value", "encoded"),
    ENCODINGS,
    # type names, not reprs: a set's repr depends on the hash seed, which differs between xdist workers
    ids=[f"{index}-{type(value).__name__}" for index, (value, _) in enumerate(ENCODINGS)],
)
def test_encoding_of_each_type(value: Any, encoded: Any) -> None:
    assert encode_value(value) == encoded
    json.dumps(encoded, allow_nan=False)  # JSON-safe as it stands


def test_nan_is_tagged_and_decodes_to_nan() -> None:
    assert encode_value(math.nan) == {"$": "float", "v": "nan"}
    assert math.isnan(decode_value({"$": "float", "v": "nan"}))


def test_iterators_are_consumed_into_their_items() -> None:
    assert encode_value(x * 2 for x in range(3)) == {"$": "iterator", "type": "generator", "v": [0, 2, 4]}
    assert encode_value(map(str, [1])) == {"$": "iterator", "type": "map", "v": ["1"]}
    assert list(decode_value({"$": "iterator", "type": "map", "v": ["1"]})) == ["1"]


def test_endless_iterator_is_too_large() -> None:
    def forever() -> Any:
        while True:
            yield 1

    assert encode_value(forever()) == {"$": "unencodable", "type": "generator", "reason": "too large"}


def test_a_cycle_is_marked_where_it_closes() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    assert encode_value(loop) == [1, {"$": "unencodable", "type": "list", "reason": "cycle"}]


def test_shared_but_acyclic_values_are_not_cycles() -> None:
    shared = [1]
    assert encode_value([shared, shared]) == [[1], [1]]


def test_nesting_beyond_the_depth_limit_is_marked() -> None:
    deep: list[Any] = []
    for _ in range(150):
        deep = [deep]
    inner = encode_value(deep)
    for _ in range(100):
        inner = inner[0]
    assert inner == {"$": "unencodable", "type": "list", "reason": "too deep"}


def test_budget_bounds_the_size() -> None:
    assert encode_value("x" * 100, budget=50) == {"$": "unencodable", "type": "str", "reason": "too large"}
    assert encode_value("x" * 10, budget=50) == "x" * 10


@pytest.mark.parametrize("value", [AlwaysEqual(), LyingInt(1), Point(1, 2), [1, object()], {1: len}])
def test_strict_refuses_what_it_cannot_rebuild(value: Any) -> None:
    with pytest.raises(EncodeError, match="cannot encode"):
        encode_value(value, strict=True)


def test_strict_refuses_cycles_and_oversize() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(EncodeError, match="cycle"):
        encode_value(loop, strict=True)
    with pytest.raises(EncodeError, match="larger than"):
        encode_value(list(range(1000)), strict=True, budget=100)


def test_opaque_values_compare_by_type_and_value_only() -> None:
    decoded = decode_value(encode_value(LyingInt(5)))
    assert decoded == Opaque(f"{__name__}.LyingInt", 5)
    assert decoded != 5 and decoded != Opaque(f"{__name__}.LyingInt", 6)
    assert {decoded} == {Opaque(f"{__name__}.LyingInt", 5)}


def test_unknown_tag_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown tag 'nope'"):
        decode_value({"$": "nope"})


def test_text_round_trip() -> None:
    value = {(1, 2.5): [None, {"x"}, b"y", math.inf]}
    assert dumps(value) == (
        '{"$":"dict","v":[[{"$":"tuple","v":[1,2.5]},[null,{"$":"set","v":["x"]},{"$":"bytes","v":"eQ=="},'
        '{"$":"float","v":"inf"}]]]}'
    )
    assert loads(dumps(value)) == value


# -- properties ---------------------------------------------------------------------------------------
scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | st.binary()
           | st.complex_numbers(allow_nan=False) | st.decimals(allow_nan=False) | st.fractions())
hashables = st.recursive(scalars, lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=4),
                         max_leaves=8)
values = st.recursive(
    scalars | hashables,
    lambda inner: (st.lists(inner, max_size=4) | st.tuples(inner) | st.sets(hashables, max_size=4)
                   | st.dictionaries(hashables, inner, max_size=4) | st.builds(bytearray, st.binary())),
    max_leaves=20,
)


def same_exactly(a: Any, b: Any) -> bool:
    """Equal, of the same exact type all the way down (and -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same_exactly(x, y) for x, y in zip(a, b))
    if type(a) is dict:
        return list(a) == list(b) and all(same_exactly(a[k], b[k]) for k in a)
    if type(a) is float:
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


@given(values)
def test_decode_inverts_encode_exactly(value: Any) -> None:
    assert same_exactly(decode_value(encode_value(value)), value)
    assert same_exactly(decode_value(encode_value(value, strict=True)), value)


@given(values)
def test_encoding_survives_json_text(value: Any) -> None:
    encoded = encode_value(value)
    assert json.loads(json.dumps(encoded, allow_nan=False)) == encoded


@given(st.sets(hashables, max_size=6))
def test_equal_sets_encode_identically_whatever_their_order(items: set[Any]) -> None:
    forwards, backwards = set(), set()
    for item in sorted(items, key=repr):
        forwards.add(item)
    for item in sorted(items, key=repr, reverse=True):
        backwards.add(item)
    assert encode_value(forwards) == encode_value(backwards)


@given(st.one_of(st.tuples(st.integers()), st.lists(st.integers())))
def test_lists_and_tuples_never_encode_alike(value: Any) -> None:
    other = list(value) if isinstance(value, tuple) else tuple(value)
    assert encode_value(value) != encode_value(other)
