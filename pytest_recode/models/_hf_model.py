"""The transformers backend: batches formed by prompt length, stop sequences, out-of-memory halving.

Prompts are tokenized once, sorted longest first (so that an out-of-memory error comes early and each
batch pads little) and cut into batches of at most ``batch_size`` rows (``n`` rows per prompt when
sampling); on a GPU the cut is chosen by a cost model (see :mod:`._plan`). Each batch is left-padded and decoded by one of two decoders (see :mod:`._hf_decode`): Hugging
Face ``generate`` with a stop-sequence criterion, or this package's static-cache loop, optionally replayed
as a CUDA graph. Both end a batch as soon as every row has produced a stop sequence or the end token.
On CUDA out-of-memory the batch is halved and retried, and later batches keep the smaller size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors import ModelError
from ._protocol import DECODERS, GenerationConfig
from ._stops import cut_at_stop

__all__ = ["BatchRecord", "TransformersModel"]


@dataclass
class BatchRecord:
    """What happened in one batch: rows, padded prompt length, decode steps run, decoder used."""

    rows: int
    prompt_tokens: int
    steps: int
    decoder: str


@dataclass
class RunLog:
    """Per-model counters, for benchmarks and the terminal summary."""

    batches: list[BatchRecord] = field(default_factory=list)
    oom_halvings: int = 0
    notes: list[str] = field(default_factory=list)


def _is_oom(exc: BaseException) -> bool:
    import torch

    oom_type = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", ())
    return isinstance(exc, oom_type) or (isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower())


class TransformersModel:
    """A causal language model and its tokenizer as a :class:`~pytest_recode.models.CodeModel`."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        name: str,
        fingerprint: str,
        batch_size: int = 32,
        decoder: str = "auto",
        stop_interval: int | None = None,
        bucketing: bool = True,
        pack_attention: bool = True,
    ) -> None:
        if decoder not in DECODERS:
            raise ModelError(f"decoder={decoder!r} is not one of {list(DECODERS)}.")
        self.model = model
        self.tokenizer = tokenizer
        self._name = name
        self._fingerprint = fingerprint
        self.batch_size = batch_size
        self.device = next(model.parameters()).device
        on_cuda = self.device.type == "cuda"
        self.decoder = ("graph" if on_cuda else "loop") if decoder == "auto" else decoder
        # Checking stops needs the tokens on the CPU: every step costs little there, but on a GPU it would
        # stall the pipeline, so there it happens every few steps.
        self.stop_interval = stop_interval if stop_interval is not None else (4 if on_cuda else 1)
        self.log = RunLog()
        # Padding never reaches the text (left padding is masked, finished rows are cut), so any id serves
        # when the tokenizer has no pad token: its end token, else 0.
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.pad_id = int(pad) if pad is not None else 0
        self._static: Any = None
        self._costs: Any = None
        self.bucketing = bucketing
        self.pack_attention = pack_attention
        config = model.config
        limit = getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", None)
        self.max_positions: int | None = int(limit) if limit else None

    def __repr__(self) -> str:
        return f"TransformersModel({self._name!r}, device={self.device}, decoder={self.decoder!r})"

    @property
    def name(self) -> str:
        return self._name

    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def eos_ids(self) -> list[int]:
        ids = getattr(self.model.generation_config, "eos_token_id", None)
        if ids is None:
            ids = self.tokenizer.eos_token_id
        ids = [ids] if isinstance(ids, int) else list(ids or [])
        return [int(i) for i in ids]

    # -- CodeModel ----------------------------------------------------------------------------------
    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        prompts = list(prompts)
        if not prompts:
            return []
        encoded = self._encode(prompts, config)
        results: list[list[str]] = [[] for _ in prompts]
        pending = sorted(range(len(prompts)), key=lambda i: -len(encoded[i]))
        plan = self._plan([len(encoded[i]) for i in pending], config)
        while pending:
            chunk, rest = pending[: plan[0]], pending[plan[0] :]
            try:
                generated = self._run_batch([encoded[i] for i in chunk], [prompts[i] for i in chunk], config)
            except Exception as exc:
                if not _is_oom(exc):
                    raise
                self._free_memory()
                if len(chunk) * config.n <= 1:
                    raise ModelError(
                        f"model {self._name!r}: out of memory on one prompt of {len(encoded[chunk[0]])} tokens with "
                        f"max_new_tokens={config.max_new_tokens}; lower --recode-max-new-tokens or "
                        "--recode-dtype, or use a larger GPU."
                    ) from exc
                # Halve and keep the smaller size for the rest of the run; every prompt stays queued.
                self.batch_size = max(1, (len(chunk) * config.n) // 2)
                self.log.oom_halvings += 1
                plan = self._plan([len(encoded[i]) for i in pending], config)
                continue
            for i, rows in zip(chunk, generated):
                results[i] = rows
            pending, plan = rest, plan[1:]
        return results

    def _plan(self, widths: list[int], config: GenerationConfig) -> list[int]:
        """Batch sizes over prompts sorted longest first (see :mod:`._plan`): on a GPU, weighed by a cost model."""
        from ._plan import plan_batches, step_costs

        if self.device.type == "cuda" and self.bucketing and self._costs is None:
            self._costs = step_costs(self.model) or False
        costs = (self._costs or None) if self.bucketing else None
        return plan_batches(widths, max_rows=self.batch_size, new_tokens=config.max_new_tokens, costs=costs,
                            rows_per_prompt=config.n)

    # -- internals ----------------------------------------------------------------------------------
    def _encode(self, prompts: list[str], config: GenerationConfig) -> list[list[int]]:
        encoded = self.tokenizer(prompts, add_special_tokens=True)["input_ids"]
        if self.max_positions is None:
            return [list(ids) for ids in encoded]
        room = self.max_positions - config.max_new_tokens
        if room < 1:
            raise ModelError(
                f"max_new_tokens={config.max_new_tokens} leaves no room for a prompt in this model's "
                f"{self.max_positions} positions; lower --recode-max-new-tokens."
            )
        # Like ReCode, keep the end of a prompt that is too long: the function being completed is there.
        return [list(ids[-room:]) for ids in encoded]

    def _free_memory(self) -> None:
        if self._static is not None:
            self._static.release()
        import gc

        import torch

        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _run_batch(self, encoded: list[list[int]], prompts: list[str], config: GenerationConfig) -> list[list[str]]:
        """``config.n`` completions for each of a batch of tokenized prompts."""
        from . import _hf_decode

        rows = [ids for ids in encoded for _ in range(config.n)]
        tails = [p[-1:] for p in prompts for _ in range(config.n)]
        decoder = self.decoder
        if decoder != "generate":
            if self._static is None:
                self._static = _hf_decode.StaticDecoder(
                    self.model, pad_id=self.pad_id, eos_ids=self.eos_ids,
                    graphs=decoder in ("graph", "compile"), compile=decoder == "compile", pack=self.pack_attention,
                )
            reason = self._static.unsupported()
            if reason is not None:
                self.log.notes.append(f"decoder {decoder!r} unavailable ({reason}); using generate")
                self.decoder = decoder = "generate"
        checker = _hf_decode.make_checker(self.tokenizer, config.stop, tails, self.stop_interval)
        if decoder == "generate":
            generated, steps = _hf_decode.generate_batch(
                self.model, rows, config, pad_id=self.pad_id, eos_ids=self.eos_ids, checker=checker
            )
        else:
            generated, steps = self._static.run(rows, config, checker, self.eos_ids)
            decoder = self._static.mode
        self.log.batches.append(BatchRecord(len(rows), max(len(r) for r in rows), steps, decoder))
        texts = self._decode(rows, generated)
        out: list[list[str]] = []
        for i, prompt in enumerate(prompts):
            out.append([cut_at_stop(t, config.stop, prompt) for t in texts[i * config.n : (i + 1) * config.n]])
        return out

    def _decode(self, rows: list[list[int]], generated: list[list[int]]) -> list[str]:
        """The text each row added to its prompt. Decoding prompt + completion and removing the decoded prompt
        keeps a leading space that decoding the new tokens alone drops for some tokenizers."""
        eos = set(self.eos_ids)
        trimmed = []
        for ids in generated:
            end = next((k for k, t in enumerate(ids) if t in eos), len(ids))
            trimmed.append(ids[:end])
        fulls = self.tokenizer.batch_decode([p + g for p, g in zip(rows, trimmed)], skip_special_tokens=True)
        heads = self.tokenizer.batch_decode(rows, skip_special_tokens=True)
        alone = self.tokenizer.batch_decode(trimmed, skip_special_tokens=True)
        return [f[len(h) :] if f.startswith(h) else a for f, h, a in zip(fulls, heads, alone)]
