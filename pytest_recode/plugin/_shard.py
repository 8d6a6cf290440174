"""``--recode-shard I/N``: keep one stable share of every ``@recode_robust`` test's problems.

The split is :class:`pytest_recode.pipeline.Shard`'s, the one ``recode run --shard`` uses, over the distinct
task ids of each test function; the other items are deselected (reported as such, like ``-k``). Every
process (each xdist worker collects for itself) computes the same split.
"""

from __future__ import annotations

from typing import Any

import pytest

__all__ = ["deselect_other_shards", "problem_of"]


def problem_of(item: pytest.Item) -> Any:
    """The :class:`~pytest_recode.Problem` a ``@recode_robust`` item judges, or ``None`` for other items."""
    callspec = getattr(item, "callspec", None)
    return None if callspec is None else callspec.params.get("recode_problem")


def deselect_other_shards(config: pytest.Config, items: list[pytest.Item], shard_text: str) -> None:
    from ..pipeline._shard import Shard

    shard = Shard.parse(shard_text)
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        if problem_of(item) is not None:
            groups.setdefault(item.nodeid.split("[", 1)[0], []).append(item)
    deselected: list[pytest.Item] = []
    for group in groups.values():
        task_ids = list(dict.fromkeys(problem_of(item).task_id for item in group))
        kept = set(shard.select(task_ids, key=str))
        deselected += [item for item in group if problem_of(item).task_id not in kept]
    if deselected:
        dropped = {id(item) for item in deselected}
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if id(item) not in dropped]
