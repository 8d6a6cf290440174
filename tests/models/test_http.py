"""The OpenAI-compatible backend, against a small server started on 127.0.0.1 by the test."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pytest_recode import ModelError
from pytest_recode.models import CompletionEngine, GenerationConfig, OpenAICompletionsModel, load_model


@dataclass
class Fake:
    """What the fake server serves and what it saw."""

    models: list[str] = field(default_factory=lambda: ["tiny-coder"])
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # statuses to answer with before succeeding
    list_status: int = 200


def _answer(prompt: str, j: int) -> str:
    # Deterministic: the prompt's length and the sample index, then code that a stop sequence must cut.
    return f"    return {len(prompt)} + {j}\nprint('junk')\n"


def _handler(fake: Fake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path != "/v1/models" or fake.list_status != 200:
                self._send(fake.list_status if self.path == "/v1/models" else 404, {"error": "not found"})
                return
            self._send(200, {"object": "list", "data": [{"id": m, "object": "model", "created": 1} for m in fake.models]})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests.append(body)
            fake.headers.append(dict(self.headers))
            if fake.failures:
                self._send(fake.failures.pop(0), {"error": {"message": "try later"}})
                return
            if self.path != "/v1/completions":
                self._send(404, {"error": "no such endpoint"})
                return
            if body.get("model") not in fake.models:
                self._send(400, {"error": {"message": f"model {body.get('model')!r} does not exist"}})
                return
            n = body.get("n", 1)
            choices = [
                {"index": i * n + j, "text": _answer(p, j), "finish_reason": "length"}
                for i, p in enumerate(body["prompt"])
                for j in range(n)
            ]
            choices.reverse()  # servers need not answer in order: the client sorts by index
            self._send(200, {"object": "text_completion", "model": body["model"], "choices": choices})

    return Handler


@pytest.fixture
def server() -> Iterator[tuple[str, Fake]]:
    fake = Fake()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", fake
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_load_model_by_url_and_complete(server: tuple[str, Fake]) -> None:
    url, fake = server
    model = load_model(url)
    out = model.complete(["def f():\n", "def longer():\n"], GenerationConfig(max_new_tokens=16))
    assert out == [["    return 9 + 0"], ["    return 14 + 0"]]  # cut at DEFAULT_STOP's "\nprint("
    body = fake.requests[0]
    assert body["model"] == "tiny-coder" and body["max_tokens"] == 16 and body["temperature"] == 0.0
    assert body["prompt"] == ["def f():\n", "def longer():\n"] and "\nprint(" in body["stop"]
    assert "top_p" not in body  # greedy


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
    assert out == [[_answer("ab", 0), _answer("ab", 1)], [_answer("abcd", 0), _answer("abcd", 1)]]
    assert fake.requests[0]["n"] == 2 and fake.requests[0]["top_p"] == 0.95


def test_batches_and_engine_dedupe(server: tuple[str, Fake]) -> None:
    url, fake = server
    model = OpenAICompletionsModel(url, batch_size=2).connect()
    engine = CompletionEngine(model)
    prompts = [f"p{i}" for i in range(5)] + ["p0", "p1"]
    out = engine.complete(prompts, GenerationConfig(stop=()))
    assert [o[0] for o in out] == [_answer(p, 0) for p in prompts]
    assert sorted(len(r["prompt"]) for r in fake.requests) == [1, 2, 2]
    assert engine.stats.generated == 5 and engine.stats.deduplicated == 2


def test_retries_busy_server(server: tuple[str, Fake], monkeypatch: pytest.MonkeyPatch) -> None:
    url, fake = server
    monkeypatch.setattr("pytest_recode.models._http.time.sleep", lambda s: None)
    fake.failures = [503, 429]
    assert load_model(url).complete(["x"], GenerationConfig(stop=()))[0] == [_answer("x", 0)]
    assert len(fake.requests) == 3


def test_client_error_is_not_retried(server: tuple[str, Fake]) -> None:
    url, fake = server
    fake.failures = [400]
    with pytest.raises(ModelError, match="HTTP 400: .*try later"):
        load_model(url).complete(["x"], GenerationConfig())
    assert len(fake.requests) == 1


def test_bearer_token_from_environment(server: tuple[str, Fake], monkeypatch: pytest.MonkeyPatch) -> None:
    url, fake = server
    monkeypatch.setenv("RECODE_API_KEY", "s3cret")
    load_model(url).complete(["x"], GenerationConfig())
    assert fake.headers[0]["Authorization"] == "Bearer s3cret"


def test_fingerprint_ignores_created_and_names_the_model(server: tuple[str, Fake]) -> None:
    url, fake = server
    a = load_model(url).fingerprint()
    assert a == load_model(url).fingerprint() and a.startswith("http:")
    fake.models = ["other"]
    assert load_model(url).fingerprint() != a


def test_unreachable_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pytest_recode.models._http.time.sleep", lambda s: None)
    with pytest.raises(ModelError, match="cannot reach http://127.0.0.1:9/v1/models"):
        load_model("http://127.0.0.1:9")


def test_server_without_model_listing_trusts_the_given_name(server: tuple[str, Fake]) -> None:
    url, fake = server
    fake.list_status = 404
    assert load_model(url + "#tiny-coder").complete(["x"], GenerationConfig(stop=()))[0] == [_answer("x", 0)]
