"""The transformers backend on a CUDA device (skipped without one). Run: pytest tests/models -m gpu"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_recode.models import GenerationConfig, ModelOptions, TransformersModel, load_model

pytestmark = pytest.mark.gpu

CONFIG = GenerationConfig(max_new_tokens=24, stop=())


def _load(path: Path, **options: object) -> TransformersModel:
    model = load_model(str(path), ModelOptions(device="cuda", **options))  # type: ignore[arg-type]
    assert isinstance(model, TransformersModel)
    return model


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_cuda_graph_decoder_matches_the_eager_loop(tiny_llama: Path, humaneval_prompts: list[str], dtype: str) -> None:
    prompts = humaneval_prompts[:20]
    graph = _load(tiny_llama, decoder="graph", dtype=dtype, batch_size=8)
    loop = _load(tiny_llama, decoder="loop", dtype=dtype, batch_size=8)
    assert graph.complete(prompts, CONFIG) == loop.complete(prompts, CONFIG)
    assert graph._static.graph_error is None
    assert {b.decoder for b in graph.log.batches} == {"graph"}


def test_graph_decoder_matches_generate_in_float32(tiny_gpt2: Path, humaneval_prompts: list[str]) -> None:
    prompts = humaneval_prompts[:9]
    assert _load(tiny_gpt2, decoder="graph", dtype="float32").complete(prompts, CONFIG) == _load(
        tiny_gpt2, decoder="generate", dtype="float32").complete(prompts, CONFIG)


def test_graphs_are_reused_across_batches(tiny_llama: Path, humaneval_prompts: list[str]) -> None:
    model = _load(tiny_llama, decoder="graph", batch_size=8)
    model.complete(humaneval_prompts[:16], CONFIG)
    model.complete(humaneval_prompts[16:32], CONFIG)
    assert len(model._static._states) <= 2


def test_stops_and_sampling_on_cuda(tiny_llama: Path, humaneval_prompts: list[str]) -> None:
    model = _load(tiny_llama)
    assert model.decoder == "graph"
    text = model.complete(humaneval_prompts[:1], CONFIG)[0][0]
    stop = text[2:4]
    cut = model.complete(humaneval_prompts[:1], GenerationConfig(max_new_tokens=24, stop=(stop,)))[0][0]
    assert cut == text[: text.find(stop)]
    sampled = model.complete(humaneval_prompts[:4], GenerationConfig(max_new_tokens=8, temperature=1.0, n=2, stop=()))
    assert [len(c) for c in sampled] == [2, 2, 2, 2]


@pytest.mark.slow
def test_compiled_decoder(tiny_llama: Path, humaneval_prompts: list[str]) -> None:
    prompts = humaneval_prompts[:8]
    compiled = _load(tiny_llama, decoder="compile", dtype="float32")
    out = compiled.complete(prompts, CONFIG)
    assert out == _load(tiny_llama, decoder="loop", dtype="float32").complete(prompts, CONFIG)
