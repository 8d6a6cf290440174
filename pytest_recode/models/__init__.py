"""Models: the :class:`CodeModel` protocol, its backends, and the completion engine.

The surface the plugin and the CLI use::

    from pytest_recode.models import (
        CompletionCache, CompletionEngine, GenerationConfig, ModelOptions, load_model, truncate_completion,
    )

    model = load_model(spec, ModelOptions(device="auto", dtype="auto", batch_size=32))  # once per process
    engine = CompletionEngine(model, cache=CompletionCache(cache_dir))                  # cache=None: no disk
    completions = engine.complete(prompts, GenerationConfig(max_new_tokens=512))      # [[str] * n per prompt]
    solution = truncate_completion(problem.prompt, completions[0][0], problem.entry_point)
    engine.stats.summary_line()   # "recode: N completions generated, M from cache"; stats add up with +

A spec names a model one way everywhere (``--recode-model``, ``recode run --model``):

- a local transformers directory (``save_pretrained`` output: config.json, weights, tokenizer);
- a hub id ``ORG/NAME`` (or ``ORG/NAME@REVISION``), read from the local Hugging Face cache, never downloaded;
- ``python:MODULE:ATTR``, a callable ``list[str] -> list[str]`` or a :class:`CodeModel` (a callable's
  completions are cached on disk only when it declares a ``fingerprint()``: see :class:`CallableModel`);
- ``http://...`` or ``https://...``, an OpenAI-compatible server's base URL (``/v1/completions``), with the
  served model's name after ``#`` when it serves several.

:func:`check_model_spec` finds what is wrong with a spec without loading anything (before collection);
:func:`load_model` raises :class:`~pytest_recode.ModelError` for a missing or broken model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .._errors import ModelError
from ._protocol import DECODERS, DEFAULT_STOP, DTYPES, CodeModel, GenerationConfig, ModelOptions

# Names from the heavier modules (sqlite3, urllib, the transformers glue) load on first use: the pytest
# plugin imports this package in every pytest run.
_LAZY: dict[str, str] = {
    "CACHE_FILENAME": "._cache",
    "CompletionCache": "._cache",
    "cache_key": "._cache",
    "clear_cache": "._cache",
    "CallableModel": "._callable",
    "as_code_model": "._callable",
    "load_python_callable": "._callable",
    "device_for_worker": "._devices",
    "pin_from_environ": "._devices",
    "visible_devices": "._devices",
    "worker_number": "._devices",
    "CompletionEngine": "._engine",
    "EngineStats": "._engine",
    "TransformersModel": "._hf_model",
    "OpenAICompletionsModel": "._http",
    "ReferenceModel": "._reference",
    "cut_at_stop": "._stops",
    "TinyModelSpec": "._tiny",
    "build_tiny_model": "._tiny",
    "truncate_completion": "._truncate",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'pytest_recode.models' has no attribute {name!r}")
    # Not cached in this module's globals: the defining module is the one source of truth (pytest's own
    # pytester drops modules imported during a run, and a cached class would outlive its module).
    return getattr(importlib.import_module(module_name, __name__), name)


if TYPE_CHECKING:
    from ._cache import CACHE_FILENAME, CompletionCache, cache_key, clear_cache
    from ._callable import CallableModel, as_code_model, load_python_callable
    from ._devices import device_for_worker, pin_from_environ, visible_devices, worker_number
    from ._engine import CompletionEngine, EngineStats
    from ._hf_model import TransformersModel
    from ._http import OpenAICompletionsModel
    from ._reference import ReferenceModel
    from ._stops import cut_at_stop
    from ._tiny import TinyModelSpec, build_tiny_model
    from ._truncate import truncate_completion

__all__ = [
    "CACHE_FILENAME",
    "DECODERS",
    "DEFAULT_STOP",
    "DTYPES",
    "CallableModel",
    "CodeModel",
    "CompletionCache",
    "CompletionEngine",
    "EngineStats",
    "GenerationConfig",
    "ModelOptions",
    "OpenAICompletionsModel",
    "ReferenceModel",
    "TinyModelSpec",
    "TransformersModel",
    "as_code_model",
    "build_tiny_model",
    "cache_key",
    "check_model_spec",
    "clear_cache",
    "cut_at_stop",
    "device_for_worker",
    "load_model",
    "load_python_callable",
    "pin_from_environ",
    "spec_kind",
    "truncate_completion",
    "visible_devices",
    "worker_number",
]


def spec_kind(spec: str) -> str:
    """``"python"``, ``"http"`` or ``"transformers"``: which backend a model spec names."""
    if spec.startswith("python:"):
        return "python"
    if spec.startswith(("http://", "https://")):
        return "http"
    return "transformers"


def check_model_spec(spec: str) -> None:
    """Raise :class:`ModelError` when ``spec`` cannot name a model, without importing torch or the model:
    a malformed ``python:`` spec, a missing or incomplete model directory, a hub id not in the local cache."""
    if not isinstance(spec, str) or not spec.strip():
        raise ModelError(f"model={spec!r}: give a directory, a hub id, python:MODULE:ATTR or an http(s):// URL.")
    kind = spec_kind(spec)
    if kind == "python":
        module, sep, attr = spec[len("python:") :].partition(":")
        if not (module and sep and attr):
            raise ModelError(f"model={spec!r} must have the form python:MODULE:ATTR.")
    elif kind == "http":
        from urllib.parse import urlsplit

        if not urlsplit(spec).hostname:
            raise ModelError(f"model={spec!r}: the URL names no host; e.g. http://localhost:8000/v1.")
    else:
        from ._hf_load import resolve_model_dir

        resolve_model_dir(spec)


def load_model(spec: str, options: ModelOptions | None = None) -> CodeModel:
    """The model a spec names, loaded and ready (see the module docstring for the four kinds of spec)."""
    options = options if options is not None else ModelOptions()
    check_model_spec(spec)
    kind = spec_kind(spec)
    if kind == "python":
        from ._callable import load_python_callable

        return load_python_callable(spec[len("python:") :])
    if kind == "http":
        from ._http import OpenAICompletionsModel

        return OpenAICompletionsModel(spec, timeout_s=options.timeout_s, batch_size=options.batch_size).connect()
    from ._hf_load import load_transformers

    return load_transformers(spec, options)
