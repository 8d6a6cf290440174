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


def threads_line(state: RecodeState) -> str | None:
    """``recode: torch CPU threads: gw0=1, gw1=1 (2 cores)`` when this process or its workers set a count."""
    from .._platform import available_cores
    from ..models._devices import worker_number

    if state.worker_threads:
        order = sorted(state.worker_threads, key=lambda w: (worker_number(w) is None, worker_number(w) or 0, w))
        counts = ", ".join(f"{worker}={state.worker_threads[worker]}" for worker in order)
    elif state.cpu_threads is not None:
        counts = str(state.cpu_threads)
    else:
        return None
    return f"recode: torch CPU threads: {counts} ({available_cores()} cores)"
