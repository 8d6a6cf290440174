"""ReCode's seeded variants, by one set of rules for every front door.

The plugin's seeded cases, ``recode perturb`` (ReCode's file layout) and ``recode run`` (the benchmark) all
take their variants from here, so they agree on:

- the **baseline** a transform perturbs (:func:`pytest_recode.transforms.baseline`: the partial-code
  variant for syntax and format transforms, the problem itself otherwise);
- the **seeds**: ``base_seed + 0 .. seeds - 1`` for randomized transforms, ``base_seed`` alone for
  deterministic ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..problems import Problem
from ..transforms import CATEGORIES, NotApplicable, Perturbation, Transform, baseline

__all__ = [
    "SeededVariants",
    "round_robin",
    "seeded_perturbations",
    "variant_seeds",
]

def variant_seeds(transform: Transform, seeds: int, base_seed: int = 0) -> range:
    """The seeds of a transform's variants: ``seeds`` of them for a randomized transform, one otherwise."""
    return range(base_seed, base_seed + (seeds if transform.randomized else 1))


def round_robin(transforms: Iterable[Transform]) -> list[Transform]:
    """The transforms in turn across categories: the first of each category, then the second of each, ...

    A budget of N cases then covers every category (and as many transforms of each as it can) instead of
    the first N transforms of the first category.
    """
    by_category: dict[str, list[Transform]] = {}
    for transform in transforms:
        by_category.setdefault(transform.category, []).append(transform)
    queues = [by_category[c] for c in (*CATEGORIES, *sorted(set(by_category) - set(CATEGORIES))) if c in by_category]
    ordered: list[Transform] = []
    for rank in range(max((len(q) for q in queues), default=0)):
        ordered.extend(q[rank] for q in queues if rank < len(q))
    return ordered


@dataclass(frozen=True)
class SeededVariants:
    """A problem's seeded perturbations, and the transforms that gave none (with why)."""

    perturbations: tuple[Perturbation, ...]
    not_applicable: tuple[NotApplicable, ...]


def seeded_perturbations(
    problem: Problem,
    transforms: Sequence[Transform],
    *,
    seeds: int = 1,
    base_seed: int = 0,
    limit: int | None = None,
) -> SeededVariants:
    """ReCode's seeded variants of ``problem``, seed by seed, the transforms in :func:`round_robin` order,
    up to ``limit``.

    Variants that leave the prompt unchanged, or repeat an earlier prompt, are skipped: they would test
    nothing new. Every transform that cannot run here or finds nothing to change is reported once.
    """
    ordered = round_robin(transforms)
    found: list[Perturbation] = []
    skipped: dict[str, NotApplicable] = {}
    seen_prompts: set[str] = set()
    for offset in range(seeds):
        for transform in ordered:
            if offset > 0 and not transform.randomized or transform.name in skipped:
                continue
            result = transform.perturb(baseline(problem, transform.category), seed=base_seed + offset)
            if isinstance(result, NotApplicable):
                skipped[transform.name] = result
                continue
            if not result.changed or result.perturbed.prompt in seen_prompts:
                continue
            seen_prompts.add(result.perturbed.prompt)
            found.append(result)
            if limit is not None and len(found) >= limit:
                return SeededVariants(tuple(found), tuple(skipped.values()))
    return SeededVariants(tuple(found), tuple(skipped.values()))
