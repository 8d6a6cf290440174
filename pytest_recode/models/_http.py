"""A model served over HTTP with an OpenAI-compatible ``/v1/completions`` endpoint (vLLM, TGI, llama.cpp...).

The spec is the server's base URL, optionally with ``/v1`` and with the served model's name after ``#``:
``http://localhost:8000``, ``http://gpu-box:8000/v1#codellama/CodeLlama-7b-hf``. Without a name, the
server's ``/v1/models`` must list exactly one model. A bearer token is read from ``$RECODE_API_KEY``.
Only the standard library is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .._errors import ModelError
from ._protocol import GenerationConfig
from ._stops import cut_at_stop

__all__ = ["API_KEY_ENV", "OpenAICompletionsModel"]

#: Environment variable holding the bearer token sent to the server, if it needs one.
API_KEY_ENV = "RECODE_API_KEY"
_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class OpenAICompletionsModel:
    """Completes prompts by POSTing batches of them to ``{base}/v1/completions``.

    Batches of ``batch_size`` prompts go out on up to ``concurrency`` connections at once (the server
    batches them on its GPU). Connection failures and 429/5xx answers are retried ``retries`` times.
    """

    def __init__(
        self,
        url: str,
        *,
        model: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 600.0,
        batch_size: int = 32,
        concurrency: int = 4,
        retries: int = 3,
    ) -> None:
        base, _, fragment = url.partition("#")
        base = base.rstrip("/")
        self.base = base[: -len("/v1")] if base.endswith("/v1") else base
        self.model = model or fragment or None
        self.api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
        self.timeout_s = timeout_s
        self.batch_size = max(1, batch_size)
        self.concurrency = max(1, concurrency)
        self.retries = retries
        self._model_info: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"OpenAICompletionsModel({self.base!r}, model={self.model!r})"

    @property
    def name(self) -> str:
        return f"{self.base}#{self.model}" if self.model else self.base

    def connect(self) -> OpenAICompletionsModel:
        """Ask the server which models it serves and pick ours; raises :class:`ModelError` when it cannot."""
        try:
            listing = self._request("GET", "/v1/models", None)
        except ModelError as exc:
            if "HTTP 404" in str(exc) and self.model:
                return self  # a server without /v1/models: trust the name we were given
            raise
        entries = [e for e in listing.get("data", []) if isinstance(e, dict) and "id" in e]
        ids = [str(e["id"]) for e in entries]
        if self.model is None:
            if len(ids) != 1:
                raise ModelError(
                    f"model={self.base!r}: the server serves {ids or 'no models'}; name one after '#', "
                    f"e.g. {self.base}/v1#{ids[0] if ids else 'MODEL'}."
                )
            self.model = ids[0]
        elif ids and self.model not in ids:
            raise ModelError(f"model={self.name!r}: the server serves {ids}, not {self.model!r}.")
        info = next((e for e in entries if e["id"] == self.model), {})
        # `created` is the time of the request on some servers, so it stays out of the fingerprint.
        self._model_info = {k: v for k, v in info.items() if k not in ("created", "permission")}
        return self

    def fingerprint(self) -> str:
        if self.model is None:
            self.connect()
        blob = json.dumps([self.base, self.model, self._model_info], sort_keys=True, default=str)
        return "http:" + hashlib.sha256(blob.encode()).hexdigest()[:24]

    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        if not prompts:
            return []
        if self.model is None:
            self.connect()
        chunks = [list(prompts[i : i + self.batch_size]) for i in range(0, len(prompts), self.batch_size)]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(chunks))) as pool:
            answers = list(pool.map(lambda chunk: self._complete_chunk(chunk, config), chunks))
        return [row for chunk in answers for row in chunk]

    def _complete_chunk(self, prompts: list[str], config: GenerationConfig) -> list[list[str]]:
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": prompts,
            "max_tokens": config.max_new_tokens,
            "temperature": config.temperature,
            "n": config.n,
            "seed": config.seed,
        }
        if not config.greedy:
            body["top_p"] = config.top_p
        if config.stop:
            body["stop"] = list(config.stop)
        if config.min_new_tokens:
            body["min_tokens"] = config.min_new_tokens  # a vLLM extension; others ignore unknown fields
        answer = self._request("POST", "/v1/completions", body)
        choices = answer.get("choices")
        if not isinstance(choices, list) or len(choices) != len(prompts) * config.n:
            raise ModelError(
                f"model={self.name!r}: expected {len(prompts) * config.n} choices for {len(prompts)} prompts "
                f"(n={config.n}), got {len(choices) if isinstance(choices, list) else choices!r:.200}."
            )
        ordered = sorted(choices, key=lambda c: int(c.get("index", 0)))
        texts = [str(c.get("text", "")) for c in ordered]
        # Servers apply `stop` themselves; cutting again costs nothing and covers those that cap its length.
        return [
            [cut_at_stop(texts[i * config.n + j], config.stop, prompt) for j in range(config.n)]
            for i, prompt in enumerate(prompts)
        ]

    def _request(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        url = self.base + path
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        delay = 0.5
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode("utf-8", "replace")[:300]
                if exc.code not in _RETRY_STATUS or attempt == self.retries:
                    raise ModelError(f"model={self.name!r}: {method} {url} failed: HTTP {exc.code}: {detail}") from None
            except (urllib.error.URLError, OSError) as exc:
                if attempt == self.retries:
                    raise ModelError(
                        f"model={self.name!r}: cannot reach {url}: {getattr(exc, 'reason', exc)}; is the server "
                        "running and is the URL right?"
                    ) from None
            except ValueError as exc:
                raise ModelError(f"model={self.name!r}: {url} answered with something other than JSON: {exc}") from None
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")
