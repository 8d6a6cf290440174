"""Decode-step attention for grouped-query models without copying the KV cache.

With an attention mask (always present here: rows are left-padded), transformers' SDPA path before 5.2x
expands every key/value head ``num_key_value_groups`` times (``repeat_kv``) at every decode step: for a
Llama with 32 query and 4 KV heads that writes and reads eight copies of the whole cache per layer, more
memory traffic than the weights. For one query token the same result comes from folding the query heads
onto their KV head (``(B, H, 1, D) -> (B, H_kv, H/H_kv, D)``) and attending once per KV head. This module
registers that as an attention implementation (``recode_sdpa``) and switches a model to it only while the
static-cache loop runs it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["PACKED_SDPA", "packed_attention", "packed_sdpa_forward"]

PACKED_SDPA = "recode_sdpa"


def packed_sdpa_forward(
    module: Any, query: Any, key: Any, value: Any, attention_mask: Any, dropout: float = 0.0,
    scaling: float | None = None, is_causal: bool | None = None, **kwargs: Any,
) -> tuple[Any, None]:
    """SDPA with the query heads of a group folded onto their KV head for a single query token; anything
    else goes to transformers' own SDPA function."""
    import torch
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    groups = getattr(module, "num_key_value_groups", 1)
    batch, heads, q_len, dim = query.shape
    if groups <= 1 or q_len != 1 or (attention_mask is not None and attention_mask.shape[1] != 1):
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling,
                                      is_causal=is_causal, **kwargs)
    # Head h uses KV head h // groups (repeat_kv's order), so a reshape groups them.
    folded = query.reshape(batch, heads // groups, groups, dim)
    out = torch.nn.functional.scaled_dot_product_attention(folded, key, value, attn_mask=attention_mask, scale=scaling)
    return out.reshape(batch, heads, 1, dim).transpose(1, 2).contiguous(), None


def _register() -> bool:
    try:
        from transformers import AttentionInterface
        from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask
    except ImportError:  # an older transformers: keep its own attention
        return False
    AttentionInterface.register(PACKED_SDPA, packed_sdpa_forward)
    # Masks are built as for SDPA if anything builds one under this name (the loop passes its own).
    ALL_MASK_ATTENTION_FUNCTIONS.register(PACKED_SDPA, sdpa_mask)
    return True


@contextlib.contextmanager
def packed_attention(model: Any) -> Iterator[bool]:
    """Run the model with :func:`packed_sdpa_forward` inside the block when it uses SDPA; yields whether it
    does. The switch is undone on exit, so ``generate`` and other users of the model are unaffected."""
    config = model.config
    original = getattr(config, "_attn_implementation", None)
    switch = original == "sdpa" and _register()
    if switch:
        config._attn_implementation = PACKED_SDPA
    try:
        yield switch
    finally:
        if switch:
            config._attn_implementation = original
