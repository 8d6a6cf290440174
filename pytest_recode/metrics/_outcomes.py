"""What the metrics are computed from: per problem, which completions passed on each prompt.

Completion ``i`` is paired across prompts: ``nominal[i]`` and ``variant.results[i]`` are the results of
the i-th sample of the nominal prompt and of the perturbed prompt (with greedy decoding n = 1 and the
pairing is trivial). The records are plain data, JSON round-trippable, so pytest-xdist workers can send
them to the controller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import InvalidArgument

__all__ = ["ProblemOutcome", "VariantOutcome", "group_outcomes"]


def _bools(name: str, values: object) -> tuple[bool, ...]:
    if isinstance(values, bool):
        return (values,)
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidArgument(f"{name}={values!r} must be a sequence of booleans (one per completion).")
    result = tuple(values)
    for index, value in enumerate(result):
        if not isinstance(value, bool):
            raise InvalidArgument(
                f"{name}[{index}]={value!r} has type {type(value).__name__}; expected bool (passed or not)."
            )
    if not result:
        raise InvalidArgument(f"{name}=() is empty; each prompt needs at least one completion's result.")
    return result


@dataclass(frozen=True)
class VariantOutcome:
    """The results of the completions of one perturbed prompt.

    ``transform`` is the perturbation's name (e.g. ``"FuncRenameCamelCase"``), ``category`` its category
    (e.g. ``"function_name"``), ``seed`` which of its randomized variants this is (0 for a deterministic
    transform), ``results[i]`` whether completion ``i`` passed. A bare bool is taken as ``(bool,)``.
    """

    transform: str
    category: str
    seed: int
    results: tuple[bool, ...]

    def __post_init__(self) -> None:
        for name in ("transform", "category"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise InvalidArgument(f"{name}={getattr(self, name)!r} must be a non-empty string.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InvalidArgument(f"seed={self.seed!r} must be an int >= 0 (0 for a deterministic transform).")
        object.__setattr__(self, "results", _bools("results", self.results))

    def to_json(self) -> dict[str, Any]:
        return {"transform": self.transform, "category": self.category, "seed": self.seed,
                "results": list(self.results)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> VariantOutcome:
        return cls(data["transform"], data["category"], data["seed"], data["results"])


@dataclass(frozen=True)
class ProblemOutcome:
    """One problem's nominal results and the results of each of its perturbed variants.

    ``nominal`` is the baseline the variants are compared with: the nominal prompt for docstring and
    function-name perturbations, the unperturbed *partial-code* prompt for syntax and format ones. A
    problem evaluated both ways therefore gives two records, the second with ``partial=True``.
    """

    task_id: str
    nominal: tuple[bool, ...]
    variants: tuple[VariantOutcome, ...] = field(default=())
    partial: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.task_id, str):
            raise InvalidArgument(f"task_id={self.task_id!r} must be a string.")
        nominal = _bools(f"{self.task_id}: nominal", self.nominal)
        object.__setattr__(self, "nominal", nominal)
        variants = tuple(self.variants)
        categories: dict[str, str] = {}
        seen: set[tuple[str, int]] = set()
        for variant in variants:
            if not isinstance(variant, VariantOutcome):
                raise InvalidArgument(f"{self.task_id}: variants must be VariantOutcome records, found {variant!r}.")
            if len(variant.results) != len(nominal):
                raise InvalidArgument(
                    f"{self.task_id}: {variant.transform} seed {variant.seed} has {len(variant.results)} "
                    f"results but the nominal prompt has {len(nominal)}; completion i is paired across "
                    "prompts, so every prompt needs the same number of completions."
                )
            if (variant.transform, variant.seed) in seen:
                raise InvalidArgument(f"{self.task_id}: {variant.transform} seed {variant.seed} appears twice.")
            seen.add((variant.transform, variant.seed))
            if categories.setdefault(variant.transform, variant.category) != variant.category:
                raise InvalidArgument(
                    f"{self.task_id}: transform {variant.transform} is given two categories, "
                    f"{categories[variant.transform]!r} and {variant.category!r}."
                )
        object.__setattr__(self, "variants", variants)

    @property
    def n(self) -> int:
        """Completions per prompt."""
        return len(self.nominal)

    @property
    def key(self) -> tuple[str, bool]:
        """What identifies the record in a dataset: the task id and whether the baseline is partial code."""
        return (self.task_id, self.partial)

    def to_json(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "nominal": list(self.nominal), "partial": self.partial,
                "variants": [v.to_json() for v in self.variants]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProblemOutcome:
        return cls(data["task_id"], data["nominal"], tuple(VariantOutcome.from_json(v) for v in data["variants"]),
                   bool(data.get("partial", False)))


def _row_value(row: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in row:
            return row[name]
    raise InvalidArgument(f"row {dict(row)!r} has no {' or '.join(repr(n) for n in names)} field.")


def group_outcomes(rows: Iterable[Mapping[str, Any]]) -> list[ProblemOutcome]:
    """Build :class:`ProblemOutcome` records from flat rows, one row per perturbed prompt.

    Each row holds ``task_id``, ``transform``, ``category``, ``nominal`` and ``perturbed`` (each a bool or
    a sequence of bools; ``nominal_passed``/``perturbed_passed`` are accepted too), and optionally
    ``seed`` and ``partial``. Rows without a seed (or with ``seed=None``, as a Hypothesis-drawn case has)
    are numbered 0, 1, ... per problem and transform in the order they come. Rows of one problem must agree
    on its nominal results. Records come out in the order their problems first appear.
    """
    nominals: dict[tuple[str, bool], tuple[bool, ...]] = {}
    variants: dict[tuple[str, bool], list[VariantOutcome]] = {}
    next_seed: dict[tuple[str, bool, str], int] = {}  # the next free seed per problem and transform
    for row in rows:
        key = (_row_value(row, "task_id"), bool(row.get("partial", False)))
        nominal = _bools(f"{key[0]}: nominal", _row_value(row, "nominal", "nominal_passed"))
        if nominals.setdefault(key, nominal) != nominal:
            raise InvalidArgument(
                f"{key[0]}: rows disagree on the nominal results ({nominals[key]} and {nominal}); give "
                "rows whose baseline is the partial-code prompt partial=True."
            )
        transform = _row_value(row, "transform")
        counter = (*key, transform)
        seed = row.get("seed")
        if seed is None:
            seed = next_seed.get(counter, 0)
        if isinstance(seed, int) and not isinstance(seed, bool):
            next_seed[counter] = max(next_seed.get(counter, 0), seed + 1)
        variants.setdefault(key, []).append(
            VariantOutcome(transform, _row_value(row, "category"), seed,
                           _row_value(row, "perturbed", "perturbed_passed"))
        )
    return [ProblemOutcome(key[0], nominals[key], tuple(variants[key]), key[1]) for key in nominals]


def check_outcomes(outcomes: Sequence[ProblemOutcome] | Iterable[ProblemOutcome]) -> tuple[ProblemOutcome, ...]:
    """Check a dataset's records: all :class:`ProblemOutcome`, no problem (and baseline) twice."""
    if isinstance(outcomes, ProblemOutcome) or not isinstance(outcomes, Iterable):
        raise InvalidArgument(f"outcomes={outcomes!r} must be a sequence of ProblemOutcome records.")
    result = tuple(outcomes)
    seen: set[tuple[str, bool]] = set()
    for outcome in result:
        if not isinstance(outcome, ProblemOutcome):
            raise InvalidArgument(f"outcomes holds {outcome!r}; expected ProblemOutcome records.")
        if outcome.key in seen:
            raise InvalidArgument(
                f"outcomes holds {outcome.task_id!r} (partial={outcome.partial}) twice; merge its variants "
                "into one record (group_outcomes does that from flat rows)."
            )
        seen.add(outcome.key)
    return result
