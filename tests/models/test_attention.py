from __future__ import annotations

from types import SimpleNamespace

import pytest

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("groups", [1, 2, 8])
@pytest.mark.parametrize("mask_kind", ["bool", "float"])
def test_packed_attention_equals_repeat_kv(groups: int, mask_kind: str) -> None:
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    from pytest_recode.models._attention import packed_sdpa_forward

    torch.manual_seed(0)
    batch, kv_heads, length, dim = 3, 2, 40, 16
    module = SimpleNamespace(num_key_value_groups=groups, is_causal=True, training=False)
    query = torch.randn(batch, kv_heads * groups, 1, dim)
    key, value = torch.randn(batch, kv_heads, length, dim), torch.randn(batch, kv_heads, length, dim)
    allowed = torch.rand(batch, 1, 1, length) > 0.3
    allowed[..., 0] = True
    mask = allowed if mask_kind == "bool" else torch.zeros(allowed.shape).masked_fill(~allowed, torch.finfo(torch.float32).min)
    ours, _ = packed_sdpa_forward(module, query, key, value, mask, scaling=dim**-0.5)
    theirs, _ = sdpa_attention_forward(module, query, key, value, mask, scaling=dim**-0.5)
    assert ours.shape == theirs.shape == (batch, 1, kv_heads * groups, dim)
    assert torch.allclose(ours, theirs, atol=1e-5)


def test_switch_is_undone(tiny_llama) -> None:  # type: ignore[no-untyped-def]
    from transformers import AutoModelForCausalLM

    from pytest_recode.models._attention import PACKED_SDPA, packed_attention

    model = AutoModelForCausalLM.from_pretrained(tiny_llama, attn_implementation="sdpa")
    with packed_attention(model) as switched:
        assert switched and model.config._attn_implementation == PACKED_SDPA
    assert model.config._attn_implementation == "sdpa"
    eager = AutoModelForCausalLM.from_pretrained(tiny_llama, attn_implementation="eager")
    with packed_attention(eager) as switched:
        assert not switched and eager.config._attn_implementation == "eager"
