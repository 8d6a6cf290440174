"""Models: the :class:`CodeModel` protocol, its backends, and the completion engine."""

from __future__ import annotations

from ._callable import CallableModel, as_code_model, load_python_callable
from ._engine import CompletionEngine, EngineStats
from ._protocol import DEFAULT_STOP, CodeModel, GenerationConfig, ModelOptions

__all__ = [
    "DEFAULT_STOP",
    "CallableModel",
    "CodeModel",
    "CompletionEngine",
    "EngineStats",
    "GenerationConfig",
    "ModelOptions",
    "as_code_model",
    "load_model",
]


def load_model(spec: str, options: ModelOptions | None = None) -> CodeModel:
    """The model a spec names: ``python:MODULE:ATTR`` (a callable or CodeModel), or a transformers model
    (a local directory or a hub id from the local cache)."""
    options = options if options is not None else ModelOptions()
    if spec.startswith("python:"):
        return load_python_callable(spec[len("python:") :])
    from .._errors import ModelError

    raise ModelError(f"model={spec!r}: only python:MODULE:ATTR models are supported so far.")
