"""``@recode_robust``: turns a test of one ``recode_case`` into a robustness test over a dataset.

The decorated test runs once per problem (the plugin parametrizes it, so xdist spreads problems over
workers); within that item the plugin judges the problem's perturbations (``_item.run_item``), calling the
test once per perturbation with a :class:`~pytest_recode.RecodeCase`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from .._checks import check_choice, check_choices, check_positive, check_type
from .._errors import InvalidArgument
from ..transforms import CATEGORIES, TRANSFORM_NAMES
from ._case import MODES, Mode

__all__ = ["SEARCHES", "RobustSpec", "recode_robust"]

Search = Literal["hypothesis", "seeded"]
#: How a test looks for failures: ReCode's seeded variants then a Hypothesis search, or the variants only.
SEARCHES: tuple[Search, ...] = ("hypothesis", "seeded")

F = TypeVar("F", bound=Callable[..., Any])

#: The fixtures the wrapper asks pytest for, besides those of the user's test.
WRAPPER_FIXTURES = ("recode_problem", "recode_context", "request")


@dataclass(frozen=True)
class RobustSpec:
    """What a ``@recode_robust`` test covers and how it judges; see :func:`recode_robust`."""

    dataset: str = "builtin"
    categories: tuple[str, ...] = CATEGORIES
    transforms: tuple[str, ...] | None = None
    max_examples: int = 25
    mode: Mode = "equivalent"
    problems: tuple[str, ...] | None = None
    limit: int | None = None
    seeds: int = 1
    search: Search = "hypothesis"
    compose: int = 1
    shrink_budget: int = 100

    def transform_names(self) -> tuple[str, ...]:
        """The transforms this test uses: ``transforms`` when given, else every one in ``categories``."""
        from ..transforms import transform_names

        return self.transforms if self.transforms is not None else transform_names(self.categories)


def _optional_names(name: str, value: Sequence[str] | None, choices: Sequence[str]) -> tuple[str, ...] | None:
    return None if value is None else check_choices(name, value, choices)


def recode_robust(
    *,
    dataset: str = "builtin",
    categories: Sequence[str] | None = None,
    transforms: Sequence[str] | None = None,
    max_examples: int = 25,
    mode: str = "equivalent",
    problems: Sequence[str] | None = None,
    limit: int | None = None,
    seeds: int = 1,
    search: str = "hypothesis",
    compose: int = 1,
    shrink_budget: int = 100,
) -> Callable[[F], F]:
    """Make a test of ``recode_case`` a robustness test, one pytest item per problem of ``dataset``.

    - ``dataset``: ``"builtin"``, ``"humaneval"``, ``"mbpp"`` (path from ``--recode-mbpp-path``) or a
      ``.jsonl`` path.
    - ``categories``: perturbation categories to draw from (default: all four); ``transforms``: ReCode
      transform names instead (overrides ``categories``).
    - ``max_examples``: most seeded variants per problem, spread over every transform (round robin across
      categories), and as many perturbations again drawn by the search (``--recode-max-examples`` overrides).
    - ``mode``: what ``recode_case.check()`` asserts: ``"equivalent"`` (both completions behave the same)
      or ``"robust_pass"`` (the perturbed completion passes wherever the nominal one does).
    - ``problems``: task ids to keep; ``limit``: keep only the first N problems.
    - ``seeds``: seeded variants per randomized transform (ReCode's s).
    - ``search``: ``"hypothesis"`` (the seeded variants, then perturbations drawn by Hypothesis) or
      ``"seeded"`` (the seeded variants only).
    - ``compose``: most transforms applied together in one drawn perturbation.
    - ``shrink_budget``: most prompts generated while shrinking a failure (``--recode-shrink-budget``).
    """
    spec = RobustSpec(
        dataset=_check_dataset(dataset),
        categories=check_choices("categories", categories, CATEGORIES) if categories is not None else CATEGORIES,
        transforms=_optional_names("transforms", transforms, TRANSFORM_NAMES),
        max_examples=_check_count("max_examples", max_examples),
        mode=check_choice("mode", mode, MODES),  # type: ignore[arg-type]
        problems=_check_task_ids(problems),
        limit=None if limit is None else _check_count("limit", limit),
        seeds=_check_count("seeds", seeds),
        search=check_choice("search", search, SEARCHES),  # type: ignore[arg-type]
        compose=_check_count("compose", compose),
        shrink_budget=_check_count("shrink_budget", shrink_budget),
    )

    def decorate(test: F) -> F:
        return _wrap(test, spec)  # type: ignore[return-value]

    return decorate


def _check_dataset(dataset: object) -> str:
    import os

    if isinstance(dataset, os.PathLike):
        return os.fspath(dataset)
    check_type("dataset", dataset, str)
    return dataset  # type: ignore[return-value]


def _check_count(name: str, value: object) -> int:
    check_type(name, value, int)
    check_positive(name, value)
    return value  # type: ignore[return-value]


def _check_task_ids(problems: Sequence[str] | None) -> tuple[str, ...] | None:
    if problems is None:
        return None
    if isinstance(problems, str):
        raise InvalidArgument(f"problems={problems!r} is a string; did you mean problems=[{problems!r}]?")
    for index, task_id in enumerate(problems):
        check_type(f"problems[{index}]", task_id, str)
    return tuple(problems)


def _wrap(test: Callable[..., Any], spec: RobustSpec) -> Callable[..., Any]:
    if getattr(test, "_recode_spec", None) is not None:
        raise InvalidArgument(f"{test.__qualname__} is decorated with @recode_robust twice; keep one.")
    signature = inspect.signature(test)
    if "recode_case" not in signature.parameters:
        raise InvalidArgument(
            f"{test.__qualname__} must take a recode_case argument to be a @recode_robust test: "
            f"def {test.__name__}(recode_case): recode_case.check()"
        )
    asks_request = "request" in signature.parameters
    kept = [p for p in signature.parameters.values() if p.name != "recode_case"]
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY)
             for name in WRAPPER_FIXTURES if name not in signature.parameters]

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        problem = kwargs.pop("recode_problem")
        context = kwargs.pop("recode_context")
        request = kwargs["request"] if asks_request else kwargs.pop("request")
        from ._item import run_item  # the pipeline (and Hypothesis) load when the first item runs

        run_item(test, spec, problem, context, request, args, kwargs)

    wrapper.__signature__ = signature.replace(parameters=kept + extra)  # type: ignore[attr-defined]
    wrapper._recode_spec = spec  # type: ignore[attr-defined]
    return wrapper
