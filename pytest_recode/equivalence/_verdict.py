"""The verdict on two completions: do they compute the same, and the evidence either way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..execution import encode_value
from ._outcomes import Outcome, show_value

__all__ = ["KINDS", "Verdict", "VerdictKind"]

VerdictKind = Literal["equivalent", "differs", "nominal_broken", "undecided"]
#: ``equivalent``: the same outcome on every input compared; ``differs``: another outcome on at least one;
#: ``nominal_broken``: the nominal completion does not load or fails on most inputs the canonical solution
#: handles (nothing to hold the perturbed one to); ``undecided``: nothing could be compared.
KINDS: tuple[VerdictKind, ...] = ("equivalent", "differs", "nominal_broken", "undecided")


@dataclass(frozen=True)
class Verdict:
    """Whether the nominal and the perturbed completion behave the same, and why.

    ``compared`` counts the inputs on which both calls ended (returned or raised) and were compared,
    ``differing`` those among them with different outcomes; ``input`` is the first differing input (its
    positional arguments) with ``nominal``, ``perturbed`` and ``canonical``, the three outcomes on it.
    True in a boolean context only when ``kind == "equivalent"``.
    """

    kind: VerdictKind
    compared: int = 0
    differing: int = 0
    inputs: int = 0
    input: tuple[Any, ...] | None = None
    nominal: Outcome | None = None
    perturbed: Outcome | None = None
    canonical: Outcome | None = None
    reason: str = ""
    notes: tuple[str, ...] = ()
    entry_point: str = "candidate"

    def __bool__(self) -> bool:
        return self.kind == "equivalent"

    def describe(self) -> str:
        """What was found, for a person: one line, and for ``differs`` the input and the three outcomes."""
        if self.kind == "equivalent":
            head = f"equivalent: the same behaviour on all {self.compared} inputs compared"
        elif self.kind == "differs":
            head = f"differs on {self.differing} of {self.compared} inputs compared"
        else:
            head = f"{self.kind}: {self.reason}" if self.reason else self.kind
        lines = [head]
        if self.input is not None:
            call = f"{self.entry_point}({', '.join(show_value(encode_value(a), 120) for a in self.input)})"
            lines.append(f"  input:     {call}")
            for name, outcome in (("nominal", self.nominal), ("perturbed", self.perturbed),
                                  ("canonical", self.canonical)):
                if outcome is not None:
                    lines.append(f"  {name + ':':<10} {outcome.show()}")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.describe()

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (the input and the values in the sandbox's tagged encoding)."""
        return {
            "kind": self.kind, "compared": self.compared, "differing": self.differing, "inputs": self.inputs,
            "input": encode_value(list(self.input)) if self.input is not None else None,
            "nominal": self.nominal.to_json() if self.nominal else None,
            "perturbed": self.perturbed.to_json() if self.perturbed else None,
            "canonical": self.canonical.to_json() if self.canonical else None,
            "reason": self.reason, "notes": list(self.notes), "entry_point": self.entry_point,
        }
