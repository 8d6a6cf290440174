"""The two decoders of the transformers backend.

:func:`generate_batch` is Hugging Face ``generate`` with a criterion that stops each row at its first stop
sequence. :class:`StaticDecoder` is a greedy/sampling loop over a static KV cache that this package drives
itself: the prompt is prefilled once, then each step feeds one token per row with fixed-shape inputs
(token, position, a mask built from the step counter), so that on CUDA the step can be captured once as a
CUDA graph and replayed, removing the per-kernel launch cost that dominates decoding small and medium
models. A captured graph is checked against an eager step before it is trusted; if capture fails or
disagrees, the loop stays eager and says why (``graph_error``).
"""

from __future__ import annotations

import contextlib
import inspect
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._attention import packed_attention
from ._plan import ROW_ROUND, cache_length
from ._protocol import GenerationConfig
from ._stops import StopChecker

__all__ = ["StaticDecoder", "generate_batch", "make_checker", "pad_left"]

#: Eager decode steps on a new cache shape before its CUDA graph is captured (lazy initialisations).
_WARMUP_STEPS = 2


def make_checker(tokenizer: Any, stop: Sequence[str], tails: Sequence[str], interval: int) -> StopChecker:
    return StopChecker(tokenizer, stop, tails, interval)


def pad_left(rows: Sequence[Sequence[int]], pad_id: int, device: Any, width: int | None = None) -> tuple[Any, Any]:
    """Token ids and attention mask, left-padded to ``width`` (the longest row by default)."""
    import torch

    width = width or max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        if row:
            ids[i, width - len(row) :] = torch.tensor(row, dtype=torch.long)
            mask[i, width - len(row) :] = 1
    return ids.to(device), mask.to(device)


class _StopCriterion:
    """A ``generate`` stopping criterion: per row, whether it has produced a stop sequence."""

    def __init__(self, checker: StopChecker, prompt_len: int) -> None:
        self.checker = checker
        self.prompt_len = prompt_len

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        step = input_ids.shape[1] - self.prompt_len
        if self.checker.due(step):
            running = [not s for s in self.checker.stopped]
            self.checker.update(input_ids[:, self.prompt_len :].cpu(), running)
        return torch.tensor(self.checker.stopped, dtype=torch.bool, device=input_ids.device)


def generate_batch(
    model: Any, rows: Sequence[Sequence[int]], config: GenerationConfig, *, pad_id: int, eos_ids: Sequence[int],
    checker: StopChecker,
) -> tuple[list[list[int]], int]:
    """New token ids per row from Hugging Face ``generate``, and the number of steps it ran."""
    import torch

    device = next(model.parameters()).device
    ids, mask = pad_left(rows, pad_id, device)
    width = ids.shape[1]
    kwargs: dict[str, Any] = {
        "max_new_tokens": config.max_new_tokens,
        "pad_token_id": pad_id,
        "eos_token_id": list(eos_ids) or None,
    }
    if config.min_new_tokens:
        kwargs["min_new_tokens"] = config.min_new_tokens
    if config.greedy:
        kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    else:
        kwargs.update(do_sample=True, temperature=config.temperature, top_p=config.top_p, top_k=None)
        torch.manual_seed(config.seed)
    if config.stop:
        kwargs["stopping_criteria"] = [_StopCriterion(checker, width)]
    with torch.inference_mode():
        out = model.generate(ids, attention_mask=mask, **kwargs)
    new = out[:, width:]
    return new.tolist(), int(new.shape[1])


@dataclass
class _State:
    """A static cache of one shape (rows, length) and the fixed-address buffers its decode step reads."""

    rows: int
    length: int
    cache: Any
    ids: Any  # (rows, 1) next input token
    pos: Any  # (rows, 1) its position (count of real tokens before it)
    cur: Any  # () its slot in the cache
    keep: Any  # (rows, length) False on left padding
    arange: Any  # (length,)
    eager_steps: int = 0
    graph: Any = None
    graph_logits: Any = None
    graph_failed: bool = False


