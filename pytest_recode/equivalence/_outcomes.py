"""One call's outcome as the parent judges it, and when two outcomes count as the same behaviour.

Values arrive in the sandbox's tagged encoding (:mod:`pytest_recode.execution._serialize`) and are compared
in that form: exact types (``int`` is not ``float``, a tuple is not a list), floats within a tolerance (NaN
equals NaN), dicts and sets whatever their order, objects of other classes by their class name and their
value as a built-in type. Nothing the program made is ever called here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from ..execution import CallOutcome, decode_value

__all__ = ["OUTCOME_KINDS", "Outcome", "Tolerance", "same_outcome", "same_value", "show_value"]

OutcomeKind = Literal["returned", "raised", "timeout", "crashed", "not_run"]
#: How a call can end: returned a value, raised, ran out of time, took its process down, or never ran
#: (the program did not load, or an earlier call took the process down).
OUTCOME_KINDS: tuple[OutcomeKind, ...] = ("returned", "raised", "timeout", "crashed", "not_run")

_UNORDERED = ("dict", "Counter", "defaultdict")  # equal as Python compares them: whatever the insertion order


@dataclass(frozen=True)
class Tolerance:
    """How close two floats must be to count as equal: ``math.isclose`` with these tolerances."""

    rel: float = 1e-9
    abs: float = 1e-9

    def close(self, a: float, b: float) -> bool:
        if a == b or (a != a and b != b):  # equal, or both NaN
            return True
        return math.isclose(a, b, rel_tol=self.rel, abs_tol=self.abs)


@dataclass(frozen=True)
class Outcome:
    """How one call of the entry point ended. ``value`` and ``arguments_after`` are encoded (see above);
    ``arguments_after`` is set only where the call changed its arguments."""

    kind: OutcomeKind
    value: Any = None
    exception_type: str | None = None
    message: str = ""
    arguments_after: Any = None
    #: How long the call took (to choose inputs by; not part of the behaviour, nor of equality).
    duration_s: float = field(default=0.0, compare=False, repr=False)
    #: Python lines the call ran, where counted (to choose inputs by; not part of the behaviour either).
    cost: int | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_call(cls, call: CallOutcome) -> Outcome:
        if call.timed_out:
            return cls("timeout", message=f"stopped at its time limit, after {call.duration_s:.2g} s",
                       duration_s=call.duration_s)
        if call.raised:
            return cls("raised", exception_type=call.exception_type, message=call.message,
                       duration_s=call.duration_s)
        return cls("returned", call.value, arguments_after=call.arguments_after, duration_s=call.duration_s,
                   cost=call.cost)

    def show(self, limit: int = 200) -> str:
        """``returned [1, 2]``, ``raised ValueError: bad``, ``timed out``... on one line."""
        if self.kind == "returned":
            text = f"returned {show_value(self.value, limit)}"
            if self.arguments_after is not None:
                text += f", leaving its arguments as {show_value(self.arguments_after, limit)}"
            return text
        if self.kind == "raised":
            first = self.message.strip().splitlines()[0] if self.message.strip() else ""
            return f"raised {self.exception_type}" + (f": {first[:limit]}" if first else "")
        return {"timeout": "timed out", "crashed": "crashed", "not_run": "did not run"}[self.kind] + (
            f" ({self.message[:limit]})" if self.message else "")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "exception_type": self.exception_type,
                "message": self.message, "arguments_after": self.arguments_after,
                "duration_s": round(self.duration_s, 6), "cost": self.cost}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        return cls(data["kind"], data.get("value"), data.get("exception_type"), data.get("message", ""),
                   data.get("arguments_after"), float(data.get("duration_s", 0.0)), data.get("cost"))


def same_outcome(a: Outcome, b: Outcome, tolerance: Tolerance) -> bool:
    """Whether two calls behaved the same: equal values and arguments left equal, or the same exception type,
    or both out of time, or both crashed. ``not_run`` is never the same as anything (nothing to compare)."""
    if a.kind != b.kind or a.kind == "not_run":
        return False
    if a.kind == "raised":
        return a.exception_type == b.exception_type
    if a.kind == "returned":
        if (a.arguments_after is None) != (b.arguments_after is None):
            return False
        return same_value(a.value, b.value, tolerance) and (
            a.arguments_after is None or same_value(a.arguments_after, b.arguments_after, tolerance))
    return True


def same_value(a: Any, b: Any, tolerance: Tolerance) -> bool:
    """Whether two encoded values are equal, types kept, floats within ``tolerance``."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return tolerance.close(a, b)
    if type(a) is list:
        return len(a) == len(b) and all(same_value(x, y, tolerance) for x, y in zip(a, b))
    if type(a) is dict:
        tag = a.get("$")
        if tag != b.get("$") or a.keys() != b.keys():
            return False
        if tag in _UNORDERED and type(a.get("v")) is list and type(b.get("v")) is list:
            return _same_items(a["v"], b["v"], tolerance) and all(
                same_value(a[k], b[k], tolerance) for k in a if k != "v")
        if tag == "float":
            return bool(a == b)
        return all(same_value(a[k], b[k], tolerance) for k in a)
    return bool(a == b)


def _same_items(a: list[Any], b: list[Any], tolerance: Tolerance) -> bool:
    """Key-value pairs equal as a mapping: the same keys (exactly), each with the same value."""
    if len(a) != len(b):
        return False
    try:
        ours = {json.dumps(k, sort_keys=True): v for k, v in a}
        theirs = {json.dumps(k, sort_keys=True): v for k, v in b}
    except (TypeError, ValueError):
        return False
    return ours.keys() == theirs.keys() and all(same_value(v, theirs[k], tolerance) for k, v in ours.items())


def show_value(encoded: Any, limit: int = 200) -> str:
    """An encoded value as Python would show it, cut at ``limit`` characters."""
    try:
        text = repr(decode_value(encoded))
    except (ValueError, TypeError, RecursionError):
        text = json.dumps(encoded)[:limit]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def holds_objects(encoded: Any) -> bool:
    """Whether an encoded value holds an object of another class (compared by class name and built-in value)."""
    if type(encoded) is list:
        return any(holds_objects(x) for x in encoded)
    if type(encoded) is dict:
        return encoded.get("$") in ("object", "unencodable") or any(holds_objects(v) for v in encoded.values())
    return False
