from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_recode import ModelError
from pytest_recode.models import CallableModel, CompletionCache, CompletionEngine, EngineStats, GenerationConfig


class Counting:
    """A model that answers with the prompt reversed and counts what it was asked."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, prompts: list[str]) -> list[str]:
        self.calls.append(list(prompts))
        return [p[::-1] for p in prompts]

    def fingerprint(self) -> str:
        return "counting-v1"


def test_identical_prompts_are_generated_once() -> None:
    fn = Counting()
    engine = CompletionEngine(CallableModel(fn))
    out = engine.complete(["a", "b", "a", "a"], GenerationConfig())
    assert out == [["a"], ["b"], ["a"], ["a"]]
    assert fn.calls == [["a", "b"]]
    assert engine.stats == EngineStats(requested=4, generated=2, cached=0, deduplicated=2, calls=1)


def test_later_calls_reuse_earlier_answers_but_not_across_configs() -> None:
    fn = Counting()
    engine = CompletionEngine(CallableModel(fn))
    engine.complete(["a"], GenerationConfig())
    engine.complete(["a", "c"], GenerationConfig())
    engine.complete(["a"], GenerationConfig(max_new_tokens=7))
    assert fn.calls == [["a"], ["c"], ["a"]]
    assert engine.stats == EngineStats(requested=4, generated=3, cached=0, deduplicated=1, calls=3)


def test_disk_cache_serves_a_second_engine(tmp_path: Path) -> None:
    first = CompletionEngine(CallableModel(Counting()), cache=CompletionCache(tmp_path))
    first.complete(["x", "y"], GenerationConfig())
    fn = Counting()
    second = CompletionEngine(CallableModel(fn), cache=CompletionCache(tmp_path))
    assert second.complete(["y", "x", "z"], GenerationConfig()) == [["y"], ["x"], ["z"]]
    assert fn.calls == [["z"]]
    assert second.stats == EngineStats(requested=3, generated=1, cached=2, deduplicated=0, calls=1)
    assert second.stats.summary_line() == "recode: 1 completions generated in 1 model call, 2 from cache"


def test_cache_is_keyed_by_fingerprint(tmp_path: Path) -> None:
    CompletionEngine(CallableModel(Counting()), cache=CompletionCache(tmp_path)).complete(["x"], GenerationConfig())

    class Other(Counting):
        def fingerprint(self) -> str:
            return "counting-v2"

    fn = Other()
    engine = CompletionEngine(CallableModel(fn), cache=CompletionCache(tmp_path))
    engine.complete(["x"], GenerationConfig())
    assert fn.calls == [["x"]]


def test_n_completions_are_counted_per_completion(tmp_path: Path) -> None:
    engine = CompletionEngine(CallableModel(Counting()), cache=CompletionCache(tmp_path))
    config = GenerationConfig(n=3, temperature=0.8)
    assert engine.complete(["ab", "ab"], config) == [["ba"] * 3, ["ba"] * 3]
    assert engine.stats == EngineStats(requested=6, generated=3, cached=0, deduplicated=3, calls=1)


def test_stats_add_up_and_travel_as_dicts() -> None:
    a, b = EngineStats(4, 2, 1, 1, 1), EngineStats(3, 1, 2, 0, 2)
    assert a + b == EngineStats(7, 3, 3, 1, 3)
    assert sum([a, b], EngineStats()) == sum([a, b]) == EngineStats(7, 3, 3, 1, 3)
    assert EngineStats.from_dict(a.as_dict()) == a
    assert (a + b).saved == 4


def test_wrong_number_of_completions_is_a_model_error() -> None:
    class Short:
        name = "short"

        def fingerprint(self) -> str:
            return "short"

        def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
            return [["x"]]

    with pytest.raises(ModelError, match="returned completions for 1 prompts, not 2"):
        CompletionEngine(Short()).complete(["a", "b"], GenerationConfig())


def test_empty_request() -> None:
    fn = Counting()
    engine = CompletionEngine(CallableModel(fn))
    assert engine.complete([], GenerationConfig()) == []
    assert fn.calls == [] and engine.stats == EngineStats()