class StaticDecoder:
    """Decodes batches over a static KV cache, optionally replaying the decode step as a CUDA graph."""

    def __init__(
        self, model: Any, *, pad_id: int, eos_ids: Sequence[int], graphs: bool = True, compile: bool = False,
        max_states: int = 8, pack: bool = True,
    ) -> None:
        import torch

        self.model = model
        self.pad_id = pad_id
        self.eos_ids = list(eos_ids)
        first = next(model.parameters())
        self.device, self.dtype = first.device, first.dtype
        self.graphs = graphs and self.device.type == "cuda"
        self.max_states = max_states
        self.graph_error: str | None = None
        self.pack = pack
        self._states: OrderedDict[tuple[int, int], _State] = OrderedDict()
        self._pool: Any = None
        params = inspect.signature(model.forward).parameters
        # transformers renamed `past_key_values` to `cache` (5.2x) and dropped `cache_position`: follow it.
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self._cache_position = "cache_position" in params
        self._logits_to_keep = "logits_to_keep" in params
        self._additive_mask = getattr(model.config, "_attn_implementation", "sdpa") == "eager"
        self._step_fn = self._step
        if compile:
            self._step_fn = torch.compile(self._step, dynamic=False, fullgraph=False)
        self.compiled = compile
        self._unsupported: str | None | bool = False

    @property
    def mode(self) -> str:
        """What the last batch ran as: ``compile`` or ``graph`` (a CUDA graph replayed), else ``loop``."""
        if self.graphs and self.graph_error is None and any(s.graph is not None for s in self._states.values()):
            return "compile" if self.compiled else "graph"
        return "loop"

    def unsupported(self) -> str | None:
        """Why this model cannot use the static loop (then the caller uses ``generate``), or ``None``."""
        if self._unsupported is False:
            self._unsupported = self._check_support()
        return self._unsupported  # type: ignore[return-value]

    def _check_support(self) -> str | None:
        config = self.model.config
        attn = getattr(config, "_attn_implementation", "sdpa")
        if attn not in ("sdpa", "eager"):
            return f"attention {attn!r} takes no custom mask"
        if getattr(config, "is_encoder_decoder", False):
            return "encoder-decoder model"
        try:
            cache = self._new_cache(1, 8)
        except Exception as exc:  # an architecture whose cache the loop does not know
            return f"no static cache: {exc}"
        kinds = {type(layer).__name__ for layer in getattr(cache, "layers", [])}
        if kinds != {"StaticLayer"}:
            return f"cache layers {sorted(kinds)} (sliding windows or other layouts)"
        return None

    def _new_cache(self, rows: int, length: int) -> Any:
        from transformers import StaticCache

        params = inspect.signature(StaticCache.__init__).parameters
        kwargs: dict[str, Any] = {"config": self.model.config, "max_cache_len": length}
        for name, value in (("max_batch_size", rows), ("batch_size", rows), ("device", self.device), ("dtype", self.dtype)):
            if name in params:
                kwargs[name] = value
        return StaticCache(**kwargs)

    def release(self) -> None:
        """Drop every cache and graph (after an out-of-memory error)."""
        self._states.clear()

    def _state(self, rows: int, length: int) -> _State:
        import torch

        key = (rows, length)
        if key in self._states:
            self._states.move_to_end(key)
            return self._states[key]
        while len(self._states) >= self.max_states:
            self._states.popitem(last=False)
        d = self.device
        state = _State(
            rows, length, self._new_cache(rows, length),
            ids=torch.zeros((rows, 1), dtype=torch.long, device=d),
            pos=torch.zeros((rows, 1), dtype=torch.long, device=d),
            cur=torch.zeros((), dtype=torch.long, device=d),
            keep=torch.ones((rows, length), dtype=torch.bool, device=d),
            arange=torch.arange(length, device=d),
        )
        self._states[key] = state
        return state

    # -- the model calls ----------------------------------------------------------------------------
    def _mask(self, allowed: Any) -> Any:
        import torch

        if not self._additive_mask:
            return allowed
        return torch.zeros(allowed.shape, dtype=self.dtype, device=allowed.device).masked_fill(
            ~allowed, torch.finfo(self.dtype).min
        )

    def _prefill(self, st: _State, ids: Any, mask: Any) -> Any:
        import torch

        width = ids.shape[1]
        q = torch.arange(width, device=self.device)
        causal = (st.arange[None, :] <= q[:, None]) & st.keep[:, None, :]
        # A padding query would see no key at all (NaN in SDPA); let it see itself. No real query sees it.
        allowed = causal | (st.arange[None, :] == q[:, None])[None]
        kwargs: dict[str, Any] = {self._cache_kw: st.cache, "use_cache": True}
        if self._cache_position:
            kwargs["cache_position"] = q
        if self._logits_to_keep:
            kwargs["logits_to_keep"] = 1
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        out = self.model(input_ids=ids, attention_mask=self._mask(allowed[:, None]), position_ids=positions, **kwargs)
        return out.logits[:, -1, :]

    def _step(self, st: _State) -> Any:
        """One decode step from the state's buffers; shapes never change, so it can be a CUDA graph."""
        allowed = st.keep & (st.arange[None, :] <= st.cur)
        kwargs: dict[str, Any] = {self._cache_kw: st.cache, "use_cache": True}
        if self._cache_position:
            kwargs["cache_position"] = st.cur.view(1)
        out = self.model(input_ids=st.ids, attention_mask=self._mask(allowed[:, None, None, :]), position_ids=st.pos,
                         **kwargs)
        return out.logits[:, -1, :]

    def _counters(self, cache: Any) -> list[tuple[Any, Any]]:
        found = []
        for layer in getattr(cache, "layers", []):
            value = getattr(layer, "cumulative_length", None)
            if hasattr(value, "clone"):
                found.append((value, value.clone()))
        return found

    def _decode(self, st: _State) -> Any:
        import torch

        if st.graph is not None:
            st.graph.replay()
            return st.graph_logits
        if not self.graphs or st.graph_failed or self.graph_error is not None:
            return self._step_fn(st)
        if st.eager_steps < _WARMUP_STEPS:
            st.eager_steps += 1
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                logits = self._step_fn(st)
            torch.cuda.current_stream().wait_stream(side)
            return logits
        try:
            return self._capture(st)
        except Exception as exc:
            st.graph_failed = True
            self.graph_error = f"{type(exc).__name__}: {exc}"[:500]
            torch.cuda.synchronize()
            return self._step_fn(st)

    def _capture(self, st: _State) -> Any:
        import torch

        counters = self._counters(st.cache)
        reference = self._step_fn(st).clone()
        for tensor, saved in counters:
            tensor.copy_(saved)  # the reference step advanced the cache's own position: undo that
        torch.cuda.synchronize()
        if self._pool is None:
            self._pool = torch.cuda.graph_pool_handle()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, pool=self._pool):
            logits = self._step_fn(st)
        graph.replay()
        scale = max(1.0, float(reference.abs().max()))
        if float((logits.float() - reference.float()).abs().max()) > 1e-2 * scale:
            raise RuntimeError("the captured decode step disagrees with the eager one")
        st.graph, st.graph_logits = graph, logits
        return logits

    # -- the loop -----------------------------------------------------------------------------------
    def _choose(self, logits: Any, step: int, config: GenerationConfig, eos: Any, generator: Any) -> Any:
        import torch

        if step < config.min_new_tokens and eos.numel():
            logits = logits.index_fill(-1, eos, float("-inf"))
        if config.greedy:
            return logits.argmax(-1)
        probs = torch.softmax(logits.float() / config.temperature, dim=-1)
        if config.top_p < 1:
            sorted_p, order = probs.sort(dim=-1, descending=True)
            sorted_p = sorted_p.masked_fill(sorted_p.cumsum(-1) - sorted_p > config.top_p, 0.0)
            probs = torch.zeros_like(probs).scatter(-1, order, sorted_p)
        return torch.multinomial(probs, 1, generator=generator).squeeze(-1)

    def run(
        self, rows: Sequence[Sequence[int]], config: GenerationConfig, checker: StopChecker,
        eos_ids: Sequence[int] | None = None,
    ) -> tuple[list[list[int]], int]:
        """New token ids per row, and the number of steps run (fewer than ``max_new_tokens`` when every row
        stopped early). ``eos_ids`` overrides the end tokens given at construction."""
        import torch

        real = len(rows)
        # Graphs are per shape: round the rows up so that batches of similar size share one.
        width_rows = -(-real // ROW_ROUND) * ROW_ROUND if self.graphs else real
        padded_rows = list(rows) + [rows[0]] * (width_rows - real)
        width = max(len(r) for r in rows)
        length = cache_length(width, config.max_new_tokens)
        with torch.inference_mode(), packed_attention(self.model) if self.pack else contextlib.nullcontext():
            st = self._state(width_rows, length)
            ids, mask = pad_left(padded_rows, self.pad_id, self.device, width)
            st.cache.reset()
            st.keep.fill_(True)
            st.keep[:, :width] = mask.bool()
            logits = self._prefill(st, ids, mask)
            st.cur.fill_(width)
            st.pos.copy_(mask.sum(-1, keepdim=True))
            eos = torch.tensor(list(self.eos_ids if eos_ids is None else eos_ids), dtype=torch.long, device=self.device)
            done = torch.zeros(width_rows, dtype=torch.bool, device=self.device)
            done[real:] = True
            out = torch.full((width_rows, config.max_new_tokens), self.pad_id, dtype=torch.long, device=self.device)
            generator = None
            if not config.greedy:
                generator = torch.Generator(device=self.device)
                generator.manual_seed(config.seed)
            steps = 0
            for t in range(config.max_new_tokens):
                token = torch.where(done, self.pad_id, self._choose(logits, t, config, eos, generator))
                out[:, t] = token
                if eos.numel():
                    done |= torch.isin(token, eos)
                steps = t + 1
                if steps == config.max_new_tokens:
                    break
                if steps % checker.interval == 0:
                    if checker.due(steps):
                        running = (~done[:real]).tolist()
                        for row in checker.update(out[:real, :steps].cpu(), running):
                            done[row] = True
                    if bool(done.all()):
                        break
                st.ids.copy_(token.view(-1, 1))
                logits = self._decode(st)  # feeds `token` at slot `cur`, position `pos`
                st.pos.add_(1)
                st.cur.add_(1)
            return out[:real, :steps].tolist(), steps
