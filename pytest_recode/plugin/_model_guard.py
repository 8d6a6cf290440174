"""What the plugin does about a model or cache that fails, a slow server, and a worker that dies.

- Before collection: an ``http(s)://`` model whose server cannot be reached, or ``--recode-clear-cache`` on
  a cache that cannot be deleted, is one usage error.
- While tests run: the model's progress lines (a slow server) reach the terminal past pytest's capture.
- Each xdist worker attaches its completion counts to every test report it sends, so the controller can
  count the generations of a worker that dies before it says goodbye, and says so in the summary.
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from .._progress import PROGRESS_LOGGER
from ._state import engine_totals, state_of

if TYPE_CHECKING:
    from ._options import RecodeSettings

__all__ = ["GUARD_NAME", "ModelGuard", "check_before_collection", "guard_of"]

GUARD_NAME = "recode-model-guard"
#: The attribute of a worker's test reports that carries its completion counts and notes so far.
_REPORT_ATTR = "recode_engine"
#: The package's loggers: the models' progress (a slow server) and loading progress (``pytest_recode._progress``).
_PACKAGE_LOGGER = "pytest_recode"


def check_before_collection(config: pytest.Config, settings: RecodeSettings) -> None:
    """Usage errors that can be known before collection: a cache that cannot be cleared, a model server that
    cannot be reached. Runs on the controller only (or without xdist)."""
    from .._errors import ModelError

    if hasattr(config, "workerinput"):
        return
    if settings.clear_cache:
        from ..models import clear_cache

        try:
            clear_cache(settings.cache_dir)
        except ModelError as exc:
            raise pytest.UsageError(f"--recode-clear-cache: {exc}") from None
    if settings.model is None or config.option.collectonly or config.option.help:
        return
    from ..models import spec_kind

    if spec_kind(settings.model) == "http":
        from ..models import OpenAICompletionsModel

        try:
            OpenAICompletionsModel(settings.model, timeout_s=min(settings.http_timeout, 30.0)).connect()
        except ModelError as exc:
            raise pytest.UsageError(f"--recode-model: {exc}") from None


class _TerminalLines(logging.Handler):
    """Writes the models' progress lines to the terminal as they come, past pytest's output capture (on an
    xdist worker, to its standard error, which is the controller's)."""

    def __init__(self, config: pytest.Config) -> None:
        super().__init__(logging.INFO)
        self.config = config

    def emit(self, record: logging.LogRecord) -> None:
        if threading.current_thread() is not threading.main_thread() and record.name != PROGRESS_LOGGER:
            # pytest's capture belongs to the main thread; the line is in the test's captured log. (A loading
            # line comes from a timer thread while the main thread is blocked loading: it may go through.)
            return
        mine = [h for h in logging.getLogger(_PACKAGE_LOGGER).handlers if isinstance(h, _TerminalLines)]
        if mine and mine[-1] is not self:
            return  # a session run inside this one (pytester) shows it in its own output
        try:
            line = record.getMessage()
            capman = self.config.pluginmanager.getplugin("capturemanager")
            reporter = self.config.pluginmanager.getplugin("terminalreporter")
            with capman.global_and_fixture_disabled() if capman is not None else _nothing():
                if reporter is not None and not hasattr(self.config, "workerinput"):
                    reporter.write_line(line, yellow=True)
                else:
                    sys.stderr.write(line + "\n")
                    sys.stderr.flush()
        except Exception:
            self.handleError(record)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@dataclass(eq=False)  # hashable by identity, as pluggy needs of a plugin
class ModelGuard:
    """Registered once per session (controller and workers alike)."""

    config: pytest.Config
    #: Controller: the latest counts and notes each live worker reported (worker id -> payload).
    latest: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Controller: the last counts of workers that died (worker id -> stats).
    died: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Notes from every process, in the order first seen.
    notes: list[str] = field(default_factory=list)
    _handler: logging.Handler | None = None
    _level: int = logging.NOTSET

    # -- progress lines -----------------------------------------------------------------------------
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        logger = logging.getLogger(_PACKAGE_LOGGER)
        self._handler, self._level = _TerminalLines(self.config), logger.level
        logger.addHandler(self._handler)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self._handler is not None:
            logger = logging.getLogger(_PACKAGE_LOGGER)
            logger.removeHandler(self._handler)
            logger.setLevel(self._level)
            self._handler = None

    # -- counts that survive a worker's death --------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
        outcome = yield
        workerinput = getattr(self.config, "workerinput", None)
        if workerinput is None or call.when != "teardown":
            return
        state = state_of(self.config)
        if not state.engines:
            return
        report = outcome.get_result()
        notes = [note for engine in state.engines for note in engine.notes]
        setattr(report, _REPORT_ATTR, {"worker": str(workerinput.get("workerid")), "stats": engine_totals(state),
                                       "notes": notes})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        payload = getattr(report, _REPORT_ATTR, None)
        if hasattr(self.config, "workerinput") or not isinstance(payload, dict):
            return
        self.latest[str(payload["worker"])] = payload
        self._note(payload.get("notes", ()))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        worker = str(node.workerinput.get("workerid"))
        payload = self.latest.pop(worker, None)
        if (getattr(node, "workeroutput", None) or {}).get("recode_stats") is None and payload is not None:
            self.died[worker] = dict(payload["stats"])  # it never sent its final counts

    def _note(self, notes: Any) -> None:
        for note in notes:
            if note not in self.notes:
                self.notes.append(note)

    # -- the summary --------------------------------------------------------------------------------
    def summary_lines(self) -> list[str]:
        """Notes of this process's engines and of the workers', then one line per worker that died."""
        self._note(note for engine in state_of(self.config).engines for note in engine.notes)
        lines = list(self.notes)
        for worker in sorted(self.died):
            lines.append(f"recode: worker {worker} died: its completions are counted up to its last finished test")
        return lines

    def died_stats(self) -> list[dict[str, int]]:
        return [self.died[worker] for worker in sorted(self.died)]


def guard_of(config: pytest.Config) -> ModelGuard | None:
    return config.pluginmanager.get_plugin(GUARD_NAME)  # type: ignore[no-any-return]
