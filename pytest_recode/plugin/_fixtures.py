"""The plugin's fixtures. All are session-scoped: each process (each xdist worker) loads its model once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ._options import RecodeSettings
from ._state import settings_of, state_of

if TYPE_CHECKING:
    from ..execution import Sandbox
    from ..models import CodeModel, CompletionEngine
    from ..pipeline import RecodeContext


@pytest.fixture(scope="session")
def recode_settings(pytestconfig: pytest.Config) -> RecodeSettings:
    """The plugin's settings, from ``--recode-*`` options and ``recode_*`` ini keys."""
    return settings_of(pytestconfig)


@pytest.fixture(scope="session")
def recode_model(pytestconfig: pytest.Config, recode_settings: RecodeSettings) -> CodeModel:
    """The model under test, loaded once per process. Override it in ``conftest.py`` with any fixture
    returning a CodeModel or a callable ``list[str] -> list[str]``, or pass ``--recode-model``."""
    from .._errors import RecodeError
    from ..models import as_code_model

    failure = None
    try:
        model = pytestconfig.hook.pytest_recode_load_model(config=pytestconfig, settings=recode_settings)
    except RecodeError as exc:
        failure = f"recode: the model cannot be loaded: {exc}"
    if failure is not None:  # one line for every test that needs it, not one traceback each
        pytest.fail(failure, pytrace=False)
    if model is None:
        raise pytest.UsageError(
            "pytest-recode has no model to test: pass --recode-model=PATH_OR_SPEC (or set recode_model in "
            "the ini file), or define a recode_model fixture in conftest.py that returns a callable "
            "list[str] -> list[str]."
        )
    return as_code_model(model)


@pytest.fixture(scope="session")
def recode_engine(pytestconfig: pytest.Config, recode_model: CodeModel) -> CompletionEngine:
    """The completion engine around ``recode_model``: deduplicates, caches on disk and counts generations."""
    from ..models import CompletionCache, CompletionEngine, as_code_model

    settings = settings_of(pytestconfig)
    cache = None if settings.no_cache else CompletionCache(settings.cache_dir)
    engine = CompletionEngine(as_code_model(recode_model), cache=cache)
    state_of(pytestconfig).engines.append(engine)
    return engine


@pytest.fixture(scope="session")
def recode_sandbox(recode_settings: RecodeSettings) -> Iterator[Sandbox]:
    """The sandbox completions run in (``--recode-sandbox``), shared by the whole process."""
    from ..execution import SandboxConfig, open_sandbox

    config = SandboxConfig(
        backend=recode_settings.sandbox,  # type: ignore[arg-type]
        timeout_s=recode_settings.timeout,
        memory_mb=recode_settings.memory_mb,
        workers=recode_settings.sandbox_workers,
        docker_image=recode_settings.docker_image,
    )
    with open_sandbox(config) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def recode_context(
    recode_settings: RecodeSettings, recode_engine: CompletionEngine, recode_sandbox: Sandbox
) -> RecodeContext:
    """Everything a robustness case runs on: engine, sandbox, generation and transform settings."""
    from ..equivalence import EquivalenceJudge
    from ..models import GenerationConfig
    from ..pipeline import RecodeContext
    from .._errors import InvalidArgument
    from ..transforms import TransformConfig, parse_translation_models

    try:
        translation = (parse_translation_models(recode_settings.translation_models)
                       if recode_settings.translation_models else None)
    except InvalidArgument as exc:
        raise pytest.UsageError(f"--recode-translation-models: {exc}") from None
    return RecodeContext(
        recode_engine,
        recode_sandbox,
        GenerationConfig(max_new_tokens=recode_settings.max_new_tokens),
        TransformConfig(
            translation_models=translation,
            masked_code_model=recode_settings.masked_code_model,
            device="cpu" if recode_settings.device == "auto" else recode_settings.device,
        ),
        # Input sets are kept beside the completions: made once per problem, not once per session.
        EquivalenceJudge(recode_sandbox, inputs=recode_settings.inputs, seed=recode_settings.seed,
                         cache_dir=None if recode_settings.no_cache else recode_settings.cache_dir),
    )
