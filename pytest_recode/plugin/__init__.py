"""The pytest plugin (entry point ``recode``): options, the ``recode`` marker, fixtures, parametrization of
``@recode_robust`` tests, and the robustness summary. Thin by design: the work happens in the pipeline.

Disable it with ``-p no:recode``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ._fixtures import recode_context, recode_engine, recode_model, recode_sandbox, recode_settings
from ._options import RecodeSettings, add_options, check_settings
from ._model_guard import GUARD_NAME, ModelGuard, check_before_collection
from ._reporter import RecodeReporter
from ._reports import RecodeReports
from ._xdist_gpu import GpuPinning
from ._state import STATE_KEY, RecodeState, state_of

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
    check_settings(settings)
    state = RecodeState(settings)
    config.stash[STATE_KEY] = state
    config.pluginmanager.register(RecodeReporter(config, state), "recode-reporter")
    config.pluginmanager.register(RecodeReports(config, state), "recode-reports")
    config.pluginmanager.register(GpuPinning(settings), "recode-gpu")
    config.pluginmanager.register(ModelGuard(config), GUARD_NAME)
    if settings.model is not None:
        _check_model_spec(settings.model)
        _check_rootdir(config, settings.model)
    check_before_collection(config, settings)  # the controller clears the cache, once; reaches a server


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    # An xdist worker pins its GPU here, before any conftest can import torch and initialize CUDA.
    from ..models._devices import pin_from_environ

    pin_from_environ()


def _check_model_spec(spec: str) -> None:
    """A wrong ``--recode-model`` is one usage error before collection, not one error per test."""
    from .._errors import RecodeError
    from ..models import check_model_spec, load_python_callable, spec_kind

    try:
        check_model_spec(spec)
        if spec_kind(spec) == "python":  # importing it is cheap and the only way to know it is there
            load_python_callable(spec[len("python:"):])
    except RecodeError as exc:
        raise pytest.UsageError(f"--recode-model: {exc}") from None


#: What pytest reads as its ini file, in its order, and the section that makes each one count.
_INI_FILES = (("pytest.ini", None), (".pytest.ini", None), ("pyproject.toml", "[tool.pytest.ini_options]"),
              ("tox.ini", "[pytest]"), ("setup.cfg", "[tool:pytest]"))


def _nearest_ini(start: Path) -> Path | None:
    """The ini file pytest finds from ``start`` upwards when given no path."""
    for folder in (start, *start.parents):
        for name, section in _INI_FILES:
            candidate = folder / name
            if candidate.is_file() and (section is None or section in candidate.read_text(errors="replace")):
                return candidate
    return None


def _check_rootdir(config: pytest.Config, spec: str) -> None:
    """pytest chooses its rootdir and ini file before it loads plugins, reading every argument it does not
    know yet as a possible path: ``--recode-model DIR`` (a space) puts DIR among the test paths for that
    choice, so the suite's own ini file can be skipped without a word (and caches land beside the model).
    Stop before that silently changes the run."""
    path = Path(os.path.expanduser(spec))
    if "--recode-model" not in config.invocation_params.args or not path.exists():
        return  # written as --recode-model=DIR, or not a path: nothing was misread
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        return  # test paths given: pytest looked for the ini file from them first, as without the option
    # No test path: without the option, pytest would have looked from the invocation directory upwards.
    model = path.resolve()
    here = Path(config.invocation_params.dir)
    expected = _nearest_ini(here)
    rootdir_moved = config.rootpath != here and (config.rootpath == model or model in config.rootpath.parents)
    if config.inipath != expected or (expected is None and rootdir_moved):
        skipped = f"skipped {expected} and " if expected is not None and config.inipath != expected else ""
        raise pytest.UsageError(
            f"pytest read the model directory of '--recode-model {spec}' as a test path while choosing its rootdir, "
            f"so it {skipped}chose rootdir {config.rootpath}: write --recode-model={spec} (with '=')."
        )


@pytest.hookimpl(trylast=True)
def pytest_recode_load_model(config: pytest.Config, settings: RecodeSettings) -> Any:
    if settings.model is None:
        return None
    from ..models import ModelOptions, load_model, spec_kind
    from .._platform import available_cores
    from ..models._devices import cpu_threads_for_worker, xdist_worker_count

    # Applied only if the model lands on the CPU; computed here, where the options and the environment are known.
    workers = xdist_worker_count(os.environ)
    threads = cpu_threads_for_worker(available_cores(), workers, os.environ, settings.cpu_threads)
    model = load_model(
        settings.model,
        ModelOptions(
            device=None if settings.device == "auto" else settings.device,
            dtype=settings.dtype,
            batch_size=settings.batch_size,
            cpu_threads=threads,
            timeout_s=settings.http_timeout,
        ),
    )
    if threads is not None and spec_kind(settings.model) == "transformers":
        from ..models import TransformersModel

        if isinstance(model, TransformersModel) and model.device.type == "cpu":
            import torch

            state_of(config).cpu_threads = torch.get_num_threads()  # what torch took, for the summary
    return model


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    spec = getattr(metafunc.function, "_recode_spec", None)
    if spec is None:
        return
    from ._collection import select_problems

    problems = select_problems(metafunc.config, spec)
    metafunc.definition.add_marker(pytest.mark.recode(dataset=spec.dataset))
    metafunc.parametrize("recode_problem", problems, ids=[p.task_id for p in problems])


