"""Decoding the tagged encoding of :mod:`._serialize` back into Python values, from whatever sent it.

Standard library only (part of the worker): the judge decodes what programs report, the host what workers
send, and a program may send anything. So every node is checked, every failure is a ValueError, and the
time taken is linear in the size of the input.
"""

from __future__ import annotations

import collections
import re
from typing import Any

__all__ = ["BUILTIN_TYPES", "FACTORIES", "FAST_ITEMS", "Opaque", "decode"]

FACTORIES = {t.__name__: t for t in (int, float, str, bytes, bool, list, tuple, dict, set, frozenset)}
#: The built-in types a value may be: encoded by name, decoded to the type itself.
BUILTIN_TYPES = {t.__name__: t for t in (int, float, complex, str, bytes, bytearray, bool, list, tuple, dict, set,
                                         frozenset, range, object, type)}
FAST_ITEMS = 1024  # lists of plain scalars up to this length skip the machinery (both ways)


class Opaque:
    """A value the encoding cannot rebuild: an object of another type, or one too large or cyclic to encode.

    Equal only to an ``Opaque`` with the same fields; hashes by type name (``value`` may be a list).
    Immutable. (Not a dataclass: the sandbox worker avoids importing ``dataclasses``.)
    """

    __slots__ = ("type_name", "value", "reason")

    def __init__(self, type_name: str, value: Any = None, reason: str = "") -> None:
        object.__setattr__(self, "type_name", type_name)
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "reason", reason)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Opaque is immutable: cannot set {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not Opaque:
            return NotImplemented
        return (self.type_name, self.value, self.reason) == (other.type_name, other.value, other.reason)

    def __hash__(self) -> int:
        return hash((Opaque, self.type_name, self.reason))

    def __repr__(self) -> str:
        return f"Opaque(type_name={self.type_name!r}, value={self.value!r}, reason={self.reason!r})"


class _Decoder:
    """Decodes what any process may have sent: every node is checked, every failure is a ValueError, and the
    time taken is linear in the size of the input (no gcd of unbounded integers, no sets of colliding hashes)."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict

    def decode(self, encoded: Any, depth: int) -> Any:
        kind = type(encoded)
        if kind is list:
            if depth >= _DECODE_DEPTH:
                raise ValueError("the encoding is nested too deeply")
            return [self.decode(v, depth + 1) for v in encoded]
        if encoded is None or kind in _PLAIN:
            return encoded
        if kind is not dict:
            raise ValueError(f"not a tagged encoding: a {kind.__name__}")
        if depth >= _DECODE_DEPTH:
            raise ValueError("the encoding is nested too deeply")
        tag = encoded.get("$")
        method = _TAGS.get(tag) if type(tag) is str else None
        if method is None:
            raise ValueError(f"not a tagged encoding: unknown tag {tag!r:.40} in {encoded!r:.200}")
        return method(self, encoded, encoded.get("v"), depth + 1)

    def items(self, v: Any, depth: int) -> list[Any]:
        if type(v) is not list:
            raise ValueError("not a tagged encoding: items must be a list")
        return [self.decode(x, depth) for x in v]

    def pairs(self, v: Any, depth: int) -> list[tuple[Any, Any]]:
        if type(v) is not list or not all(type(p) is list and len(p) == 2 for p in v):
            raise ValueError("not a tagged encoding: pairs must be a list of [key, value] lists")
        pairs = [(self.decode(k, depth), self.decode(x, depth)) for k, x in v]
        _check_hashes([k for k, _ in pairs])
        return pairs

    def tuple_(self, e: Any, v: Any, depth: int) -> Any:
        return tuple(self.items(v, depth))

    def set_(self, e: Any, v: Any, depth: int) -> Any:
        items = self.items(v, depth)
        _check_hashes(items)
        return (set if e["$"] == "set" else frozenset)(items)

    def dict_(self, e: Any, v: Any, depth: int) -> Any:
        result = _MAPPINGS[e["$"]]()
        for key, value in self.pairs(v, depth):
            result[key] = value
        return result

    def defaultdict_(self, e: Any, v: Any, depth: int) -> Any:
        factory = e.get("factory")
        if factory is not None and (type(factory) is not str or factory not in FACTORIES):
            raise ValueError(f"not a tagged encoding: defaultdict factory {factory!r:.40}")
        result = collections.defaultdict(None if factory is None else FACTORIES[factory])
        for key, value in self.pairs(v, depth):
            result[key] = value
        return result

    def deque_(self, e: Any, v: Any, depth: int) -> Any:
        maxlen = e.get("maxlen")
        if maxlen is not None and (type(maxlen) is not int or maxlen < 0):
            raise ValueError(f"not a tagged encoding: deque maxlen {maxlen!r:.40}")
        return collections.deque(self.items(v, depth), maxlen)

    def int_(self, e: Any, v: Any, depth: int) -> Any:
        if type(v) is not str or not _HEX.fullmatch(v):
            raise ValueError(f"not a tagged encoding: int {v!r:.40}")
        return int(v, 16)  # linear in the length for base 16

    def float_(self, e: Any, v: Any, depth: int) -> Any:
        if type(v) is not str or v not in ("nan", "inf", "-inf"):
            raise ValueError(f"not a tagged encoding: float {v!r:.40}")
        return float(v)

    def complex_(self, e: Any, v: Any, depth: int) -> Any:
        if type(v) is not list or len(v) != 2:
            raise ValueError("not a tagged encoding: complex needs [real, imag]")
        real, imag = (self.decode(x, depth) for x in v)
        if type(real) is not float or type(imag) is not float:
            raise ValueError("not a tagged encoding: complex parts must be floats")
        return complex(real, imag)

    def bytes_(self, e: Any, v: Any, depth: int) -> Any:
        import binascii

        if type(v) is not str:
            raise ValueError("not a tagged encoding: bytes must be base64 text")
        try:
            raw = binascii.a2b_base64(v.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise ValueError(f"not a tagged encoding: {exc}") from None
        return raw if e["$"] == "bytes" else bytearray(raw)

    def range_(self, e: Any, v: Any, depth: int) -> Any:
        if type(v) is not list or len(v) != 3:
            raise ValueError("not a tagged encoding: range needs [start, stop, step]")
        parts = [self.decode(x, depth) for x in v]
        if any(type(p) is not int for p in parts) or parts[2] == 0:
            raise ValueError("not a tagged encoding: range needs three ints and a step other than 0")
        return range(*parts)

    def decimal_(self, e: Any, v: Any, depth: int) -> Any:
        import decimal

        if type(v) is not str:
            raise ValueError("not a tagged encoding: Decimal must be text")
        try:
            return decimal.Decimal(v)
        except (decimal.InvalidOperation, ValueError):
            raise ValueError(f"not a tagged encoding: Decimal {v!r:.40}") from None

    def fraction_(self, e: Any, v: Any, depth: int) -> Any:
        import fractions

        if type(v) is not list or len(v) != 2:
            raise ValueError("not a tagged encoding: Fraction needs [numerator, denominator]")
        numerator, denominator = (self.decode(x, depth) for x in v)
        if type(numerator) is not int or type(denominator) is not int or denominator <= 0:
            raise ValueError("not a tagged encoding: Fraction needs two ints, the denominator positive")
        if max(numerator.bit_length(), denominator.bit_length()) <= _GCD_BITS:
            return fractions.Fraction(numerator, denominator)
        # Encoded from a Fraction, so in lowest terms already (a Fraction keeps them so); normalising
        # here would cost a gcd quadratic in the size of the ints, whoever sent them.
        coprime = getattr(fractions.Fraction, "_from_coprime_ints", None)
        if coprime is not None:  # Python 3.12 and later
            return coprime(numerator, denominator)
        return fractions.Fraction(numerator, denominator, _normalize=False)  # type: ignore[call-arg]

    def type_(self, e: Any, v: Any, depth: int) -> Any:
        if type(v) is not str or v not in BUILTIN_TYPES:
            raise ValueError(f"not a tagged encoding: type {v!r:.40}")
        return BUILTIN_TYPES[v]

    def iterator_(self, e: Any, v: Any, depth: int) -> Any:
        return iter(self.items(v, depth))

    def object_(self, e: Any, v: Any, depth: int) -> Any:
        type_name = e.get("type", "?")
        if self.strict:
            raise ValueError(f"a {type_name!s:.100} is not plain data")
        if type(type_name) is not str:
            raise ValueError("not a tagged encoding: an object's type must be text")
        return Opaque(type_name, None if v is None else self.decode(v, depth))

    def unencodable_(self, e: Any, v: Any, depth: int) -> Any:
        type_name, reason = e.get("type", "?"), e.get("reason", "unencodable")
        if self.strict:
            raise ValueError(f"a {type_name!s:.100} could not be encoded ({reason!s:.40})")
        if type(type_name) is not str or type(reason) is not str:
            raise ValueError("not a tagged encoding: unencodable needs a type and a reason as text")
        return Opaque(type_name, None, reason)


_PLAIN = frozenset({int, float, str, bool})
_HEX = re.compile(r"-?0x[0-9a-f]+")
_DECODE_DEPTH = 208  # what the encoder makes (two levels per value, up to _serialize._MAX_DEPTH), with room
_GCD_BITS = 4096  # Fractions up to this size are normalised as usual (microseconds)
_COLLISION_CHECK = 64  # sets and dicts from this size up are checked for colliding hashes
_MAPPINGS = {"dict": dict, "Counter": collections.Counter, "OrderedDict": collections.OrderedDict}
_TAGS = {"tuple": _Decoder.tuple_, "set": _Decoder.set_, "frozenset": _Decoder.set_, "dict": _Decoder.dict_,
         "Counter": _Decoder.dict_, "OrderedDict": _Decoder.dict_, "defaultdict": _Decoder.defaultdict_,
         "deque": _Decoder.deque_, "int": _Decoder.int_, "float": _Decoder.float_, "complex": _Decoder.complex_,
         "bytes": _Decoder.bytes_, "bytearray": _Decoder.bytes_, "range": _Decoder.range_,
         "Decimal": _Decoder.decimal_, "Fraction": _Decoder.fraction_, "iterator": _Decoder.iterator_,
         "type": _Decoder.type_,
         "object": _Decoder.object_, "unencodable": _Decoder.unencodable_}


def _check_hashes(keys: list[Any]) -> None:
    """Refuse keys whose hashes collide en masse (ints are easy to pick so): a set or dict of them would
    take time quadratic in their number to build, and every lookup after. Unhashable keys are an error."""
    try:
        if len(keys) < _COLLISION_CHECK:
            for key in keys:
                hash(key)
            return
        distinct = len(set(map(hash, keys)))  # hash values hash to themselves: no collisions among them
    except TypeError as exc:
        raise ValueError(f"not a tagged encoding: {exc}") from None
    if distinct * 2 < len(keys):
        raise ValueError(f"not a tagged encoding: {len(keys)} keys with only {distinct} distinct hashes")


def decode(encoded: Any, *, strict: bool = False) -> Any:
    """The Python value an encoding stands for; ``object`` and ``unencodable`` become :class:`Opaque`.

    Safe on anything: whatever ``encoded`` holds, this returns in time linear in its size or raises
    ValueError (a malformed encoding, colliding set or dict keys, nesting deeper than any encoding). With
    ``strict=True`` an ``object`` or ``unencodable`` is a ValueError too (only plain data decodes).
    """
    kind = type(encoded)
    if kind in _PLAIN or encoded is None:
        return encoded
    if kind is list and len(encoded) <= FAST_ITEMS and all(type(x) in _PLAIN or x is None for x in encoded):
        return list(encoded)
    try:
        return _Decoder(strict).decode(encoded, 0)
    except ValueError:
        raise
    except (TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError) as exc:
        raise ValueError(f"not a tagged encoding: {exc}") from None
