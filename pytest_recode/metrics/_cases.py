"""The case record: one judged perturbation of one problem, in the one form it keeps from the worker that
judged it to every report.

A :class:`CaseOutcome` is plain data (JSON round-trippable), so pytest-xdist workers send it to the
controller, ``recode run`` writes it to ``results.json``, and every figure is computed from it:
:func:`problem_outcomes` groups the seeded cases into the :class:`ProblemOutcome` records ReCode's metrics
are defined on, and :func:`equivalence_share` counts behaviourally equivalent cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from .._checks import record_from_json
from .._errors import InvalidArgument
from ._outcomes import ProblemOutcome, group_outcomes

__all__ = ["CASE_SOURCES", "VERDICT_KINDS", "CaseOutcome", "equivalence_share", "problem_outcomes"]

Source = Literal["seeded", "search", "replay"]
#: Where a case came from: ReCode's seeded variants (they make the benchmark figures), the Hypothesis search,
#: or a replayed perturbation (``--recode-replay`` or the example database).
CASE_SOURCES: tuple[Source, ...] = ("seeded", "search", "replay")
#: The kinds of equivalence verdict a case may carry (see :mod:`pytest_recode.equivalence`).
VERDICT_KINDS: tuple[str, ...] = ("equivalent", "differs", "nominal_broken", "undecided")


def _bools(name: str, value: object) -> tuple[bool, ...]:
    if isinstance(value, bool):
        return (value,)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, bool) for v in value):
        return tuple(value)
    raise InvalidArgument(f"{name}={value!r} must be a bool or a non-empty sequence of bools (one per completion).")


@dataclass(frozen=True)
class CaseOutcome:
    """One case: a perturbation of a problem and how the model's completions fared.

    ``nominal[i]`` and ``perturbed[i]`` say whether completion ``i`` of the nominal and of the perturbed
    prompt passed the problem's tests (one entry each with greedy decoding). ``partial`` says whether the
    baseline is the partial-code prompt (syntax and format). ``seed`` numbers ReCode's seeded variants and
    is ``None`` for a perturbation the search drew. ``recipe`` replays the perturbation exactly
    (:mod:`pytest_recode.strategies`). ``verdict`` is the equivalence verdict's kind where one was judged.
    """

    task_id: str
    transform: str
    category: str
    seed: int | None
    size: int
    nominal: tuple[bool, ...]
    perturbed: tuple[bool, ...]
    partial: bool = False
    verdict: str | None = None
    source: Source = "seeded"
    recipe: str = ""
    #: The test that judged it (its node id without the problem), where a test did.
    test: str = ""
    #: Whether the test failed on this case (a robustness finding).
    failed: bool = False
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "nominal", _bools("nominal", self.nominal))
        object.__setattr__(self, "perturbed", _bools("perturbed", self.perturbed))
        object.__setattr__(self, "notes", tuple(self.notes))
        if len(self.nominal) != len(self.perturbed):
            raise InvalidArgument(
                f"{self.task_id} {self.transform}: {len(self.nominal)} nominal results and {len(self.perturbed)} "
                "perturbed ones; completion i is paired across prompts."
            )
        if self.source not in CASE_SOURCES:
            raise InvalidArgument(f"source={self.source!r} is not one of {list(CASE_SOURCES)}.")
        if self.verdict is not None and self.verdict not in VERDICT_KINDS:
            raise InvalidArgument(f"verdict={self.verdict!r} is not one of {list(VERDICT_KINDS)} or None.")

    @property
    def nominal_passed(self) -> bool:
        """Whether the first (with greedy decoding: the only) nominal completion passed."""
        return self.nominal[0]

    @property
    def perturbed_passed(self) -> bool:
        return self.perturbed[0]

    @property
    def broken(self) -> bool:
        """The nominal completion passes and the perturbed one does not (first completion)."""
        return self.nominal[0] and not self.perturbed[0]

    @property
    def equivalent(self) -> bool | None:
        """Whether both completions behave the same, where a verdict was judged (``None`` otherwise)."""
        if self.verdict in ("equivalent", "differs"):
            return self.verdict == "equivalent"
        return None

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["nominal"], data["perturbed"], data["notes"] = list(self.nominal), list(self.perturbed), list(self.notes)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CaseOutcome:
        return record_from_json(cls, data, "a case record")


def problem_outcomes(cases: Iterable[CaseOutcome]) -> list[ProblemOutcome]:
    """ReCode's metric records from the seeded cases: one per problem and baseline.

    Cases the search drew or replayed are findings, not benchmark variants, and are left out. Several tests
    can perturb the same problem the same way: the first case of each (problem, baseline, transform, seed)
    counts, so that every variant weighs once; the first case of a problem and baseline gives its nominal
    results (every case of it saw the same completions: the engine serves a prompt once per session).
    """
    seen: set[tuple[str, bool, str, int | None]] = set()
    nominal: dict[tuple[str, bool], tuple[bool, ...]] = {}
    rows = []
    for case in cases:
        if case.source != "seeded":
            continue
        key = (case.task_id, case.partial, case.transform, case.seed)
        if key in seen:
            continue
        seen.add(key)
        rows.append({"task_id": case.task_id, "partial": case.partial, "transform": case.transform,
                     "category": case.category, "seed": case.seed,
                     "nominal": nominal.setdefault((case.task_id, case.partial), case.nominal),
                     "perturbed": case.perturbed})
    return group_outcomes(rows)


def equivalence_share(cases: Sequence[CaseOutcome]) -> float | None:
    """The share of judged cases (verdict equivalent or differs) whose completions behave the same;
    ``None`` when no case was judged."""
    judged = [c.equivalent for c in cases if c.equivalent is not None]
    return None if not judged else sum(judged) / len(judged)
