"""A model served over HTTP with an OpenAI-compatible ``/v1/completions`` endpoint: vLLM, TGI,
``transformers serve``, llama.cpp and the like.

The spec is the server's base URL, optionally with ``/v1`` and with the served model's name after ``#``:
``http://localhost:8000``, ``http://gpu-box:8000/v1#codellama/CodeLlama-7b-hf``. Without a name, the
server's ``/v1/models`` must list exactly one model. A bearer token is read from ``$RECODE_API_KEY``.

Servers differ in what they accept, so the first request of a session finds out and the answer is kept:
a server that refuses a list of prompts (``transformers serve``) gets one prompt per request, on several
connections at once; a server that caps the number of stop sequences (TGI: 4 by default) gets no more than
it takes, and the rest are cut here. Only the standard library is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import Any

from .._errors import ModelError
from ._http_reply import completion_texts, served_models
from ._http_transport import API_KEY_ENV, ServerRefused, Transport, logger
from ._protocol import GenerationConfig
from ._stops import cut_at_stop

__all__ = ["API_KEY_ENV", "OpenAICompletionsModel"]

#: Fields of TGI's ``/info`` and vLLM's ``/version`` that name what is served (the rest is tuning).
_VERSION_FIELDS = ("model_id", "model_sha", "model_dtype", "version", "sha")
_STOP_LIMIT = re.compile(r"(?:up to|at most|maximum(?: of)?|max(?:imum)?[ _]stop[ _]sequences\D{0,40}?)\s*`?(\d+)", re.I)


class _OneSampleEach(Exception):
    """The server answered a request for ``n > 1`` samples with one sample per prompt."""


class OpenAICompletionsModel:
    """Completes prompts by POSTing them to ``{base}/v1/completions``, ``batch_size`` prompts a request
    (or one, for a server that refuses lists) on up to ``concurrency`` connections at once.

    ``timeout_s`` bounds the wait for one answer; a request with no answer by then is sent once more, then
    reported. While requests are outstanding, a line of progress is logged every ``progress_every_s``.
    """

    def __init__(
        self,
        url: str,
        *,
        model: str | None = None,
        api_key: str | None = None,
        timeout_s: float = 300.0,
        batch_size: int = 32,
        concurrency: int = 8,
        retries: int = 3,
        progress_every_s: float = 15.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        base, _, fragment = url.partition("#")
        base = base.rstrip("/")
        self.base = base[: -len("/v1")] if base.endswith("/v1") else base
        self.model = model or fragment or None
        api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV) or None
        self.timeout_s = timeout_s
        self.batch_size = max(1, batch_size)
        self.concurrency = max(1, concurrency)
        self.progress_every_s = progress_every_s
        self.transport = Transport(self.name, api_key, timeout_s, retries, sleep)
        #: What the first request taught about the server (kept for the session).
        self.prompts_per_request: int | None = None  # None: not known yet
        self.stop_limit: int | None = None  # None: no limit seen
        self.samples_per_request: int | None = None  # 1: the server ignores `n`
        self._model_info: dict[str, Any] = {}
        self._server_version: dict[str, Any] = {}
        self._learned = threading.Lock()

    def __repr__(self) -> str:
        return f"OpenAICompletionsModel({self.base!r}, model={self.model!r})"

    @property
    def name(self) -> str:
        return f"{self.base}#{self.model}" if self.model else self.base

    # -- what the server serves ---------------------------------------------------------------------
    def connect(self) -> OpenAICompletionsModel:
        """Ask the server which models it serves and pick ours; raises :class:`ModelError` when it cannot."""
        url = self.base + "/v1/models"
        try:
            listing = self.transport.request("GET", url, timeout_s=min(self.timeout_s, 30.0))
        except ServerRefused as exc:
            if exc.status == 404 and self.model:
                self._read_server_version()
                return self  # a server without /v1/models: trust the name we were given
            raise
        entries = served_models(listing, f"model={self.name!r}: GET {url}")
        ids = [e["id"] for e in entries]
        if self.model is None:
            if len(ids) != 1:
                raise ModelError(
                    f"model={self.base!r}: the server serves {ids or 'no models'}; name one after '#', "
                    f"e.g. {self.base}/v1#{ids[0] if ids else 'MODEL'}."
                )
            self.model = ids[0]
            self.transport.name = self.name
        elif ids and self.model not in ids:
            raise ModelError(f"model={self.name!r}: the server serves {ids}, not {self.model!r}.")
        info = next((e for e in entries if e["id"] == self.model), {})
        # `created` is the time of the request on some servers, so it stays out of the fingerprint.
        self._model_info = {k: v for k, v in info.items() if k not in ("created", "permission")}
        self._read_server_version()
        return self

    def _read_server_version(self) -> None:
        """What version the server reports (vLLM: ``/version``; TGI: ``/info``, with its limits), if any."""
        for path in ("/version", "/info"):
            try:
                answer = self.transport.request("GET", self.base + path, timeout_s=min(self.timeout_s, 10.0),
                                                retries=0)
            except ModelError:
                continue  # most servers have neither: the fingerprint goes without
            if not isinstance(answer, dict):
                continue
            self._server_version.update({k: answer[k] for k in _VERSION_FIELDS if k in answer})
            stops, batch = answer.get("max_stop_sequences"), answer.get("max_client_batch_size")
            if isinstance(stops, int) and stops >= 0:
                self.stop_limit = stops
            if isinstance(batch, int) and batch >= 1:
                self.batch_size = min(self.batch_size, batch)

    def fingerprint(self) -> str:
        """The base URL, the served model's id and listing, and the server's reported version, hashed."""
        if self.model is None:
            self.connect()
        blob = json.dumps([self.base, self.model, self._model_info, self._server_version], sort_keys=True,
                          default=str)
        return "http:" + hashlib.sha256(blob.encode()).hexdigest()[:24]

    # -- completions --------------------------------------------------------------------------------
    def complete(self, prompts: Sequence[str], config: GenerationConfig) -> list[list[str]]:
        prompts = list(prompts)
        if not prompts:
            return []
        if self.model is None:
            self.connect()
        done: list[list[str]] = []
        if self.prompts_per_request is None:
            # The session's first request goes alone: it finds out what the server accepts. It answers the
            # first batch, or only its first prompt when the server takes one prompt per request.
            first = prompts[: self.batch_size]
            done = self._gather([lambda: self._learn(first, config)], len(first))[0]
            prompts = prompts[len(done) :]
        size = self.prompts_per_request or self.batch_size
        chunks = [prompts[i : i + size] for i in range(0, len(prompts), size)]
        answers = self._gather([lambda c=chunk: self._request(c, config) for chunk in chunks], len(prompts))
        return done + [row for answer in answers for row in answer]

    def _learn(self, prompts: list[str], config: GenerationConfig) -> list[list[str]]:
        """Complete the session's first prompts (all of them, or the first alone for a server that refuses a
        list), adapting to what the server refuses, and remember what it accepts."""
        with self._learned:
            while True:
                try:
                    answer = self._request(prompts, config)
                    if len(prompts) > 1:
                        self.prompts_per_request = self.batch_size
                    return answer
                except ServerRefused as exc:
                    if self._narrow_stops(exc, config):
                        continue
                    if len(prompts) == 1:
                        raise
                    try:
                        first = self._request(prompts[:1], config)
                    except ServerRefused:
                        raise exc from None
                    self.prompts_per_request = 1
                    logger.info("recode: %s refuses a list of prompts; sending one prompt per request", self.name)
                    return first

    def _narrow_stops(self, refusal: ServerRefused, config: GenerationConfig) -> bool:
        """Whether a refusal is about too many stop sequences; if so, send at most as many as it takes."""
        sent = len(self._stops(config))
        if sent <= 1 or "stop" not in refusal.detail.lower():
            return False
        match = _STOP_LIMIT.search(refusal.detail)
        limit = int(match.group(1)) if match else min(4, sent - 1)
        if limit >= sent:
            return False
        self.stop_limit = limit
        logger.info("recode: %s takes at most %d stop sequences; the rest are cut here", self.name, limit)
        return True

    def _stops(self, config: GenerationConfig) -> list[str]:
        stops = list(config.stop)
        return stops if self.stop_limit is None else stops[: self.stop_limit]

    def _request(self, prompts: list[str], config: GenerationConfig) -> list[list[str]]:
        """One request for ``prompts`` (``config.n`` samples each), or ``n`` of them, seeds ``seed..seed+n-1``,
        for a server that answers ``n`` with one sample (transformers serve)."""
        if config.n > 1 and self.samples_per_request == 1:
            rounds = [self._post(prompts, config, 1, config.seed + j) for j in range(config.n)]
            return [[r[i][0] for r in rounds] for i in range(len(prompts))]
        try:
            return self._post(prompts, config, config.n, config.seed)
        except _OneSampleEach:
            self.samples_per_request = 1
            return self._request(prompts, config)

    def _post(self, prompts: list[str], config: GenerationConfig, n: int, seed: int) -> list[list[str]]:
        body: dict[str, Any] = {
            "model": self.model,
            # A lone prompt goes as a string: some servers (transformers serve) take nothing else.
            "prompt": prompts[0] if len(prompts) == 1 else prompts,
            "max_tokens": config.max_new_tokens,
            "temperature": config.temperature,
            "n": n,
            "seed": seed,
        }
        if not config.greedy:
            body["top_p"] = config.top_p
        stops = self._stops(config)
        if stops:
            body["stop"] = stops
        if config.min_new_tokens:
            body["min_tokens"] = config.min_new_tokens  # a vLLM extension; others ignore or refuse it
        url = self.base + "/v1/completions"
        answer = self.transport.request("POST", url, body)
        choices = answer.get("choices") if isinstance(answer, dict) else None
        if n > 1 and isinstance(choices, list) and len(choices) == len(prompts):
            raise _OneSampleEach
        texts = completion_texts(answer, len(prompts) * n, f"model={self.name!r}: POST {url}")
        # Servers apply `stop` themselves; cutting again covers those that cap its length or ignore it.
        return [
            [cut_at_stop(texts[i * n + j], config.stop, prompt) for j in range(n)]
            for i, prompt in enumerate(prompts)
        ]

    def _gather(self, tasks: list[Callable[[], list[list[str]]]], prompts: int) -> list[list[list[str]]]:
        """Run ``tasks`` on up to ``concurrency`` connections; their results in order. The first failure is
        raised at once; while they run, a line of progress is logged every ``progress_every_s``."""
        if not tasks:
            return []
        pool = ThreadPoolExecutor(max_workers=min(self.concurrency, len(tasks)), thread_name_prefix="recode-http")
        try:
            futures: list[Future[list[list[str]]]] = [pool.submit(task) for task in tasks]
            start = time.monotonic()
            pending: set[Future[list[list[str]]]] = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=self.progress_every_s, return_when=FIRST_EXCEPTION)
                for future in finished:
                    if future.exception() is not None:
                        raise future.exception()  # type: ignore[misc]
                if pending:
                    logger.warning(
                        "recode: waiting for %s: %d of %d requests answered after %.0f s (%d prompts; each request "
                        "may take up to %g s: --recode-http-timeout)", self.name, len(futures) - len(pending),
                        len(futures), time.monotonic() - start, prompts, self.timeout_s,
                    )
            return [future.result() for future in futures]
        finally:
            # On a failure, the requests still out finish on their own; the caller hears of it now.
            pool.shutdown(wait=False, cancel_futures=True)
