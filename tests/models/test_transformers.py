"""The transformers backend on CPU, with tiny models built offline (their output is gibberish, but
deterministic: these tests compare decoders with each other and with the stop and length rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_recode import ModelError
from pytest_recode.models import GenerationConfig, ModelOptions, TransformersModel, load_model

pytest.importorskip("transformers")

FREE = GenerationConfig(max_new_tokens=12, stop=())


def _load(path: Path, **options: object) -> TransformersModel:
    model = load_model(str(path), ModelOptions(device="cpu", **options))  # type: ignore[arg-type]
    assert isinstance(model, TransformersModel)
    return model


@pytest.fixture(params=["tiny_llama", "tiny_gpt2"])
def tiny(request: pytest.FixtureRequest) -> Path:
    return request.getfixturevalue(request.param)


def test_auto_decoder_on_cpu_is_the_loop(tiny_llama: Path) -> None:
    model = _load(tiny_llama)
    assert model.decoder == "loop" and model.device.type == "cpu"


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_loop_matches_generate_on_padded_batches(tiny: Path, humaneval_prompts: list[str], attn: str) -> None:
    prompts = humaneval_prompts[:7]
    loop = _load(tiny, decoder="loop", batch_size=3, attn_implementation=attn)
    gen = _load(tiny, decoder="generate", batch_size=3, attn_implementation=attn)
    assert loop.complete(prompts, FREE) == gen.complete(prompts, FREE)
    assert [b.decoder for b in loop.log.batches] == ["loop"] * 3


def test_batches_are_formed_longest_first(tiny_llama: Path, humaneval_prompts: list[str]) -> None:
    model = _load(tiny_llama, batch_size=3)
    model.complete(humaneval_prompts[:7], FREE)
    assert [b.rows for b in model.log.batches] == [3, 3, 1]
    widths = [b.prompt_tokens for b in model.log.batches]
    assert widths == sorted(widths, reverse=True)


@pytest.mark.parametrize("decoder", ["loop", "generate"])
def test_stop_sequence_cuts_and_ends_the_batch(tiny: Path, humaneval_prompts: list[str], decoder: str) -> None:
    model = _load(tiny, decoder=decoder)
    prompt = humaneval_prompts[3]
    free = GenerationConfig(max_new_tokens=24, stop=())
    text = model.complete([prompt], free)[0][0]
    stop = text[2:4] if len(text) >= 4 else text[:1]
    assert stop, "the tiny model produced no text"
    model.log.batches.clear()
    cut = model.complete([prompt], GenerationConfig(max_new_tokens=24, stop=(stop,)))[0][0]
    assert cut == text[: text.find(stop)]
    assert model.log.batches[0].steps < 24  # the batch ended when its only row stopped


def test_rows_that_stop_do_not_end_the_others(tiny_llama: Path, humaneval_prompts: list[str]) -> None:
    model = _load(tiny_llama)
    prompts = humaneval_prompts[:4]
    texts = [c[0] for c in model.complete(prompts, GenerationConfig(max_new_tokens=16, stop=()))]
    stop = next(t[1:3] for t in texts if len(t) >= 3)
    cut = [c[0] for c in model.complete(prompts, GenerationConfig(max_new_tokens=16, stop=(stop,)))]
    assert cut == [t[: t.find(stop)] if stop in t else t for t in texts]


@pytest.mark.parametrize("decoder", ["loop", "generate"])
def test_end_token_ends_a_row_and_min_new_tokens_forbids_it(tiny_llama: Path, humaneval_prompts: list[str], decoder: str) -> None:
    model = _load(tiny_llama, decoder=decoder)
    prompt = humaneval_prompts[0]
    first = model.tokenizer(model.complete([prompt], GenerationConfig(max_new_tokens=1, stop=()))[0][0])["input_ids"]
    model.model.generation_config.eos_token_id = first[0]  # make the model's first token the end token
    model.log.batches.clear()
    assert model.complete([prompt], GenerationConfig(max_new_tokens=8, stop=()))[0] == [""]
    assert model.log.batches[0].steps == 1 or decoder == "generate"
    forced = model.complete([prompt], GenerationConfig(max_new_tokens=8, min_new_tokens=8, stop=()))[0][0]
    assert len(model.tokenizer(forced)["input_ids"]) >= 7  # re-tokenizing may merge a pair


def test_forced_length_matches_between_decoders(tiny_llama: Path, humaneval_prompts: list[str]) -> None:
    config = GenerationConfig(max_new_tokens=10, min_new_tokens=10, stop=())
    prompts = humaneval_prompts[10:14]
    assert _load(tiny_llama, decoder="loop").complete(prompts, config) == _load(
        tiny_llama, decoder="generate").complete(prompts, config)


@pytest.mark.parametrize("decoder", ["loop", "generate"])
def test_sampling_n_per_prompt_reproducible_by_seed(tiny_llama: Path, humaneval_prompts: list[str], decoder: str) -> None:
    model = _load(tiny_llama, decoder=decoder)
    config = GenerationConfig(max_new_tokens=8, temperature=1.0, top_p=0.9, n=3, stop=(), seed=1)
    first = model.complete(humaneval_prompts[:2], config)
    assert [len(c) for c in first] == [3, 3]
    assert model.complete(humaneval_prompts[:2], config) == first
    assert len({c for row in first for c in row}) > 1


def test_out_of_memory_halves_the_batch_and_loses_nothing(
    tiny_llama: Path, humaneval_prompts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    prompts = humaneval_prompts[:7]
    expected = _load(tiny_llama).complete(prompts, FREE)
    model = _load(tiny_llama, batch_size=8)
    real = model._run_batch
    sizes: list[int] = []

    def small_memory(encoded: list[list[int]], texts: list[str], config: GenerationConfig) -> list[list[str]]:
        sizes.append(len(encoded))
        if len(encoded) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(encoded, texts, config)

    monkeypatch.setattr(model, "_run_batch", small_memory)
    assert model.complete(prompts, FREE) == expected
    assert sizes == [7, 3, 1, 1, 1, 1, 1, 1, 1]
    assert model.log.oom_halvings == 2 and model.batch_size == 1


def test_out_of_memory_on_one_prompt_is_a_model_error(tiny_llama: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _load(tiny_llama)

    def no_memory(*args: object) -> None:
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(model, "_run_batch", no_memory)
    with pytest.raises(ModelError, match="out of memory on one prompt"):
        model.complete(["def f():\n"], FREE)


def test_too_long_prompt_keeps_its_end(tmp_path: Path) -> None:
    from pytest_recode.models import TinyModelSpec, build_tiny_model

    path = build_tiny_model(tmp_path, TinyModelSpec(max_positions=40))
    model = _load(path)
    long_prompt = "def f(x):\n" + "    x = x + 1\n" * 30
    assert len(model.complete([long_prompt], GenerationConfig(max_new_tokens=8, stop=()))[0]) == 1
    assert model.log.batches[0].prompt_tokens == 32
    with pytest.raises(ModelError, match="leaves no room"):
        model.complete([long_prompt], GenerationConfig(max_new_tokens=40))


def test_unsupported_model_falls_back_to_generate(
    tiny_llama: Path, humaneval_prompts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_recode.models import _hf_decode

    monkeypatch.setattr(_hf_decode.StaticDecoder, "_check_support", lambda self: "a test says so")
    model = _load(tiny_llama, decoder="loop")
    model.complete(humaneval_prompts[:1], FREE)
    assert model.decoder == "generate" and model.log.batches[0].decoder == "generate"
    assert "a test says so" in model.log.notes[0]


def test_fingerprint_follows_weights_and_dtype(tmp_path: Path, tiny_llama: Path) -> None:
    from pytest_recode.models import TinyModelSpec, build_tiny_model

    a = _load(tiny_llama).fingerprint()
    assert a == _load(tiny_llama).fingerprint()
    assert _load(tiny_llama, dtype="bfloat16").fingerprint() != a
    other = build_tiny_model(tmp_path / "other", TinyModelSpec(seed=1))
    assert _load(other).fingerprint() != a


def test_engine_with_cache_on_a_real_model(tiny_llama: Path, humaneval_prompts: list[str], tmp_path: Path) -> None:
    from pytest_recode.models import CompletionCache, CompletionEngine

    prompts = humaneval_prompts[:3] * 2
    first = CompletionEngine(_load(tiny_llama), cache=CompletionCache(tmp_path))
    out = first.complete(prompts, FREE)
    second = CompletionEngine(_load(tiny_llama), cache=CompletionCache(tmp_path))
    assert second.complete(prompts, FREE) == out
    assert (first.stats.generated, second.stats.generated, second.stats.cached) == (3, 0, 3)
