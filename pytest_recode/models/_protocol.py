"""What a code model is to pytest-recode: something that completes prompts under a generation config."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable

from .._errors import InvalidArgument

__all__ = ["DECODERS", "DEFAULT_STOP", "DTYPES", "CodeModel", "GenerationConfig", "ModelOptions"]

#: Stop sequences that end a function body written at top level: another top-level statement begins.
DEFAULT_STOP: tuple[str, ...] = ("\nif __name__", "\nprint(", "\nassert ", "\n```", '\n"""', "\n#")

#: Weight dtypes a transformers model can be loaded in ("auto": the checkpoint's own, float32 on CPU).
DTYPES: tuple[str, ...] = ("auto", "float32", "float16", "bfloat16")

#: How the transformers backend decodes (see :class:`ModelOptions`).
DECODERS: tuple[str, ...] = ("auto", "generate", "loop", "graph", "compile")


@dataclass(frozen=True)
class GenerationConfig:
    """How to generate. ``temperature=0`` is greedy decoding; ``n`` completions are made per prompt.

    ``stop`` ends a completion at the first occurrence of any of its strings (the string itself is not
    kept). ``min_new_tokens`` forbids the end-of-sequence token before that many tokens (benchmarks use it
    to force a fixed length). ``seed`` makes sampling reproducible for a given batch.
    """

    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 0.95
    n: int = 1
    stop: tuple[str, ...] = DEFAULT_STOP
    seed: int = 0
    min_new_tokens: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.stop, list):
            object.__setattr__(self, "stop", tuple(self.stop))  # a list would make the record unhashable
        if not isinstance(self.max_new_tokens, int) or self.max_new_tokens < 1:
            raise InvalidArgument(f"max_new_tokens={self.max_new_tokens!r} must be an int of at least 1.")
        if not isinstance(self.n, int) or self.n < 1:
            raise InvalidArgument(f"n={self.n!r} must be an int of at least 1.")
        if not self.temperature >= 0:
            raise InvalidArgument(f"temperature={self.temperature!r} must be at least 0 (0 is greedy).")
        if not 0 < self.top_p <= 1:
            raise InvalidArgument(f"top_p={self.top_p!r} must be in (0, 1].")
        if isinstance(self.stop, str) or not all(isinstance(s, str) and s for s in self.stop):
            raise InvalidArgument(f"stop={self.stop!r} must be a tuple of non-empty strings, e.g. ('\\ndef',).")
        if not 0 <= self.min_new_tokens <= self.max_new_tokens:
            raise InvalidArgument(
                f"min_new_tokens={self.min_new_tokens!r} must be between 0 and max_new_tokens={self.max_new_tokens}."
            )

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def key(self) -> str:
        """A stable text form of the config, used in cache keys."""
        data = asdict(self)
        if not data["min_new_tokens"]:
            del data["min_new_tokens"]  # keeps keys written before the field existed valid
        return json.dumps(data, sort_keys=True)


@dataclass(frozen=True)
class ModelOptions:
    """How to load a model named by a spec (see :func:`pytest_recode.models.load_model`).

    ``device``: ``None`` or ``"auto"`` (CUDA when present, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:N"``.
    ``dtype``: one of :data:`DTYPES`. ``batch_size``: most rows per generation batch (halved on
    out-of-memory). ``decoder`` (transformers only): ``"generate"`` is Hugging Face ``generate`` with a
    stop-sequence criterion; ``"loop"`` is this package's static-cache decode loop; ``"graph"`` replays its
    decode step as a CUDA graph; ``"compile"`` also compiles that step with ``torch.compile``; ``"auto"``
    is ``"graph"`` on CUDA and ``"loop"`` on CPU. ``attn_implementation`` is passed to ``from_pretrained``
    (default ``"sdpa"``). ``timeout_s`` (HTTP only) bounds the wait for one answer from the server; a
    request with no answer by then is sent once more, then reported as a hung server. ``cpu_threads`` (transformers only): torch's
    intra-op thread count, set when the model is placed on the CPU (``None``: torch's own setting is kept).
    """

    device: str | None = None
    dtype: str = "auto"
    batch_size: int = 32
    decoder: str = "auto"
    attn_implementation: str | None = None
    timeout_s: float = 300.0
    cpu_threads: int | None = None

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise InvalidArgument(f"dtype={self.dtype!r} is not one of {list(DTYPES)}.")
        if self.decoder not in DECODERS:
            raise InvalidArgument(f"decoder={self.decoder!r} is not one of {list(DECODERS)}.")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise InvalidArgument(f"batch_size={self.batch_size!r} must be an int of at least 1.")
        if not self.timeout_s > 0:
            raise InvalidArgument(f"timeout_s={self.timeout_s!r} must be a positive number of seconds.")
        if self.cpu_threads is not None and (not isinstance(self.cpu_threads, int) or self.cpu_threads < 1):
            raise InvalidArgument(f"cpu_threads={self.cpu_threads!r} must be None or an int of at least 1.")
        device = self.device
        if device is not None and not (
            device in ("auto", "cpu", "cuda", "mps") or device.startswith("cuda:") and device[5:].isdigit()
        ):
            raise InvalidArgument(f"device={device!r} must be auto, cpu, cuda or cuda:N.")


@runtime_checkable
class CodeModel(Protocol):
    """A model that completes code. ``complete`` returns ``config.n`` completions for each prompt."""

    @property
    def name(self) -> str:
        """A short name for reports."""
        ...

    def fingerprint(self) -> str | None:
        """A string that changes whenever the model's outputs could (weights, config, revision), or ``None``
        when nothing can vouch for that: the completion engine then keeps its completions for the session
        only, never on disk."""
        ...

    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        """For each prompt, ``config.n`` completions (the text after the prompt)."""
        ...
