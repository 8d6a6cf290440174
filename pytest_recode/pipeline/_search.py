"""Drawing a problem's perturbations with Hypothesis, for a batched search.

Hypothesis calls a test one example at a time; a code model costs nearly the same for one prompt as for
thirty-two. So the search lets Hypothesis *draw* (its generation heuristics, the active settings profile,
derandomization under CI) without judging anything, and the pipeline judges every drawn perturbation in one
batch. Shrinking is then the pipeline's own batched delta debugging (see ``_shrink``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable

from ..problems import Problem
from ..strategies import AnyPerturbation, compositions
from ..transforms import Transform

__all__ = ["draw_perturbations", "search_seed"]


def search_seed(*parts: object) -> int:
    """A stable seed from the parts (base seed, test, task id), so a search is the same on every run and
    under every xdist layout."""
    digest = hashlib.sha256("\0".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def draw_perturbations(
    problem: Problem,
    transforms: Sequence[Transform],
    *,
    count: int,
    max_transforms: int = 1,
    random_seed: int = 0,
    exclude: frozenset[str] = frozenset(),
) -> list[AnyPerturbation]:
    """Up to ``count`` distinct perturbations of ``problem`` drawn by Hypothesis (fewer when the problem
    has fewer), none whose perturbed prompt is in ``exclude``.

    The active Hypothesis settings profile applies (``--hypothesis-profile``; the ``ci`` profile
    derandomizes), except what a batched draw needs: no deadline (a draw may load WordNet), no health
    check (nothing here is the user's test), no database and no shrinking (failures are kept by the
    plugin, as recipes, and shrunk by the pipeline).
    """
    if count < 1 or not transforms:
        return []
    drawn: dict[str, AnyPerturbation] = {}

    # Some draws repeat a prompt: draw half as many again to reach ``count`` distinct ones.
    @settings(settings.default, max_examples=count + count // 2, database=None, deadline=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False)
    @seed(random_seed)
    @given(compositions(problem, transforms=list(transforms), max_transforms=max_transforms))
    def collect(perturbation: AnyPerturbation) -> None:
        prompt = perturbation.perturbed.prompt
        if prompt not in exclude:
            drawn.setdefault(prompt, perturbation)

    try:
        collect()
    except Unsatisfiable:  # nothing applies to this problem
        return []
    return list(drawn.values())[:count]
