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


# -- a model that fails ---------------------------------------------------------------------------------
class Failing(Counting):
    """Fails on its first call with ``error``."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def __call__(self, prompts: list[str]) -> list[str]:
        self.calls.append(list(prompts))
        raise self.error


def test_a_failed_model_is_not_asked_again() -> None:
    fn = Failing(ModelError("model='http://x': POST http://x/v1/completions: connection refused (4 tries)"))
    engine = CompletionEngine(CallableModel(fn, name="served"))
    with pytest.raises(ModelError, match="connection refused"):
        engine.complete(["a"], GenerationConfig())
    for prompts in (["a"], ["b", "c"]):
        with pytest.raises(ModelError) as info:
            engine.complete(prompts, GenerationConfig())
        assert str(info.value) == ("model 'served' is not asked again in this session: it failed earlier: "
                                   "model='http://x': POST http://x/v1/completions: connection refused (4 tries)")
    assert fn.calls == [["a"]]
    assert engine.failure is not None and engine.stats == EngineStats()


def test_any_exception_of_the_model_stops_it_and_is_named_in_one_line() -> None:
    fn = Failing(ValueError("bad weights\nsecond line"))
    engine = CompletionEngine(CallableModel(fn, name="mine"))
    with pytest.raises(ValueError, match="bad weights"):  # the first failure as it is, traceback and all
        engine.complete(["a"], GenerationConfig())
    with pytest.raises(ModelError, match=r"^model 'mine' is not asked again in this session: it failed earlier: "
                                         r"ValueError: bad weights$"):
        engine.complete(["a"], GenerationConfig())
    assert len(fn.calls) == 1


# -- the fingerprint decides the disk cache --------------------------------------------------------------
def test_a_callable_without_fingerprint_is_not_cached_on_disk(tmp_path: Path) -> None:
    answers = {"x": "old"}
    calls: list[list[str]] = []

    def changing(prompts: list[str]) -> list[str]:
        calls.append(list(prompts))
        return [answers[p] for p in prompts]

    first = CompletionEngine(CallableModel(changing), cache=CompletionCache(tmp_path))
    assert first.complete(["x", "x"], GenerationConfig()) == [["old"], ["old"]]
    assert first.notes == (f"recode: completion cache off for {changing.__qualname__}: it has no fingerprint()",)
    answers["x"] = "new"  # the callable changes between runs (a planted bug, another setting)
    second = CompletionEngine(CallableModel(changing), cache=CompletionCache(tmp_path))
    assert second.complete(["x"], GenerationConfig()) == [["new"]]
    assert calls == [["x"], ["x"]]
    assert second.stats == EngineStats(requested=1, generated=1, cached=0, deduplicated=0, calls=1)
    assert len(CompletionCache(tmp_path)) == 0


def test_a_declared_fingerprint_is_used_and_checked(tmp_path: Path) -> None:
    assert CallableModel(Counting()).fingerprint() == "callable:counting-v1"

    class Bad(Counting):
        def fingerprint(self) -> str:
            return 3  # type: ignore[return-value]

    with pytest.raises(ModelError, match=r"fingerprint\(\) returned 3; it must return a non-empty str"):
        CompletionEngine(CallableModel(Bad()), cache=CompletionCache(tmp_path)).complete(["x"], GenerationConfig())
    assert CompletionEngine(CallableModel(Counting()), cache=CompletionCache(tmp_path)).notes == ()


# -- a cache that cannot be used -------------------------------------------------------------------------
def test_a_damaged_cache_gives_one_warning_and_the_engine_goes_on(tmp_path: Path) -> None:
    from test_cache import damage

    from pytest_recode import CacheWarning
    from pytest_recode.models import CACHE_FILENAME

    with CompletionCache(tmp_path) as cache:
        cache.put_many("callable:counting-v1", GenerationConfig().key(), {f"p{i}": [f"c{i}" * 40] for i in range(600)})
    damage(tmp_path / CACHE_FILENAME)
    fn = Counting()
    engine = CompletionEngine(CallableModel(fn), cache=CompletionCache(tmp_path))
    with pytest.warns(CacheWarning, match=r"the completion cache .* cannot be used \(.*\); pass --recode-clear-cache "
                                          r".*Going on without it in this process\."):
        assert engine.complete(["p1", "q"], GenerationConfig()) == [["1p"], ["q"]]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert engine.complete(["p2"], GenerationConfig()) == [["2p"]]
    assert engine.cache is None and fn.calls == [["p1", "q"], ["p2"]]


def test_a_cache_that_cannot_be_created_gives_one_warning(tmp_path: Path) -> None:
    from pytest_recode import CacheWarning

    (tmp_path / "file").write_text("")
    engine = CompletionEngine(CallableModel(Counting()), cache=CompletionCache(tmp_path / "file" / "cache"))
    with pytest.warns(CacheWarning, match="cannot be used"):
        assert engine.complete(["a"], GenerationConfig()) == [["a"]]
    assert engine.complete(["b"], GenerationConfig()) == [["b"]]


def test_warnings_as_errors_do_not_stop_the_model(tmp_path: Path) -> None:
    from pytest_recode import CacheWarning

    (tmp_path / "file").write_text("")
    engine = CompletionEngine(CallableModel(Counting()), cache=CompletionCache(tmp_path / "file" / "cache"))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CacheWarning):
            engine.complete(["a"], GenerationConfig())
    assert engine.failure is None and engine.complete(["a"], GenerationConfig()) == [["a"]]
