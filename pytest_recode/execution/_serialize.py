"""A tagged, JSON-safe encoding of Python values, exact types only.

The sandbox serializes what a program returned *inside* the sandboxed child and compares it in the parent,
so that an object cannot lie about its equality and a tuple, a list and a set stay distinct. The same
encoding carries call inputs into the child. This module uses the standard library only: the sandbox worker
loads it without the rest of the package (inside a Docker image that has nothing but ``python3``).

Format (version 1). Values whose JSON form is unambiguous are themselves:

=============================  ==========================================================
``None``, ``True``, ``False``   ``null``, ``true``, ``false``
``str``                         a JSON string (lone surrogates survive as ``\\udxxx`` escapes)
``int`` in [-2**63, 2**63)      a JSON number without a fraction
finite ``float``                a JSON number written by ``repr`` (so it always has ``.`` or ``e``)
``list``                        a JSON array of encoded items
=============================  ==========================================================

Everything else is a JSON object whose ``"$"`` names the type and ``"v"`` holds the content:

- ``{"$": "int", "v": "-0x1f..."}``: an int outside [-2**63, 2**63), in hexadecimal (``str`` of a huge
  int is refused by CPython past 4300 digits; hex is not).
- ``{"$": "float", "v": "nan" | "inf" | "-inf"}``; ``{"$": "complex", "v": [re, im]}`` (floats as above).
- ``{"$": "tuple", "v": [...]}``; ``{"$": "set" | "frozenset", "v": [...]}`` with the items in a canonical
  order (sorted by their encoded JSON text), so equal sets encode identically whatever the hash seed.
- ``{"$": "dict", "v": [[key, value], ...]}`` in insertion order (keys need not be strings).
- ``{"$": "bytes" | "bytearray", "v": "<base64>"}``; ``{"$": "range", "v": [start, stop, step]}``.
- Standard-library containers: ``{"$": "Counter" | "OrderedDict", "v": [[k, v], ...]}``,
  ``{"$": "defaultdict", "factory": "list" | "int" | ... | null, "v": [[k, v], ...]}``,
  ``{"$": "deque", "maxlen": int | null, "v": [...]}``, ``{"$": "Decimal", "v": "1.10"}``,
  ``{"$": "Fraction", "v": [numerator, denominator]}``.
- ``{"$": "iterator", "type": "generator" | "map" | ..., "v": [...]}``: a generator or built-in iterator,
  consumed into its items.
- ``{"$": "type", "v": "int"}``: one of the built-in types themselves (``int``, ``str``, ``list``...), as
  tests pass them to a function (``remove_datatype(values, int)``).
- ``{"$": "object", "type": "module.QualName", "v": encoded-or-null}`` (the module is left out for
  the program's own classes and built-ins): any other object, including a
  subclass of a built-in type. ``v`` is the value seen as its built-in base type (a ``namedtuple`` as its
  tuple, an ``int`` subclass as its int), or null. It decodes to an :class:`Opaque`, never to the object.
- ``{"$": "unencodable", "type": "list", "reason": "cycle" | "too deep" | "too large"}``.

:func:`decode` (``_decode.py``) turns an encoding back into plain Python values (``object`` and
``unencodable`` become :class:`Opaque`); ``decode(encode(x)) == x`` for every value of the exact types above.
"""

from __future__ import annotations

import collections
import json
import sys
import types
from typing import Any

from ._decode import BUILTIN_TYPES, FACTORIES, FAST_ITEMS, Opaque, decode

__all__ = ["FORMAT_VERSION", "EncodeError", "Opaque", "decode", "dumps", "encode", "holds_mutable", "loads"]

FORMAT_VERSION = 1
_INT_LIMIT = 2**63
_MAX_DEPTH = 100
_MAX_ITEMS = 100_000  # items taken from an iterator before it counts as "too large" (it may be endless)
_DEFAULT_BUDGET = 8 * 1024 * 1024
_ITERATOR_TYPES = {
    type(iter(x)): None for x in ([], (), "", b"", bytearray(), {}, set(), frozenset(), range(0))
}
_ITERATOR_TYPES.update(
    dict.fromkeys([types.GeneratorType, map, filter, zip, enumerate, reversed, type(reversed([])),
                   type(iter({}.values())), type(iter({}.items()))])
)
# Objects of these types are encoded as "object" with their base value: the order matters (bool before int).
_BASES = (int, float, complex, str, bytes, bytearray, tuple, list, frozenset, set, dict)


