"""Argument checks shared by the public API, with messages that name the argument and the fix."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import fields
from difflib import get_close_matches
from typing import Any, TypeVar

from ._errors import InvalidArgument

T = TypeVar("T")


def check_type(name: str, value: Any, expected: type | tuple[type, ...]) -> None:
    """Raise :class:`InvalidArgument` unless ``isinstance(value, expected)``."""
    if not isinstance(value, expected):
        names = (
            " or ".join(t.__name__ for t in expected) if isinstance(expected, tuple) else expected.__name__
        )
        raise InvalidArgument(f"{name}={value!r} has type {type(value).__name__}; expected {names}.")


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> None:
    """Raise unless ``value`` is an int (or float) above zero (or at least zero)."""
    check_type(name, value, (int, float))
    if isinstance(value, bool) or value < 0 or (value == 0 and not allow_zero):
        bound = "at least 0" if allow_zero else "above 0"
        raise InvalidArgument(f"{name}={value!r} must be a number {bound}.")


def check_choice(name: str, value: Any, choices: Collection[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise with the closest spelling suggested."""
    if isinstance(value, str) and value in choices:
        return value
    hint = ""
    if isinstance(value, str):
        close = get_close_matches(value, list(choices), n=1)
        if close:
            hint = f" Did you mean {close[0]!r}?"
    raise InvalidArgument(f"{name}={value!r} is not one of {sorted(choices)}.{hint}")


def check_choices(name: str, values: Any, choices: Collection[str]) -> tuple[str, ...]:
    """Check a list of choices; a bare string is refused with a hint to wrap it in a list."""
    if isinstance(values, str):
        raise InvalidArgument(f"{name}={values!r} is a string; did you mean {name}=[{values!r}]?")
    if not isinstance(values, Iterable):
        raise InvalidArgument(f"{name}={values!r} must be a list of strings from {sorted(choices)}.")
    return tuple(check_choice(f"{name}[{i}]", v, choices) for i, v in enumerate(values))


def record_from_json(cls: type[T], data: object, where: str) -> T:
    """An instance of the dataclass ``cls`` from a JSON object, or :class:`InvalidArgument` naming ``where``
    and what is wrong (not an object, unknown fields, missing ones)."""
    if not isinstance(data, Mapping):
        raise InvalidArgument(f"{where} must be a JSON object, not {type(data).__name__}.")
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - known)
    if unknown:
        raise InvalidArgument(f"{where} has unknown fields {unknown}; known: {sorted(known)}.")
    try:
        return cls(**dict(data))
    except TypeError as exc:
        raise InvalidArgument(f"{where} is incomplete: {exc}") from None
