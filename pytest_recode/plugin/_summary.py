"""Writing the plugin's part of the terminal summary."""

from __future__ import annotations

from typing import Any

from ._state import RecodeState


def engine_totals(state: RecodeState) -> dict[str, int]:
    """Completion counts of the engines this process created, as plain data for xdist."""
    from ..models import EngineStats

    total = EngineStats()
    for engine in state.engines:
        total = total + engine.stats
    return total.as_dict()


def write_summary(terminalreporter: Any, state: RecodeState) -> None:
    from .._case import CaseOutcome
    from ..models import EngineStats
    from ..report import summary_lines

    total = EngineStats.from_dict(engine_totals(state))
    for stats in state.worker_stats:
        total = total + EngineStats.from_dict(stats)
    if not state.outcomes and not total.requested:
        return
    terminalreporter.section("recode: robustness summary")
    for line in summary_lines([CaseOutcome.from_json(o) for o in state.outcomes]):
        terminalreporter.write_line(line)
    terminalreporter.write_line(total.summary_line())
