"""Shards: a stable share of a run's problems, so that N machines (a CI matrix) cover a dataset together.

Shard ``I/N`` (``I`` from 1 to N) takes the problems whose rank, when the task ids are sorted by their
SHA-256, is ``I - 1`` modulo N. The split depends on the task ids alone: the same on every machine, in every
process and whatever the order of the dataset file, and the shards differ in size by one problem at most.
``recode run --shard`` and ``pytest --recode-shard`` share it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from .._errors import InvalidArgument

__all__ = ["Shard"]

T = TypeVar("T")


def _digest(task_id: str) -> bytes:
    return hashlib.sha256(task_id.encode()).digest()


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (``index`` counts from 1)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not (isinstance(self.count, int) and isinstance(self.index, int) and 1 <= self.index <= self.count):
            raise InvalidArgument(f"shard {self.index}/{self.count}: give I/N with 1 <= I <= N, e.g. 1/3.")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/3"`` -> ``Shard(2, 3)``; anything else is an :class:`InvalidArgument` saying what fits."""
        index, sep, count = str(text).strip().partition("/")
        if not sep or not index.isdigit() or not count.isdigit():
            raise InvalidArgument(f"shard={text!r}: give I/N, the I-th of N shards counted from 1 (e.g. 1/3).")
        return cls(int(index), int(count))

    def select(self, items: Sequence[T], key: Callable[[T], str]) -> list[T]:
        """The items of this shard, in their given order (``key`` gives an item's task id)."""
        ranked = sorted(range(len(items)), key=lambda i: (_digest(key(items[i])), key(items[i]), i))
        chosen = {position for rank, position in enumerate(ranked) if rank % self.count == self.index - 1}
        return [item for i, item in enumerate(items) if i in chosen]
