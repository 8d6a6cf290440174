"""``@recode_robust``: turns a test of one ``recode_case`` into a robustness test over a dataset.

The decorated test runs once per problem (the plugin parametrizes it, so xdist spreads problems over
workers); within that item the wrapper draws perturbations of the problem and calls the test once per
perturbation with a :class:`~pytest_recode.RecodeCase`.
"""

from __future__ import annotations

import functools
import inspect
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ._case import MODES, CaseBatch, Mode
from ._checks import check_choice, check_choices, check_positive, check_type
from ._errors import InvalidArgument
from .transforms import CATEGORIES, TRANSFORM_NAMES

__all__ = ["RobustSpec", "recode_robust"]

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

    def transform_names(self) -> tuple[str, ...]:
        """The transforms this test uses: ``transforms`` when given, else every one in ``categories``."""
        from .transforms import transform_names

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
) -> Callable[[F], F]:
    """Make a test of ``recode_case`` a robustness test, one pytest item per problem of ``dataset``.

    - ``dataset``: ``"builtin"``, ``"humaneval"``, ``"mbpp"`` (path from ``--recode-mbpp-path``) or a
      ``.jsonl`` path.
    - ``categories``: perturbation categories to draw from (default: all four); ``transforms``: ReCode
      transform names instead (overrides ``categories``).
    - ``max_examples``: most perturbations tried per problem (``--recode-max-examples`` overrides it).
    - ``mode``: what ``recode_case.check()`` asserts: ``"equivalent"`` (both completions behave the same)
      or ``"robust_pass"`` (the perturbed completion passes wherever the nominal one does).
    - ``problems``: task ids to keep; ``limit``: keep only the first N problems.
    - ``seeds``: seeded variants per randomized transform (ReCode's s).
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
        run_cases(test, spec, problem, context, request, args, kwargs)

    wrapper.__signature__ = signature.replace(parameters=kept + extra)  # type: ignore[attr-defined]
    wrapper._recode_spec = spec  # type: ignore[attr-defined]
    return wrapper


def run_cases(test: Callable[..., Any], spec: RobustSpec, problem: Any, context: Any, request: Any,
              args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Draw the perturbations of one problem and call the test on each case; record every outcome."""
    import pytest

    from ._runner import seeded_perturbations
    from .plugin._state import settings_of

    settings = settings_of(request.config)
    transforms = [context.transform(name) for name in spec.transform_names()]
    available = [t for t in transforms if t.unavailable() is None]
    limit = settings.max_examples if settings.max_examples is not None else spec.max_examples
    perturbations, _ = seeded_perturbations(problem, available, seeds=spec.seeds, base_seed=settings.seed,
                                            limit=limit)
    if not perturbations:
        names = ", ".join(t.name for t in transforms)
        pytest.skip(f"no transform changes {problem.task_id} ({names})")
    replay = f"pytest {shlex.quote(request.node.nodeid)} --recode-seed={settings.seed}"
    cases = CaseBatch(context, perturbations, replay).cases(spec.mode)
    # Evaluating one outcome evaluates the whole batch (one generation call, one execution call); every
    # case is recorded for the summary even when the test stops at the first failing one.
    outcomes = [case.outcome().to_json() for case in cases]
    request.node.user_properties.append(("recode", outcomes))
    for case in cases:
        test(*args, recode_case=case, **kwargs)
