"""Merging the shards of a run (``recode merge``) into the results one unsharded run would have written.

Every shard must come from the same run (same settings but the shard, same model fingerprint, dataset and
pytest-recode version), the shards ``1/N .. N/N`` must all be there, once each, and no problem may appear
in two of them. Problems, cases and examples are put back in the order of the unsharded run (each
problem's index in the run's problem list), which makes the merged file equal an unsharded run's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .._errors import ReportError
from ._results import RunResults, first_difference

__all__ = ["merge_results"]


def _shard_numbers(name: str, results: RunResults) -> tuple[int, int]:
    shard = results.shard
    if not shard:
        raise ReportError(f"{name} is not a shard (its run had no --shard); merge takes the shards of one run.")
    index, _, count = str(shard).partition("/")
    try:
        return int(index), int(count)
    except ValueError:
        raise ReportError(f"{name} is corrupt: its shard is {shard!r}, not I/N.") from None


def merge_results(parts: Sequence[tuple[str, RunResults]]) -> RunResults:
    """One :class:`RunResults` from the named shards (see the module docstring)."""
    if not parts:
        raise ReportError("give the results of at least one shard.")
    first_name, first = parts[0]
    numbers: dict[int, str] = {}
    count = _shard_numbers(first_name, first)[1]
    for name, results in parts:
        difference = first_difference(first.identity(), results.identity())
        if difference is not None:
            raise ReportError(f"{first_name} and {name} are shards of different runs: they differ in {difference}.")
        index, shard_count = _shard_numbers(name, results)
        if shard_count != count:
            raise ReportError(f"{first_name} is a shard of {count} and {name} one of {shard_count}.")
        if index in numbers:
            raise ReportError(f"{numbers[index]} and {name} are both shard {index}/{count}.")
        numbers[index] = name
    missing = [f"{i}/{count}" for i in range(1, count + 1) if i not in numbers]
    if missing:
        raise ReportError(f"shard{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                          f"{'are' if len(missing) > 1 else 'is'} missing; give the results of all {count}.")
    owner: dict[str, str] = {}
    for name, results in parts:
        for problem in results.problems:
            if problem.task_id in owner:
                raise ReportError(f"{problem.task_id} is in both {owner[problem.task_id]} and {name}.")
            owner[problem.task_id] = name
    unavailable: dict[str, str] = {}
    for _, results in parts:
        for transform, reason in results.unavailable.items():
            unavailable.setdefault(transform, reason)
    return replace(
        first,
        settings={**first.settings, "shard": None},
        created=min(r.created for _, r in parts),
        problems=tuple(p for _, r in parts for p in r.problems),
        cases=tuple(c for _, r in parts for c in r.cases),
        examples=tuple(e for _, r in parts for e in r.examples),
        unavailable=dict(sorted(unavailable.items())),
        unfinished=tuple(n for _, r in parts for n in r.unfinished),
    ).in_order()
