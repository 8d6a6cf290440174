"""How to cut length-sorted prompts into batches.

On a CPU the work of a decode step grows with rows, so batches are simply cut at ``batch_size`` rows. On
a GPU a decode step reads every weight once whatever the batch (more rows are nearly free), plus each row's
KV cache up to the batch's padded length; the prefill computes every padded position. One big batch
shares the weight reads, but a few long prompts then pad every row's cache. :func:`plan_batches` weighs
both with a simple cost model (bytes read at memory bandwidth, prefill at compute throughput) and picks,
by dynamic programming over the sorted prompts, the cut that costs least.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["StepCosts", "cache_length", "plan_batches", "step_costs"]

#: Cache lengths are rounded up to this, so batches of similar prompts share one CUDA graph.
CACHE_ROUND = 64
#: Batch rows are rounded up to this when decode steps are CUDA graphs (see StaticDecoder).
ROW_ROUND = 8


@dataclass(frozen=True)
class StepCosts:
    """What a batch costs on a GPU: bytes of weights and of one KV-cache slot, parameters, and the device's
    bandwidth (bytes/s), throughput (FLOP/s) and fixed cost per decode step (s)."""

    weight_bytes: float
    slot_bytes: float
    params: float
    bandwidth: float = 3.0e12
    flops: float = 4.0e14
    step_overhead: float = 3.0e-5

    def batch_seconds(self, rows: int, width: int, new_tokens: int) -> float:
        length = cache_length(width, new_tokens)
        decode = new_tokens * ((self.weight_bytes + rows * length * self.slot_bytes) / self.bandwidth + self.step_overhead)
        prefill = 2 * self.params * rows * width / self.flops
        return decode + prefill


def cache_length(width: int, new_tokens: int) -> int:
    return -(-(width + new_tokens) // CACHE_ROUND) * CACHE_ROUND


def step_costs(model: Any) -> StepCosts | None:
    """The cost model of a transformers model, or ``None`` when its config does not say enough."""
    config = model.config
    layers = getattr(config, "num_hidden_layers", None) or getattr(config, "n_layer", None)
    heads = getattr(config, "num_attention_heads", None) or getattr(config, "n_head", None)
    hidden = getattr(config, "hidden_size", None) or getattr(config, "n_embd", None)
    if not (layers and heads and hidden):
        return None
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None) or hidden // heads
    params = list(model.parameters())
    size = params[0].element_size()
    return StepCosts(
        weight_bytes=float(sum(p.numel() * p.element_size() for p in params)),
        slot_bytes=float(layers * 2 * kv_heads * head_dim * size),
        params=float(sum(p.numel() for p in params)),
    )


def plan_batches(
    widths: Sequence[int], *, max_rows: int, new_tokens: int, costs: StepCosts | None = None, rows_per_prompt: int = 1
) -> list[int]:
    """Sizes (in prompts) of consecutive batches over ``widths``, token counts sorted longest first.

    Without ``costs``: batches of ``max_rows // rows_per_prompt`` prompts. With them: the cut minimising
    :meth:`StepCosts.batch_seconds` summed over batches (group ends on multiples of 8 prompts, or the end).
    """
    n = len(widths)
    cap = max(1, max_rows // rows_per_prompt)
    if costs is None or n <= 1:
        return [min(cap, n - i) for i in range(0, n, cap)]
    ends = sorted(set(range(ROW_ROUND, n, ROW_ROUND)) | {n})
    best: dict[int, tuple[float, list[int]]] = {0: (0.0, [])}
    for end in ends:
        options = []
        for start, (cost, sizes) in best.items():
            size = end - start
            if 0 < size <= cap:
                rows = -(-size * rows_per_prompt // ROW_ROUND) * ROW_ROUND
                options.append((cost + costs.batch_seconds(rows, widths[start], new_tokens), sizes + [size]))
        if options:
            best[end] = min(options, key=lambda o: o[0])
        # Starts further back than `cap` prompts can no longer begin a batch that reaches later ends.
        for start in [s for s in best if end - s >= cap]:
            if start != end:
                del best[start]
    if n not in best:  # unreachable with cap >= 1, kept for safety
        return [min(cap, n - i) for i in range(0, n, cap)]
    return best[n][1]
