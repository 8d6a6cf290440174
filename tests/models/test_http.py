"""The OpenAI-compatible backend, against a small server on 127.0.0.1 that misbehaves on purpose."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_openai import Fake, answer_for, closed_port_url, serving

from pytest_recode import ModelError
from pytest_recode.models import (
    CompletionCache,
    CompletionEngine,
    GenerationConfig,
    ModelOptions,
    OpenAICompletionsModel,
    load_model,
)
from pytest_recode.models._http_reply import completion_texts
from pytest_recode.models._http_transport import retry_after_s

NO_STOP = GenerationConfig(stop=())


@pytest.fixture
def server() -> Iterator[tuple[str, Fake]]:
    with serving() as served:
        yield served


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Waits between retries are recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr("pytest_recode.models._http_transport.time.sleep", waited.append)
    return waited


def _model(url: str, **kwargs: object) -> OpenAICompletionsModel:
    return OpenAICompletionsModel(url, **kwargs).connect()  # type: ignore[arg-type]


# -- a server that works ------------------------------------------------------------------------------
def test_load_model_by_url_and_complete(server: tuple[str, Fake]) -> None:
    url, fake = server
    model = load_model(url)
    out = model.complete(["def f():\n", "def longer():\n"], GenerationConfig(max_new_tokens=16))
    assert out == [["    return 9 + 0"], ["    return 14 + 0"]]  # cut at DEFAULT_STOP's "\nprint("
    body = fake.requests[0]
    assert body["model"] == "tiny-coder" and body["max_tokens"] == 16 and body["temperature"] == 0.0
    assert body["prompt"] == ["def f():\n", "def longer():\n"] and "\nprint(" in body["stop"]
    assert "top_p" not in body  # greedy


def test_a_lone_prompt_goes_as_a_string(server: tuple[str, Fake]) -> None:
    url, fake = server
    assert load_model(url).complete(["x"], NO_STOP) == [[answer_for("x", 0)]]
    assert fake.requests[0]["prompt"] == "x"


def test_v1_suffix_and_model_fragment(server: tuple[str, Fake]) -> None:
    url, fake = server
    fake.models = ["a", "b"]
    model = load_model(f"{url}/v1/#b")
    assert model.name == f"{url}#b"
    model.complete(["x"], GenerationConfig())
    assert fake.requests[0]["model"] == "b"


def test_several_models_need_a_name(server: tuple[str, Fake]) -> None:
    url, fake = server
    fake.models = ["a", "b"]
    with pytest.raises(ModelError, match=r"serves \['a', 'b'\]; name one after '#'"):
        load_model(url)
    with pytest.raises(ModelError, match="not 'c'"):
        load_model(url + "#c")


def test_n_samples_grouped_per_prompt(server: tuple[str, Fake]) -> None:
    url, fake = server
    out = load_model(url).complete(["ab", "abcd"], GenerationConfig(n=2, temperature=0.8, stop=()))
    assert out == [[answer_for("ab", 0), answer_for("ab", 1)], [answer_for("abcd", 0), answer_for("abcd", 1)]]
    assert fake.requests[0]["n"] == 2 and fake.requests[0]["top_p"] == 0.95


def test_batches_and_engine_dedupe(server: tuple[str, Fake]) -> None:
    url, fake = server
    engine = CompletionEngine(_model(url, batch_size=2))
    prompts = [f"p{i}" for i in range(5)] + ["p0", "p1"]
    out = engine.complete(prompts, NO_STOP)
    assert [o[0] for o in out] == [answer_for(p, 0) for p in prompts]
    assert sorted(len(r["prompt"]) if isinstance(r["prompt"], list) else 1 for r in fake.requests) == [1, 2, 2]
    assert engine.stats.generated == 5 and engine.stats.deduplicated == 2


def test_bearer_token_from_environment(server: tuple[str, Fake], monkeypatch: pytest.MonkeyPatch) -> None:
    url, fake = server
    monkeypatch.setenv("RECODE_API_KEY", "s3cret")
    load_model(url).complete(["x"], GenerationConfig())
    assert fake.headers[0]["Authorization"] == "Bearer s3cret"


def test_server_without_model_listing_trusts_the_given_name(server: tuple[str, Fake]) -> None:
    url, fake = server
    fake.list_status = 404
    assert load_model(url + "#tiny-coder").complete(["x"], NO_STOP)[0] == [answer_for("x", 0)]


def test_timeout_comes_from_the_options(server: tuple[str, Fake]) -> None:
    url, _ = server
    model = load_model(url, ModelOptions(timeout_s=7.5))
    assert isinstance(model, OpenAICompletionsModel) and model.transport.timeout_s == 7.5


# -- the fingerprint ----------------------------------------------------------------------------------
def test_fingerprint_ignores_created_and_names_the_model(server: tuple[str, Fake]) -> None:
    url, fake = server
    a = load_model(url).fingerprint()
    assert a == load_model(url).fingerprint() and a.startswith("http:")
    fake.models = ["other"]
    assert load_model(url).fingerprint() != a


def test_fingerprint_follows_the_version_the_server_reports(server: tuple[str, Fake]) -> None:
    url, fake = server
    fake.info = {"model_id": "tiny-coder", "model_sha": "abc", "version": "2.0.1", "max_concurrent_requests": 9}
    a = load_model(url).fingerprint()
    fake.info = {**fake.info, "max_concurrent_requests": 10}  # tuning, not the model
    assert load_model(url).fingerprint() == a
    fake.info = {**fake.info, "version": "2.0.2"}
    assert load_model(url).fingerprint() != a
    fake.info = {**fake.info, "model_sha": "abd"}
    assert load_model(url).fingerprint() != a


# -- a dead, hung or broken server --------------------------------------------------------------------
def test_dead_server_is_connection_refused_after_retries(sleeps: list[float]) -> None:
    url = closed_port_url()
    with pytest.raises(ModelError, match=r"GET .*/v1/models: connection refused \(4 tries\): no server is listening"):
        load_model(url)
    assert sleeps == [0.5, 1.0, 2.0]


def test_hung_server_is_sent_the_request_once_more_then_reported(server: tuple[str, Fake]) -> None:
    url, fake = server
    model = _model(url, timeout_s=0.3)
    fake.mode = "hung"
    start = time.monotonic()
    with pytest.raises(ModelError, match=r"POST .*: no answer within 0.3 s, twice: the server is hung or too busy; "
                                         r".*--recode-http-timeout \(now 0.3 s\)"):
        model.complete(["x"], NO_STOP)
    assert fake.posts == 2
    assert time.monotonic() - start < 3


def test_reply_dropped_midway_is_retried_then_a_clear_error(server: tuple[str, Fake], sleeps: list[float]) -> None:
    url, fake = server
    model = _model(url)
    fake.mode = "drop"
    with pytest.raises(ModelError, match=r"the connection broke \(IncompleteRead.*\) 4 times; the server may be crashing"):
        model.complete(["x"], NO_STOP)
    assert fake.posts == 4 and sleeps == [0.5, 1.0, 2.0]


def test_reply_that_is_not_json_shows_its_first_bytes(server: tuple[str, Fake]) -> None:
    url, fake = server
    model = _model(url)
    fake.mode = "not-json"
    with pytest.raises(ModelError, match=r"something other than JSON.*First bytes: '<html><body>502 Bad Gateway"):
        model.complete(["x"], NO_STOP)
    assert fake.posts == 1


@pytest.mark.parametrize(("mode", "message"), [
    ("wrong-indices", r"indices must be exactly 0\.\.1, got \[0, 0\]; the server pairs completions with prompts wrongly"),
    ("missing-index", r"indices must be exactly 0\.\.1, got \[None, None\]"),
    ("list-json", r"the reply is a JSON list, not an object with 'choices'"),
])
def test_malformed_replies_are_refused_and_nothing_is_cached(server: tuple[str, Fake], tmp_path: Path,
                                                             mode: str, message: str) -> None:
    url, fake = server
    engine = CompletionEngine(_model(url), cache=CompletionCache(tmp_path))
    fake.mode = mode
    with pytest.raises(ModelError, match=message):
        engine.complete(["a", "b"], NO_STOP)
    assert len(CompletionCache(tmp_path)) == 0


def test_one_choice_without_an_index_is_unambiguous(server: tuple[str, Fake]) -> None:
    url, fake = server
    model = _model(url)
    fake.mode = "missing-index"
    assert model.complete(["x"], NO_STOP) == [[answer_for("x", 0)]]


def test_wrong_count_of_choices() -> None:
    with pytest.raises(ModelError, match=r"here: expected 2 choices, got 1"):
        completion_texts({"choices": [{"index": 0, "text": "x"}]}, 2, "here")
    with pytest.raises(ModelError, match=r"choice 0 has no string 'text'"):
        completion_texts({"choices": [{"index": 0, "text": None}]}, 1, "here")


# -- a busy or locked server --------------------------------------------------------------------------
def test_busy_server_is_retried(server: tuple[str, Fake], sleeps: list[float]) -> None:
    url, fake = server
    fake.failures = [503, 429]
    assert load_model(url).complete(["x"], NO_STOP)[0] == [answer_for("x", 0)]
    assert fake.posts == 3 and sleeps == [0.5, 1.0]


def test_retry_after_is_honoured(server: tuple[str, Fake], sleeps: list[float]) -> None:
    url, fake = server
    model = _model(url)
    fake.mode, fake.retry_after, fake.busy_times = "busy", "7", 2
    assert model.complete(["x"], NO_STOP) == [[answer_for("x", 0)]]
    assert sleeps == [7.0, 7.0] and fake.posts == 3


def test_retry_after_too_long_is_reported(server: tuple[str, Fake], sleeps: list[float]) -> None:
    url, fake = server
    model = _model(url)
    fake.mode, fake.retry_after = "busy", "3600"
    with pytest.raises(ModelError, match=r"HTTP 429: the server asks to wait 3600 s \(Retry-After\); try again later"):
        model.complete(["x"], NO_STOP)
    assert sleeps == [] and fake.posts == 1


def test_retry_after_as_a_date() -> None:
    assert retry_after_s({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, now=1445412470.0) == 10.0
    assert retry_after_s({"Retry-After": "12"}) == 12.0
    assert retry_after_s({}) is None and retry_after_s({"Retry-After": "soon"}) is None


def test_unauthorized_says_to_set_the_token(server: tuple[str, Fake], monkeypatch: pytest.MonkeyPatch) -> None:
    url, fake = server
    monkeypatch.delenv("RECODE_API_KEY", raising=False)
    fake.mode = "unauthorized"
    with pytest.raises(ModelError, match=r"HTTP 401: .*Invalid API key.*; the server wants a token: set \$RECODE_API_KEY"):
        load_model(url)
    monkeypatch.setenv("RECODE_API_KEY", "wrong")
    with pytest.raises(ModelError, match=r"the token in \$RECODE_API_KEY was refused"):
        load_model(url)


def test_client_error_is_not_retried(server: tuple[str, Fake]) -> None:
    url, fake = server
    model = _model(url)
    fake.failures = [400]
    with pytest.raises(ModelError, match="HTTP 400: .*try later"):
        model.complete(["x"], GenerationConfig())
    assert fake.posts == 1


# -- servers that take less than we send --------------------------------------------------------------
def test_server_refusing_lists_gets_one_prompt_per_request(server: tuple[str, Fake]) -> None:
    url, fake = server
    model = _model(url, batch_size=8)
    fake.mode = "prompt-string"
    prompts = [f"p{i}" for i in range(5)]
    assert model.complete(prompts, NO_STOP) == [[answer_for(p, 0)] for p in prompts]
    assert model.prompts_per_request == 1
    assert isinstance(fake.requests[0]["prompt"], list)  # refused once...
    assert sorted(r["prompt"] for r in fake.requests[1:]) == sorted(prompts)
    before = fake.posts
    assert model.complete(["q1", "q2"], NO_STOP) == [[answer_for("q1", 0)], [answer_for("q2", 0)]]
    assert [r["prompt"] for r in fake.requests[before:]] in (["q1", "q2"], ["q2", "q1"])  # ...and remembered


def test_server_capping_stop_sequences_gets_as_many_as_it_takes(server: tuple[str, Fake]) -> None:
    url, fake = server
    model = _model(url)
    fake.mode = "stop-limit"
    config = GenerationConfig(stop=("s1", "s2", "s3", "s4", "s5", "\nprint("))
    assert model.complete(["a", "bb"], config) == [["    return 1 + 0"], ["    return 2 + 0"]]  # cut here
    assert [len(r["stop"]) for r in fake.requests] == [6, 4]
    assert model.stop_limit == 4
    model.complete(["ccc"], config)
    assert len(fake.requests[-1]["stop"]) == 4


def test_limits_a_server_reports_are_used_from_the_start(server: tuple[str, Fake]) -> None:
    url, fake = server
    fake.info = {"model_id": "tiny-coder", "max_stop_sequences": 2, "max_client_batch_size": 2}
    fake.mode, fake.stop_limit = "stop-limit", 2
    model = _model(url, batch_size=32)
    model.complete(["a", "b", "c"], GenerationConfig())
    assert [len(r["stop"]) for r in fake.requests] == [2, 2]
    assert sorted(len(r["prompt"]) for r in fake.requests) == [1, 2]


def test_server_ignoring_n_is_asked_n_times_with_seeds(server: tuple[str, Fake]) -> None:
    url, fake = server
    model = _model(url)
    fake.mode = "ignore-n"
    out = model.complete(["ab", "abcd"], GenerationConfig(n=2, temperature=0.8, stop=(), seed=5))
    assert out == [[answer_for("ab", 5), answer_for("ab", 6)], [answer_for("abcd", 5), answer_for("abcd", 6)]]
    assert [(r["n"], r["seed"]) for r in fake.requests] == [(2, 5), (1, 5), (1, 6)]


# -- progress while waiting ---------------------------------------------------------------------------
def test_a_slow_server_gets_a_line_of_progress(server: tuple[str, Fake], caplog: pytest.LogCaptureFixture) -> None:
    url, fake = server
    model = _model(url, progress_every_s=0.1)
    fake.mode, fake.delay_s = "slow", 0.5
    with caplog.at_level(logging.WARNING, logger="pytest_recode.models"):
        assert model.complete(["x"], NO_STOP) == [[answer_for("x", 0)]]
    lines = [r.getMessage() for r in caplog.records]
    assert lines and all(line.startswith(f"recode: waiting for {url}#tiny-coder: 0 of 1 requests answered after ")
                         for line in lines)
    assert "--recode-http-timeout" in lines[0]
