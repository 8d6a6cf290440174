"""The session's report files and CI gate: ``--recode-report DIR``, ``--recode-baseline FILE``,
``--recode-max-drop X``, and the shard selection of ``--recode-shard I/N``.

The controller builds one :class:`~pytest_recode.report.RunResults` from the case records every item
reported (from this process or from xdist workers, as plain data), writes ``results.json`` and the reports,
and compares the figures with the baseline. Workers add where each item's problem sits in its dataset to
their reports, so that the results list problems and cases in the same order however xdist spread them;
an item whose worker crashed, or that never ran, is listed as unfinished.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from ._shard import deselect_other_shards, problem_of
from ._state import RecodeState

__all__ = ["PROBLEM_ATTRIBUTE", "RecodeReports", "session_results"]

#: The report attribute (a JSON-safe dict) saying which problem of which dataset an item judged.
PROBLEM_ATTRIBUTE = "recode_problem"
_PROBLEM_KEY = pytest.StashKey[dict[str, Any]]()


def _where(item: pytest.Item, state: RecodeState, positions: dict[Any, dict[str, int]]) -> dict[str, Any] | None:
    """``{"dataset", "task_id", "index"}`` of a ``@recode_robust`` item: its problem's place in the dataset
    (``positions`` caches each loaded dataset's task id -> index)."""
    problem = problem_of(item)
    spec = getattr(getattr(item, "obj", None), "_recode_spec", None)
    if problem is None or spec is None:
        return None
    key = (spec.dataset, state.settings.mbpp_path)
    if key not in positions:
        positions[key] = {p.task_id: i for i, p in enumerate(state.problems.get(key, []))}
    index = positions[key].get(problem.task_id, len(positions[key]))
    return {"dataset": problem.dataset, "task_id": problem.task_id, "index": index}


def session_results(state: RecodeState, where: Iterable[dict[str, Any]], *, model: dict[str, Any],
                    unfinished: Iterable[str], created: str, versions: dict[str, str]) -> Any:
    """The session's :class:`~pytest_recode.report.RunResults`: every case the items reported, each problem's
    nominal results (from its cases), and the minimal failures the search found, in a canonical order."""
    from ..metrics import CaseOutcome
    from ..report import Example, ProblemRecord, RunResults

    settings = state.settings
    cases = [CaseOutcome.from_json(c) for c in state.outcomes]
    places = {w["task_id"]: w for w in where}
    nominal: dict[tuple[str, bool], tuple[bool, ...]] = {}
    for case in cases:
        nominal.setdefault((case.task_id, case.partial), case.nominal)
    problems = [ProblemRecord(task_id, places.get(task_id, {}).get("index", 0), nominal.get((task_id, False)),
                              nominal.get((task_id, True)))
                for task_id in dict.fromkeys(c.task_id for c in cases)]
    examples = []
    for item in state.items:
        finding = item.get("finding")
        if finding:
            examples.append(Example(item["task_id"], finding["transform"], finding.get("category", ""), None,
                                    int(finding["size"]), finding.get("prompt_diff", ""), source="search",
                                    recipe=finding["recipe"], test=item["nodeid"]))
    datasets = sorted({w["dataset"] for w in places.values()})
    recorded = {
        "source": "pytest", "model": settings.model, "seed": settings.seed, "max_examples": settings.max_examples,
        "shrink_budget": settings.shrink_budget, "max_new_tokens": settings.max_new_tokens,
        "sandbox": settings.sandbox, "timeout": settings.timeout, "memory_mb": settings.memory_mb, "k": [1],
        "shard": settings.shard,
    }
    return RunResults(settings=recorded, model=model, dataset={"name": ", ".join(datasets) or "-"},
                      versions=versions, created=created, problems=tuple(problems), cases=tuple(cases),
                      examples=tuple(examples), unavailable=dict(sorted(state.unavailable.items())),
                      unfinished=tuple(unfinished)).in_order()


class RecodeReports:
    """Registered once per session by the plugin (see the module docstring)."""

    def __init__(self, config: pytest.Config, state: RecodeState) -> None:
        self.config = config
        self.state = state
        self.is_worker = hasattr(config, "workerinput")
        self.where: dict[str, dict[str, Any]] = {}
        self.collected: list[str] = []
        self.finished: set[str] = set()
        self.crashed: list[str] = []
        self.recode_tests: set[str] = set()
        self.models: list[dict[str, Any]] = []
        self.written: list[Path] = []
        self.comparison: Any = None

    @property
    def active(self) -> bool:
        settings = self.state.settings
        return settings.report is not None or settings.baseline is not None

    # -- every process that collects ------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)  # before -k and --lf: the split must not depend on them
    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        if self.state.settings.shard is not None:
            deselect_other_shards(config, items, self.state.settings.shard)
        if self.active:
            positions: dict[Any, dict[str, int]] = {}
            for item in items:
                where = _where(item, self.state, positions)
                if where is not None:
                    item.stash[_PROBLEM_KEY] = where

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.active and not self.is_worker:  # the items left after -k, --lf and the like
            self.collected = [item.nodeid for item in session.items]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: Any) -> Any:
        outcome = yield
        where = item.stash.get(_PROBLEM_KEY, None)
        if where is not None:  # travels to the xdist controller with the report, as plain data
            setattr(outcome.get_result(), PROBLEM_ATTRIBUTE, where)

    # -- the controller ---------------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.is_worker or not self.active:
            return
        where = getattr(report, PROBLEM_ATTRIBUTE, None)
        if where is not None:
            self.where[report.nodeid] = where
            self.recode_tests.add(report.nodeid.split("[", 1)[0])
        if report.when == "teardown":
            self.finished.add(report.nodeid)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.collected = list(dict.fromkeys([*self.collected, *ids]))

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: Any, sched: Any) -> None:
        self.crashed.append(crashitem)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        model = (getattr(node, "workeroutput", None) or {}).get("recode_model")
        if model:
            self.models.append(dict(model))

    def _unfinished(self) -> list[str]:
        """Items of ``@recode_robust`` tests that never finished (a crashed worker's, or never run)."""
        return [nodeid for nodeid in dict.fromkeys([*self.collected, *self.crashed])
                if nodeid not in self.finished and nodeid.split("[", 1)[0] in self.recode_tests]

    def _model(self) -> dict[str, Any]:
        found = self.models or _engine_models(self.state)
        first = found[0] if found else {}
        return {"spec": self.state.settings.model, "name": first.get("name"), "fingerprint": first.get("fingerprint")}

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.is_worker:
            workeroutput = getattr(self.config, "workeroutput", None)
            models = _engine_models(self.state)
            if workeroutput is not None and models:
                workeroutput["recode_model"] = models[0]
            return
        if not self.active:
            return
        from ..report import (
            compare_figures,
            figures,
            load_figures,
            now,
            versions_here,
            write_reports,
        )

        settings = self.state.settings
        results = session_results(self.state, self.where.values(), model=self._model(),
                                  unfinished=self._unfinished(), created=now(), versions=versions_here())
        if settings.report is not None:
            results.save(Path(settings.report) / "results.json")
            self.written = [Path(settings.report) / "results.json", *write_reports(results, settings.report)]
        if settings.baseline is not None:
            base_settings, base = load_figures(settings.baseline)
            self.comparison = compare_figures(base, {1: figures(results, 1)}, settings.max_drop,
                                              base_settings=base_settings, new_settings=results.settings)
            if self.comparison.failed and session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl(trylast=True)  # after the robustness summary
    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
        if self.is_worker or not self.active:
            return
        unfinished = self._unfinished()
        if unfinished:
            terminalreporter.write_line(f"recode: {len(unfinished)} item{'s' if len(unfinished) != 1 else ''} never "
                                        f"finished (listed in the report): {', '.join(unfinished)}", yellow=True)
        if self.written:
            terminalreporter.write_line(f"recode: wrote {', '.join(p.name for p in self.written)} to "
                                        f"{self.written[0].parent}")
        if self.comparison is not None:
            for note in self.comparison.notes:
                terminalreporter.write_line(f"recode: {note}")
            failed = self.comparison.failed
            terminalreporter.write_line(f"recode: against {self.state.settings.baseline}: {self.comparison.verdict()}",
                                        red=failed, bold=failed)


def _engine_models(state: RecodeState) -> list[dict[str, Any]]:
    """Name and fingerprint of the models this process's engines completed prompts with."""
    found = []
    for engine in state.engines:
        try:
            fingerprint = engine.fingerprint
        except Exception:  # noqa: BLE001 - a report must not fail on a model that cannot say its fingerprint
            fingerprint = None
        found.append({"name": engine.model.name, "fingerprint": fingerprint})
    return found
