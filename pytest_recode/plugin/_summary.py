"""Writing the plugin's part of the terminal summary, and the session's nominal-pass gate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._state import RecodeState, engine_totals


@dataclass(frozen=True)
class NominalGate:
    """How the model fared on the nominal prompts, over the problems whose items ran."""

    problems: int
    solved: int
    threshold: float

    @property
    def rate(self) -> float:
        return self.solved / self.problems if self.problems else 0.0

    @property
    def failed(self) -> bool:
        return self.threshold > 0 and self.problems > 0 and self.rate < self.threshold

    def line(self) -> str:
        return (f"recode: the model is too weak for robustness to be judged: its nominal completions pass the tests "
                f"of {self.solved} of {self.problems} problems ({self.rate:.2f} < --recode-min-nominal="
                f"{self.threshold:g}).")


def nominal_gate(state: RecodeState) -> NominalGate:
    """A problem counts as solved when its nominal completion passes on some baseline it was judged on."""
    solved: dict[str, bool] = {}
    for case in state.outcomes:
        task = str(case["task_id"])
        solved[task] = solved.get(task, False) or bool(case["nominal"][0])
    return NominalGate(len(solved), sum(solved.values()), state.settings.min_nominal)


def _findings(state: RecodeState) -> list[str]:
    found = [item for item in state.items if item.get("finding")]
    if not found:
        return []
    lines = ["minimal failing perturbations:"]
    for item in found:
        finding = item["finding"]
        size = finding["size"]
        note = "" if finding["proven"] else " (shrink budget spent: may not be minimal)"
        lines.append(f"  {item['nodeid']}: {finding['transform']} ({size} edit{'s' if size != 1 else ''}): "
                     f"{finding['recipe']}{note}")
    return lines


def _search_line(state: RecodeState) -> str | None:
    if not state.items:
        return None
    examples = sum(int(item["examples"]) for item in state.items)
    findings = [item["finding"] for item in state.items if item.get("finding")]
    failures = sum(int(f["failures"]) for f in findings)
    line = f"recode: {examples} examples searched, {failures} failure{'s' if failures != 1 else ''}"
    if findings:
        average = sum(int(f["size"]) for f in findings) / len(findings)
        first = sum(int(f["first_size"]) for f in findings) / len(findings)
        line += (f" in {len(findings)} problem{'s' if len(findings) != 1 else ''}, shrunk from {first:.1f} to "
                 f"{average:.1f} edits on average")
    return line


def write_summary(terminalreporter: Any, state: RecodeState, *, interrupted: bool = False) -> None:
    from ..models import EngineStats
    from ._model_guard import guard_of

    guard = guard_of(terminalreporter.config)
    total = EngineStats.from_dict(engine_totals(state))
    for stats in [*state.worker_stats, *(guard.died_stats() if guard is not None else ())]:
        total = total + EngineStats.from_dict(stats)
    if not state.outcomes and not state.items and not total.requested:
        return
    from ..metrics import CaseOutcome
    from ..report import summary_lines

    terminalreporter.section("recode: robustness summary")
    for line in summary_lines([CaseOutcome.from_json(o) for o in state.outcomes]):
        terminalreporter.write_line(line)
    for line in _findings(state):
        terminalreporter.write_line(line)
    weak = [item for item in state.items if item["judged"] == 0 and item["nominal_failures"]]
    if weak:
        terminalreporter.write_line(f"recode: {len(weak)} of {len(state.items)} items skipped: the nominal completion "
                                    "fails its tests")
    if state.unavailable:
        terminalreporter.write_line("recode: not run here: " + "; ".join(
            f"{name} ({reason})" for name, reason in sorted(state.unavailable.items())))
    search = _search_line(state)
    if search is not None:
        terminalreporter.write_line(search)
    terminalreporter.write_line(total.summary_line())
    for line in guard.summary_lines() if guard is not None else ():
        terminalreporter.write_line(line)
    if interrupted:
        terminalreporter.write_line(f"recode: interrupted: the figures cover the {len(state.items)} items that finished")
        return
    gate = nominal_gate(state)
    if gate.failed:
        terminalreporter.write_line(gate.line(), red=True, bold=True)


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
