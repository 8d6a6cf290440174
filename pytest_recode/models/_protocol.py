"""What a code model is to pytest-recode: something that completes prompts under a generation config."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable

__all__ = ["DEFAULT_STOP", "CodeModel", "GenerationConfig", "ModelOptions"]

#: Stop sequences that end a function body written at top level: another top-level statement begins.
DEFAULT_STOP: tuple[str, ...] = ("\nif __name__", "\nprint(", "\nassert ", "\n```", '\n"""', "\n#")


@dataclass(frozen=True)
class GenerationConfig:
    """How to generate. ``temperature=0`` is greedy decoding; ``n`` completions are made per prompt."""

    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 0.95
    n: int = 1
    stop: tuple[str, ...] = DEFAULT_STOP
    seed: int = 0

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def key(self) -> str:
        """A stable text form of the config, used in cache keys."""
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class ModelOptions:
    """How to load a model named by a spec (see :func:`pytest_recode.models.load_model`)."""

    device: str | None = None
    dtype: str = "auto"
    batch_size: int = 32


@runtime_checkable
class CodeModel(Protocol):
    """A model that completes code. ``complete`` returns ``config.n`` completions for each prompt."""

    @property
    def name(self) -> str:
        """A short name for reports."""
        ...

    def fingerprint(self) -> str:
        """A string that changes whenever the model's outputs could (weights, config, revision)."""
        ...

    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        """For each prompt, ``config.n`` completions (the text after the prompt)."""
        ...
