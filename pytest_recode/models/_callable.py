"""A model backend around any Python callable ``list[str] -> list[str]``."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from .._errors import InvalidArgument, ModelError
from ._protocol import CodeModel, GenerationConfig

__all__ = ["CallableModel", "as_code_model", "load_python_callable"]


class CallableModel:
    """Wraps ``fn(prompts) -> completions`` (one completion per prompt) as a :class:`CodeModel`.

    For ``config.n > 1`` the callable is asked ``n`` times; whether those differ is up to it.

    Its fingerprint is what ``fn.fingerprint()`` returns, when ``fn`` has that method: a string that changes
    whenever the callable's answers could (a model's path and revision, a version number, the settings it
    reads). Without one, nothing tells a changed callable from the old one (its source does not: the code it
    calls or a setting it reads may have changed), so the fingerprint is ``None`` and its completions are
    never cached on disk, only deduplicated within the session.
    """

    def __init__(self, fn: Callable[[list[str]], Sequence[str]], name: str | None = None) -> None:
        if not callable(fn):
            raise InvalidArgument(f"fn={fn!r} is not callable; pass a function list[str] -> list[str].")
        self.fn = fn
        self._name = name or getattr(fn, "__qualname__", None) or type(fn).__name__

    @property
    def name(self) -> str:
        return self._name

    def fingerprint(self) -> str | None:
        declared = getattr(self.fn, "fingerprint", None)
        if not callable(declared):
            return None
        value = declared()
        if not isinstance(value, str) or not value:
            raise ModelError(f"model {self._name!r}: fingerprint() returned {value!r}; it must return a non-empty "
                             "str that changes whenever the callable's answers could.")
        return f"callable:{value}"

    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        rounds: list[list[str]] = []
        for _ in range(config.n):
            completions = list(self.fn(list(prompts)))
            if len(completions) != len(prompts):
                raise ModelError(
                    f"model {self._name!r} returned {len(completions)} completions for {len(prompts)} prompts."
                )
            bad = next((c for c in completions if not isinstance(c, str)), None)
            if bad is not None:
                raise ModelError(f"model {self._name!r} returned {type(bad).__name__}, not str: {bad!r:.80}")
            rounds.append(completions)
        return [list(column) for column in zip(*rounds)] if prompts else []


def as_code_model(obj: object) -> CodeModel:
    """``obj`` itself when it is a :class:`CodeModel`; a :class:`CallableModel` when it is callable."""
    if isinstance(obj, CodeModel):
        return obj
    if callable(obj):
        return CallableModel(obj)  # type: ignore[arg-type]
    raise InvalidArgument(
        f"model={obj!r} is neither a CodeModel nor a callable list[str] -> list[str]; "
        "return one of those from your recode_model fixture."
    )


def load_python_callable(target: str) -> CodeModel:
    """Import ``MODULE:ATTR`` and wrap the object found there (a factory is not called)."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise InvalidArgument(f"model='python:{target}' must have the form python:MODULE:ATTR.")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelError(f"model='python:{target}': cannot import {module_name!r}: {exc}") from exc
    obj: object = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ModelError(f"model='python:{target}': {module_name!r} has no attribute {attr!r}.") from None
    model = as_code_model(obj)
    if isinstance(model, CallableModel):
        model._name = f"python:{target}"
    return model