class EncodeError(ValueError):
    """A value cannot be encoded exactly (``strict=True`` only): an object, a cycle, or too large."""


def _stdlib_type(module: str, name: str) -> Any:
    """A standard-library class, only if its module is loaded already (importing it would cost every
    sandboxed child: a value of that type cannot exist before its module is imported)."""
    loaded = sys.modules.get(module)
    return getattr(loaded, name, None) if loaded is not None else None


#: Modules whose names a type's name leaves out: the built-ins, and the sandboxed program itself.
_UNQUALIFIED = (None, "builtins", "__main__", "__program__")


def _type_name(cls: type) -> str:
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", None) or getattr(cls, "__name__", "?")
    return name if module in _UNQUALIFIED else f"{module}.{name}"


class _Encoder:
    def __init__(self, strict: bool, budget: int) -> None:
        self.strict = strict
        self.budget = budget
        self.active: set[int] = set()

    def refuse(self, cls: type, reason: str) -> dict[str, Any]:
        if self.strict:
            raise EncodeError(f"cannot encode a {_type_name(cls)} exactly: {reason}")
        return {"$": "unencodable", "type": _type_name(cls), "reason": reason}

    def spend(self, units: int) -> None:
        self.budget -= units
        if self.budget < 0:
            raise _TooLarge

    def items(self, values: Any, depth: int) -> list[Any]:
        return [self.encode(v, depth) for v in values]

    def pairs(self, mapping: Any, depth: int) -> list[list[Any]]:
        return [[self.encode(k, depth), self.encode(v, depth)] for k, v in dict.items(mapping)]

    def encode(self, x: Any, depth: int = 0) -> Any:
        cls = type(x)
        self.spend(8)
        if x is None or cls is bool:
            return x
        if cls is str:
            self.spend(len(x))
            return x
        if cls is int:
            if -_INT_LIMIT <= x < _INT_LIMIT:
                return x
            text = hex(x)
            self.spend(len(text))
            return {"$": "int", "v": text}
        if cls is float:
            return x if x - x == 0.0 else {"$": "float", "v": repr(x)}
        if depth >= _MAX_DEPTH:
            return self.refuse(cls, "too deep")
        depth += 1
        if cls in (list, tuple, set, frozenset, dict, collections.deque, collections.Counter,
                   collections.OrderedDict, collections.defaultdict):
            if id(x) in self.active:
                return self.refuse(cls, "cycle")
            self.active.add(id(x))
            try:
                return self.container(x, cls, depth)
            finally:
                self.active.discard(id(x))
        if cls is complex:
            return {"$": "complex", "v": [self.encode(x.real), self.encode(x.imag)]}
        if cls is bytes or cls is bytearray:
            import binascii

            self.spend(len(x) * 4 // 3)
            return {"$": cls.__name__, "v": binascii.b2a_base64(x, newline=False).decode("ascii")}
        if cls is range:
            return {"$": "range", "v": [x.start, x.stop, x.step]}
        if cls is type and BUILTIN_TYPES.get(getattr(x, "__name__", None)) is x:
            return {"$": "type", "v": x.__name__}
        if cls is _stdlib_type("decimal", "Decimal"):
            return {"$": "Decimal", "v": str(x)}
        if cls is _stdlib_type("fractions", "Fraction"):
            return {"$": "Fraction", "v": [self.encode(x.numerator), self.encode(x.denominator)]}
        if cls in _ITERATOR_TYPES:
            # Consuming runs the program's generator: fine, this runs inside the sandboxed child.
            items = []
            for item in x:
                if len(items) >= _MAX_ITEMS:
                    raise _TooLarge
                items.append(self.encode(item, depth))
            return {"$": "iterator", "type": cls.__name__, "v": items}
        return self.other(x, cls, depth)

    def container(self, x: Any, cls: type, depth: int) -> Any:
        if cls is list:
            return self.items(x, depth)
        if cls is tuple:
            return {"$": "tuple", "v": self.items(x, depth)}
        if cls is set or cls is frozenset:
            encoded = self.items(x, depth)
            encoded.sort(key=_sort_key)
            return {"$": cls.__name__, "v": encoded}
        if cls is dict or cls is collections.Counter or cls is collections.OrderedDict:
            return {"$": cls.__name__, "v": self.pairs(x, depth)}
        if cls is collections.defaultdict:
            factory = x.default_factory
            if factory is not None and FACTORIES.get(getattr(factory, "__name__", "")) is not factory:
                return self.other(x, cls, depth)
            return {"$": "defaultdict", "factory": None if factory is None else factory.__name__,
                    "v": self.pairs(x, depth)}
        return {"$": "deque", "maxlen": x.maxlen, "v": self.items(x, depth)}

    def other(self, x: Any, cls: type, depth: int) -> Any:
        if self.strict:
            raise EncodeError(f"cannot encode a {_type_name(cls)} exactly: only built-in data is rebuilt")
        base = next((b for b in _BASES if isinstance(x, b)), None)
        value = None
        if base is not None:
            # Read the value through the base type's own methods, never the subclass's overrides.
            value = self.encode(_as_base(x, base), depth)
        return {"$": "object", "type": _type_name(cls), "v": value}


class _TooLarge(Exception):
    pass


def _as_base(x: Any, base: type) -> Any:
    if base is int:
        return int.__int__(x)
    if base is float:
        return float.__float__(x)
    if base is complex:
        return complex(complex.real.__get__(x), complex.imag.__get__(x))
    if base is str:
        return str.__str__(x)
    if base in (bytes, bytearray):
        return base(memoryview(x))
    if base is dict:
        return dict(dict.items(x))
    return base(base.__iter__(x))


def _sort_key(encoded: Any) -> str:
    return json.dumps(encoded, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def encode(value: Any, *, strict: bool = False, budget: int = _DEFAULT_BUDGET) -> Any:
    """The tagged encoding of ``value`` (see the module docstring).

    ``budget`` bounds the encoding's size (roughly in bytes of JSON); a value over it encodes as
    ``unencodable`` "too large". With ``strict=True`` anything that would not decode to an equal value of
    the same exact type (objects, cycles, too large) raises :class:`EncodeError` instead.
    """
    fast = _plain(value, budget)
    if fast is not _NOT_PLAIN:
        return fast
    encoder = _Encoder(strict, budget)
    try:
        return encoder.encode(value)
    except _TooLarge:
        if strict:
            raise EncodeError(f"the value is larger than the limit of {budget} bytes") from None
        return {"$": "unencodable", "type": _type_name(type(value)), "reason": "too large"}
    except RecursionError:
        if strict:
            raise EncodeError("the value is nested too deeply") from None
        return {"$": "unencodable", "type": _type_name(type(value)), "reason": "too deep"}


_NOT_PLAIN = object()


def _plain_item(item: Any) -> int:
    """What encoding ``item`` spends if it encodes as itself (an exact scalar), else -1."""
    kind = type(item)
    if kind is int:
        return 8 if -_INT_LIMIT <= item < _INT_LIMIT else -1
    if kind is str:
        return 8 + len(item)
    if item is None or kind is bool:
        return 8
    if kind is float:
        return 8 if item - item == 0.0 else -1
    return -1


def _plain(value: Any, budget: int) -> Any:
    """The encoding of an exact scalar, or of a short list of them (the usual arguments and results), without
    the encoder's machinery: the same as :func:`encode` gives, or ``_NOT_PLAIN``."""
    spent = _plain_item(value)
    if spent >= 0:
        return value if spent <= budget else _NOT_PLAIN
    if type(value) is not list or len(value) > FAST_ITEMS:
        return _NOT_PLAIN
    spent = 8
    for item in value:
        cost = _plain_item(item)
        if cost < 0:
            return _NOT_PLAIN
        spent += cost
    return list(value) if spent <= budget else _NOT_PLAIN


def holds_mutable(value: Any, depth: int = 0) -> bool:
    """Whether a call could change ``value`` in place (a list, dict, set... or a tuple holding one)."""
    kind = type(value)
    if kind in _MUTABLE or isinstance(value, (list, dict, set, bytearray)):
        return True
    if kind is tuple and depth < 3:
        return any(holds_mutable(item, depth + 1) for item in value)
    return False


_MUTABLE = frozenset({list, dict, set, bytearray, collections.deque, collections.Counter, collections.OrderedDict,
                      collections.defaultdict})


def dumps(value: Any, **options: Any) -> str:
    """``encode`` then JSON text (ASCII only)."""
    return json.dumps(encode(value, **options), ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def loads(text: str) -> Any:
    """JSON text of an encoding back to the Python value (``decode(json.loads(text))``)."""
    return decode(json.loads(text))
