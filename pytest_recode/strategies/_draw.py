"""Hypothesis strategies over ReCode's transforms.

Each strategy draws the *choices* of a perturbation, in an order chosen so that Hypothesis's shrinking
means a smaller perturbation: how many transforms (fewer), which transform (earlier in ReCode's order),
which sites (fewer, earlier: drawn as (site, option) pairs, unique by site) and which option at each (0,
the most natural replacement). Only public Hypothesis API is used. Building a strategy never raises:
arguments are checked, and transforms instantiated, when it is first drawn from.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from .._checks import check_choice, check_choices, check_type
from .._errors import InvalidArgument
from ..problems import Problem
from ..transforms import (
    CATEGORIES,
    TRANSFORM_NAMES,
    Edit,
    NotApplicable,
    Perturbation,
    Site,
    Transform,
    TransformConfig,
    baseline,
    get_transform,
    transform_names,
)
from ._recipe import AnyPerturbation, Composition

__all__ = ["compositions", "perturbations", "perturbed_problems"]

#: Options are drawn below this bound and taken modulo the site's option count (0 stays 0, so shrinking
#: towards 0 reaches the most natural replacement).
_OPTION_DRAW_BOUND = 16


class _Sites:
    """Each (transform, problem)'s sites, computed once per strategy."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, Problem], tuple[Site, ...]] = {}

    def of(self, transform: Transform, problem: Problem) -> tuple[Site, ...]:
        key = (transform.name, problem)
        if key not in self._known:
            self._known[key] = () if transform.unavailable() is not None else transform.sites(problem)
        return self._known[key]


def _check_transforms(transforms: Sequence[str | Transform] | None, categories: Sequence[str] | None,
                      config: TransformConfig | None) -> tuple[Transform, ...]:
    if transforms is not None and categories is not None:
        raise InvalidArgument("give transforms= or categories=, not both (transforms= already names each one).")
    if transforms is None:
        names = transform_names(None if categories is None else check_choices("categories", categories, CATEGORIES))
        chosen = [get_transform(name, config) for name in names]
        return tuple(t for t in chosen if t.unavailable() is None)
    if isinstance(transforms, (str, Transform)):
        raise InvalidArgument(f"transforms={transforms!r} is a single value; did you mean transforms=[{transforms!r}]?")
    result = []
    for index, item in enumerate(transforms):
        if isinstance(item, Transform):
            result.append(item)
        else:
            check_choice(f"transforms[{index}]", item, TRANSFORM_NAMES)
            result.append(get_transform(item, config))
    if not result:
        raise InvalidArgument("transforms=[] names no transform; leave it out to draw from every transform.")
    return tuple(result)


def _check_limit(name: str, value: int | None) -> int | None:
    if value is not None:
        check_type(name, value, int)
        if isinstance(value, bool) or value < 1:
            raise InvalidArgument(f"{name}={value!r} must be None or an int of at least 1.")
    return value


@st.composite
def _edits(draw: Any, sites: tuple[Site, ...], max_edits: int | None) -> tuple[Edit, ...]:
    limit = len(sites) if max_edits is None else min(max_edits, len(sites))
    pairs = draw(st.lists(st.tuples(st.integers(0, len(sites) - 1), st.integers(0, _OPTION_DRAW_BOUND - 1)),
                          min_size=1, max_size=limit, unique_by=lambda pair: pair[0]))
    return tuple(sorted(Edit(site, option % len(sites[site].options)) for site, option in pairs))


def _step(draw: Any, table: _Sites, candidates: Sequence[Transform], start: Callable[[Transform], Problem],
          max_edits: int | None) -> Perturbation:
    """Draw one transform that applies to the problem ``start`` gives it, then its edits."""
    applicable = [t for t in candidates if table.of(t, start(t))]
    assume(applicable)
    transform = draw(st.sampled_from(applicable))
    base = start(transform)
    edits = draw(_edits(table.of(transform, base), max_edits))
    result = transform.perturb_with(base, edits)
    assert not isinstance(result, NotApplicable), result  # it had sites, so it applies
    return result


def _composition_strategy(problem: Problem, transforms: Sequence[str | Transform] | None,
                          categories: Sequence[str] | None, max_edits: int | None, max_transforms: int,
                          config: TransformConfig | None) -> st.SearchStrategy[AnyPerturbation]:
    check_type("problem", problem, Problem)
    _check_limit("max_edits", max_edits)
    _check_limit("max_transforms", max_transforms)
    chosen = _check_transforms(transforms, categories, config)
    table = _Sites()

    @st.composite
    def draw_composition(draw: Any) -> AnyPerturbation:
        count = draw(st.integers(1, max_transforms)) if max_transforms > 1 else 1
        steps = [_step(draw, table, chosen, lambda t: baseline(problem, t.category), max_edits)]
        while len(steps) < count:
            used = {s.transform for s in steps}
            current = steps[-1].perturbed
            rest = [t for t in chosen if t.name not in used and table.of(t, current)]
            if not rest:
                break
            steps.append(_step(draw, table, rest, lambda t: current, max_edits))
        result: AnyPerturbation = steps[0] if len(steps) == 1 else Composition(tuple(steps))
        assume(result.changed)
        return result

    return draw_composition()


def compositions(
    problem: Problem,
    *,
    transforms: Sequence[str | Transform] | None = None,
    categories: Sequence[str] | None = None,
    max_edits: int | None = None,
    max_transforms: int = 3,
    config: TransformConfig | None = None,
) -> st.SearchStrategy[AnyPerturbation]:
    """Draws 1 to ``max_transforms`` different transforms applied one after the other to ``problem``
    (a :class:`~pytest_recode.Perturbation` when one is drawn, else a :class:`Composition`).

    The first transform perturbs its baseline (the partial-code variant for syntax and format transforms);
    each next one is drawn among those that apply to the previous output, whose sites are computed on it.
    ``transforms`` (names or instances) or ``categories`` choose what to draw from (default: every transform
    that can run here); ``max_edits`` bounds the edits of each transform (default: every site);
    ``config`` configures transforms given by name.
    """
    return st.deferred(lambda: _composition_strategy(problem, transforms, categories, max_edits, max_transforms,
                                                     config))


def perturbations(
    problem: Problem,
    *,
    transforms: Sequence[str | Transform] | None = None,
    categories: Sequence[str] | None = None,
    max_edits: int | None = None,
    config: TransformConfig | None = None,
) -> st.SearchStrategy[Perturbation]:
    """Draws one :class:`~pytest_recode.Perturbation` of ``problem``: a transform, then how many edits,
    then which sites, then which option at each. Shrinks towards one edit, at the earliest site, with
    option 0, of the earliest transform. Transforms that do not apply, or cannot run here, are never drawn.

    >>> @given(perturbations(problem, categories=["docstring"]))
    ... def test_typos_do_not_matter(perturbation): ...
    """
    return st.deferred(lambda: _composition_strategy(problem, transforms, categories, max_edits, 1, config))  # type: ignore[return-value]


def perturbed_problems(
    problem: Problem,
    *,
    transforms: Sequence[str | Transform] | None = None,
    categories: Sequence[str] | None = None,
    max_edits: int | None = None,
    max_transforms: int = 1,
    config: TransformConfig | None = None,
) -> st.SearchStrategy[Problem]:
    """Draws a ready perturbed :class:`~pytest_recode.Problem` (see :func:`compositions`)."""
    return compositions(problem, transforms=transforms, categories=categories, max_edits=max_edits,
                        max_transforms=max_transforms, config=config).map(lambda p: p.perturbed)
