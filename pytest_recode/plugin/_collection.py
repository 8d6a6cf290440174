"""Choosing the problems a ``@recode_robust`` test is parametrized over."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ._state import state_of

if TYPE_CHECKING:
    from ._decorator import RobustSpec
    from ..problems import Problem


def select_problems(config: pytest.Config, spec: RobustSpec) -> list[Problem]:
    """The spec's dataset (loaded once per session), filtered by ``problems`` and ``limit``."""
    from .._errors import RecodeError
    from ..problems import load_problems

    state = state_of(config)
    key = (spec.dataset, state.settings.mbpp_path)
    if key not in state.problems:
        try:
            state.problems[key] = load_problems(spec.dataset, mbpp_path=state.settings.mbpp_path)
        except RecodeError as exc:
            pytest.fail(f"dataset={spec.dataset!r}: {exc}", pytrace=False)
    problems = state.problems[key]
    if spec.problems is not None:
        by_id = {p.task_id: p for p in problems}
        missing = [task_id for task_id in spec.problems if task_id not in by_id]
        if missing:
            pytest.fail(
                f"problems={list(spec.problems)!r}: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                f"not in dataset {spec.dataset!r} (its task ids look like {problems[0].task_id!r}).",
                pytrace=False,
            )
        problems = [by_id[task_id] for task_id in spec.problems]
    if spec.limit is not None:
        problems = problems[: spec.limit]
    return problems
