"""Writing the plugin's part of the terminal summary."""

from __future__ import annotations

from typing import Any

from ._state import RecodeState


def engine_totals(state: RecodeState) -> dict[str, int]:
    """Completion counts of the engines this process created."""
    totals = {"requested": 0, "generated": 0, "cached": 0}
    for engine in state.engines:
        stats = engine.stats
        totals["requested"] += stats.requested
        totals["generated"] += stats.generated
        totals["cached"] += stats.cached
    return totals


def write_summary(terminalreporter: Any, state: RecodeState) -> None:
    from .._case import CaseOutcome
    from ..report import summary_lines

    totals = [engine_totals(state), *state.worker_stats]
    generated = sum(t.get("generated", 0) for t in totals)
    cached = sum(t.get("cached", 0) for t in totals)
    if not state.outcomes and not generated and not cached:
        return
    terminalreporter.section("recode: robustness summary")
    outcomes = [CaseOutcome.from_json(o) for o in state.outcomes]
    for line in summary_lines(outcomes):
        terminalreporter.write_line(line)
    terminalreporter.write_line(f"recode: {generated} completions generated, {cached} from cache")
