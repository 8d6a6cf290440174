"""The pytest plugin (entry point ``recode``): options, the ``recode`` marker, fixtures, parametrization of
``@recode_robust`` tests, and the robustness summary. Thin by design: the work happens in the pipeline.

Disable it with ``-p no:recode``.
"""

from __future__ import annotations

from typing import Any

import pytest

from ._fixtures import recode_context, recode_engine, recode_model, recode_sandbox, recode_settings
from ._options import RecodeSettings, add_options
from ._reporter import RecodeReporter
from ._state import STATE_KEY, RecodeState

__all__ = [
    "recode_context",
    "recode_engine",
    "recode_model",
    "recode_sandbox",
    "recode_settings",
]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import _hookspecs

    pluginmanager.add_hookspecs(_hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "recode: a @recode_robust robustness test (set by the decorator; do not apply by hand)"
    )
    settings = RecodeSettings.from_config(config)
    state = RecodeState(settings)
    config.stash[STATE_KEY] = state
    config.pluginmanager.register(RecodeReporter(config, state), "recode-reporter")
    if settings.model is not None:
        from ._model_spec import check_model_spec

        check_model_spec(settings.model)


@pytest.hookimpl(trylast=True)
def pytest_recode_load_model(config: pytest.Config, settings: RecodeSettings) -> Any:
    if settings.model is None:
        return None
    from ..models import ModelOptions, load_model

    return load_model(
        settings.model,
        ModelOptions(
            device=None if settings.device == "auto" else settings.device,
            dtype=settings.dtype,
            batch_size=settings.batch_size,
        ),
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    spec = getattr(metafunc.function, "_recode_spec", None)
    if spec is None:
        return
    from ._collection import select_problems

    problems = select_problems(metafunc.config, spec)
    metafunc.definition.add_marker(pytest.mark.recode(dataset=spec.dataset))
    metafunc.parametrize("recode_problem", problems, ids=[p.task_id for p in problems])


