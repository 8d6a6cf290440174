"""The plugin's per-session state, kept on the pytest config (never in module globals)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from ._options import RecodeSettings

__all__ = ["RecodeState", "engine_totals", "settings_of", "state_of"]


@dataclass
class RecodeState:
    """Settings, plus what this process accumulates: cases, items, completion counts."""

    settings: RecodeSettings
    #: Every case, as the JSON records the items (here or on xdist workers) reported.
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    #: Every item's summary (problem, judged cases, nominal failures, its minimal failure if any).
    items: list[dict[str, Any]] = field(default_factory=list)
    #: Selected transforms that cannot run here, with why (name -> reason).
    unavailable: dict[str, str] = field(default_factory=dict)
    engines: list[Any] = field(default_factory=list)
    worker_stats: list[dict[str, int]] = field(default_factory=list)
    problems: dict[tuple[str, str | None], list[Any]] = field(default_factory=dict)
    #: torch's CPU thread count once this process placed a transformers model on the CPU with a chosen count.
    cpu_threads: int | None = None
    #: The same from each xdist worker (worker id -> threads), gathered on the controller.
    worker_threads: dict[str, int] = field(default_factory=dict)


STATE_KEY = pytest.StashKey[RecodeState]()


def state_of(config: pytest.Config) -> RecodeState:
    return config.stash[STATE_KEY]


def settings_of(config: pytest.Config) -> RecodeSettings:
    return config.stash[STATE_KEY].settings


def engine_totals(state: RecodeState) -> dict[str, int]:
    """Completion counts of the engines this process created, as plain data for xdist."""
    from ..models import EngineStats

    total = EngineStats()
    for engine in state.engines:
        total = total + engine.stats
    return total.as_dict()
