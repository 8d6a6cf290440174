"""Collects case outcomes and completion counts (from this process or from xdist workers) and writes the
robustness summary at the end of the session."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ._item import CASES_PROPERTY, ITEM_PROPERTY
from ._state import RecodeState

__all__ = ["RecodeReporter"]


class RecodeReporter:
    """Registered once per session by the plugin; holds no state of its own beyond the session's."""

    def __init__(self, config: pytest.Config, state: RecodeState) -> None:
        self.config = config
        self.state = state
        self.is_worker = hasattr(config, "workerinput")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # On a worker the reports reach the controller with their user_properties; count them there only.
        if self.is_worker or report.when != "call":
            return
        for name, value in report.user_properties:
            if name == CASES_PROPERTY:
                self.state.outcomes.extend(json.loads(value))
            elif name == ITEM_PROPERTY:
                item = json.loads(value)
                item["nodeid"] = report.nodeid
                self.state.items.append(item)
                for transform, reason in item.get("unavailable", {}).items():
                    self.state.unavailable.setdefault(transform, reason)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is None:
            from ._junit import add_headline_properties
            from ._summary import nominal_gate

            if session.exitstatus == pytest.ExitCode.OK and nominal_gate(self.state).failed:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
            add_headline_properties(self.config, self.state)
        else:
            from ._state import engine_totals

            workeroutput["recode_stats"] = engine_totals(self.state)
            if self.state.cpu_threads is not None:
                workeroutput["recode_cpu_threads"] = self.state.cpu_threads

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        stats = (getattr(node, "workeroutput", None) or {}).get("recode_stats")
        if stats:
            self.state.worker_stats.append(dict(stats))
        threads = (getattr(node, "workeroutput", None) or {}).get("recode_cpu_threads")
        if threads is not None:
            self.state.worker_threads[str(node.workerinput.get("workerid"))] = int(threads)

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if self.is_worker:
            return
        from ._summary import threads_line, write_summary

        write_summary(terminalreporter, self.state, interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
        line = threads_line(self.state)
        if line is not None:
            terminalreporter.write_line(line)
