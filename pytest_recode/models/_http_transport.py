"""One JSON request to a model server, with the retries a real server needs and errors that tell its
failures apart: a dead server (connection refused), a hung one (no answer within the timeout), a broken one
(a reply cut off or not JSON), a busy one (429/503, honouring ``Retry-After``), a refused token (401/403).

Only the standard library is used.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from .._errors import ModelError

__all__ = ["API_KEY_ENV", "ServerRefused", "Transport"]

#: Environment variable holding the bearer token sent to the server, if it needs one.
API_KEY_ENV = "RECODE_API_KEY"
#: Answers worth asking again: the server is busy or restarting.
_BUSY_STATUS = frozenset({408, 429, 500, 502, 503, 504})
#: A server asking to be left alone for longer than this is reported instead of waited for.
MAX_RETRY_AFTER_S = 120.0

logger = logging.getLogger("pytest_recode.models")


class ServerRefused(ModelError):
    """The server refused a request (a 4xx other than 401/403/408/429): it answered, but not to this request.

    The model may adapt (fewer stop sequences, one prompt per request) and ask again."""

    def __init__(self, message: str, status: int, detail: str) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


def preview(data: bytes | str, limit: int = 200) -> str:
    """The first bytes of a reply, for an error message."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = " ".join(text.split())
    return repr(text[:limit] + ("..." if len(text) > limit else ""))


def retry_after_s(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (a number or an HTTP date), or ``None``."""
    value = (headers or {}).get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _is_timeout(exc: BaseException) -> bool:
    reason = getattr(exc, "reason", None)
    return isinstance(exc, (TimeoutError, socket.timeout)) or isinstance(reason, (TimeoutError, socket.timeout))


def _is_refused(exc: BaseException) -> bool:
    return isinstance(exc, ConnectionRefusedError) or isinstance(getattr(exc, "reason", None), ConnectionRefusedError)


def _describe(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    inner = reason if isinstance(reason, BaseException) else exc
    text = str(inner).strip()
    return f"{type(inner).__name__}: {text}" if text else type(inner).__name__


class Transport:
    """Sends JSON requests to one server on behalf of the model named ``name`` (for messages).

    Transport failures (connection refused, reset, a reply cut off) and busy answers (429, 5xx) are asked
    again ``retries`` times, waiting 0.5 s, 1 s, 2 s... or what ``Retry-After`` says; a request that got no
    answer within ``timeout_s`` is sent once more, then reported as a hung server.
    """

    def __init__(self, name: str, api_key: str | None, timeout_s: float, retries: int = 3,
                 sleep: Callable[[float], None] | None = None) -> None:
        self.name = name
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.retries = max(0, retries)
        self.sleep = sleep  # None: time.sleep, looked up when waiting (tests replace it)

    def request(self, method: str, url: str, body: Any = None, *, timeout_s: float | None = None,
                retries: int | None = None) -> Any:
        """The decoded JSON answer of ``method url`` (``body`` sent as JSON), or :class:`ModelError`."""
        timeout = self.timeout_s if timeout_s is None else timeout_s
        retries = self.retries if retries is None else retries
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        where = f"model={self.name!r}: {method} {url}"
        failures = timeouts = 0
        delay = 0.5
        while True:
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    raw = response.read()
            except urllib.error.HTTPError as exc:
                wait = self._http_error(exc, where, failures, retries)
                failures += 1
                self._pause(wait if wait is not None else delay, where, f"HTTP {exc.code}")
                delay *= 2
                continue
            except Exception as exc:  # every transport failure: socket, http.client, urllib
                if not isinstance(exc, (OSError, http.client.HTTPException, urllib.error.URLError)):
                    raise
                if _is_timeout(exc):
                    timeouts += 1
                    if timeouts > 1:
                        raise ModelError(
                            f"{where}: no answer within {timeout:g} s, twice: the server is hung or too busy; "
                            f"check it, or raise --recode-http-timeout (now {timeout:g} s) or lower "
                            "--recode-batch-size."
                        ) from None
                    logger.warning("recode: %s: no answer within %g s; sending it once more", where, timeout)
                    continue
                failures += 1
                if failures > retries:
                    raise ModelError(self._transport_message(exc, where, failures)) from None
                self._sleep(delay)
                delay *= 2
                continue
            try:
                return json.loads(raw.decode("utf-8"))
            except ValueError:
                raise ModelError(
                    f"{where}: the server answered with something other than JSON; it is broken or not an "
                    f"OpenAI-compatible server. First bytes: {preview(raw)}"
                ) from None

    def _http_error(self, exc: urllib.error.HTTPError, where: str, failures: int, retries: int) -> float | None:
        """Raise for an answer not worth asking again; else the seconds the server asked to wait (or None)."""
        try:
            detail = preview(exc.read(), 300)
        except Exception:  # a reply cut off while reading the error body
            detail = "''"
        status = exc.code
        if status in (401, 403):
            hint = (f"the token in ${API_KEY_ENV} was refused; check it" if self.api_key else
                    f"the server wants a token: set ${API_KEY_ENV}")
            raise ModelError(f"{where}: HTTP {status}: {detail}; {hint}.")
        if status not in _BUSY_STATUS:
            raise ServerRefused(f"{where}: HTTP {status}: {detail}", status, detail)
        if failures >= retries:
            raise ModelError(f"{where}: HTTP {status} (the server is busy or failing) {failures + 1} times: {detail}")
        wait = retry_after_s(exc.headers)
        if wait is not None and wait > MAX_RETRY_AFTER_S:
            raise ModelError(f"{where}: HTTP {status}: the server asks to wait {wait:.0f} s (Retry-After); "
                             f"try again later. {detail}")
        return wait

    def _pause(self, seconds: float, where: str, why: str) -> None:
        if seconds >= 5:
            logger.warning("recode: %s: %s; waiting %.0f s as the server asks", where, why, seconds)
        self._sleep(seconds)

    def _sleep(self, seconds: float) -> None:
        (self.sleep or time.sleep)(seconds)

    def _transport_message(self, exc: BaseException, where: str, attempts: int) -> str:
        if _is_refused(exc):
            return (f"{where}: connection refused ({attempts} tries): no server is listening there; is it "
                    "running, and is the URL right?")
        if isinstance(getattr(exc, "reason", None), socket.gaierror):
            return f"{where}: cannot resolve the host ({_describe(exc)}); is the URL right?"
        return (f"{where}: the connection broke ({_describe(exc)}) {attempts} times; the server may be crashing "
                "or overloaded: see its log.")
