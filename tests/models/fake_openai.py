"""A small OpenAI-compatible completion server on 127.0.0.1 that misbehaves on purpose, one fault per mode.

Everything it does is bounded in time: a hung request sleeps at most ``hang_s`` and wakes at shutdown.
Used by the models tests and, through pytester, by the plugin's model-failure tests.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: What the server can do wrong. "ok" answers like vLLM: a list of prompts, every field, choices unordered.
MODES = (
    "ok",             # a well-behaved server
    "hung",           # accepts the request and never answers (until hang_s or shutdown)
    "slow",           # answers after delay_s
    "drop",           # sends the headers and part of the body, then closes the connection
    "wrong-indices",  # every choice has index 0
    "missing-index",  # choices without an index
    "list-json",      # the reply is a JSON list
    "not-json",       # the reply is HTML
    "unauthorized",   # 401 for every request
    "busy",           # 429 with Retry-After for the first `busy_times` requests
    "prompt-string",  # 400 {"detail": "prompt must be a string."} for a list (transformers serve)
    "stop-limit",     # 422 for more than `stop_limit` stop sequences (TGI)
    "ignore-n",       # one choice per prompt whatever `n` asks (transformers serve)
)


def answer_for(prompt: str, j: int) -> str:
    """Deterministic: the prompt's length and the sample index, then code that a stop sequence must cut."""
    return f"    return {len(prompt)} + {j}\nprint('junk')\n"


@dataclass
class Fake:
    """What the fake server serves, how it misbehaves, and what it saw."""

    mode: str = "ok"
    models: list[str] = field(default_factory=lambda: ["tiny-coder"])
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # statuses to answer with before succeeding
    list_status: int = 200
    info: dict[str, Any] | None = None  # served at /info (TGI) when set
    hang_s: float = 5.0
    delay_s: float = 0.5
    retry_after: str = "0"
    busy_times: int = 1
    stop_limit: int = 4
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def posts(self) -> int:
        return len(self.requests)


def _handler(fake: Fake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/info" and fake.info is not None:
                self._send(200, fake.info)
            elif self.path != "/v1/models" or fake.list_status != 200:
                self._send(fake.list_status if self.path == "/v1/models" else 404, {"detail": "Not Found"})
            elif fake.mode == "unauthorized":
                self._send(401, {"error": {"message": "Invalid API key"}})
            else:
                self._send(200, {"object": "list",
                                 "data": [{"id": m, "object": "model", "created": 1} for m in fake.models]})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests.append(body)
            fake.headers.append(dict(self.headers))
            mode = fake.mode
            if fake.failures:
                self._send(fake.failures.pop(0), {"error": {"message": "try later"}})
                return
            if mode == "hung":
                fake.stopping.wait(fake.hang_s)
                self.close_connection = True
                return
            if mode == "slow":
                fake.stopping.wait(fake.delay_s)
            if mode == "unauthorized":
                self._send(401, {"error": {"message": "Invalid API key"}})
                return
            if mode == "busy" and fake.busy_times > 0:
                fake.busy_times -= 1
                self._send(429, {"error": {"message": "rate limited"}}, {"Retry-After": fake.retry_after})
                return
            prompts = body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]]
            if mode == "prompt-string" and not isinstance(body["prompt"], str):
                self._send(400, {"detail": "prompt must be a string."})
                return
            if mode == "stop-limit" and len(body.get("stop") or ()) > fake.stop_limit:
                self._send(422, {"error": f"`stop` supports up to {fake.stop_limit} stop sequences. "
                                          f"Given: {len(body['stop'])}", "error_type": "validation"})
                return
            if body.get("model") not in fake.models:
                self._send(400, {"error": {"message": f"model {body.get('model')!r} does not exist"}})
                return
            n = 1 if mode == "ignore-n" else body.get("n", 1)
            # Sampling answers depend on the seed, as a real server's would.
            shift = body.get("seed", 0) if body.get("temperature", 0) > 0 else 0
            choices = [{"index": i * n + j, "text": answer_for(p, j + shift), "finish_reason": "length"}
                       for i, p in enumerate(prompts) for j in range(n)]
            choices.reverse()  # servers need not answer in order: the client sorts by index
            if mode == "wrong-indices":
                choices = [dict(c, index=0) for c in choices]
            elif mode == "missing-index":
                choices = [{k: v for k, v in c.items() if k != "index"} for c in choices]
            reply: Any = {"object": "text_completion", "model": body["model"], "choices": choices}
            if mode == "list-json":
                reply = [reply]
            if mode == "not-json":
                self._send(200, b"<html><body>502 Bad Gateway</body></html>")
                return
            if mode == "drop":
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[:10])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self._send(200, reply)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a connection the fault closed on purpose: nothing to report


@contextmanager
def serving(fake: Fake | None = None) -> Iterator[tuple[str, Fake]]:
    """Serve ``fake`` on 127.0.0.1 (an ephemeral port) while the block runs; yields the base URL."""
    fake = fake or Fake()
    httpd = _Server(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", fake
    finally:
        fake.stopping.set()
        httpd.shutdown()
        httpd.server_close()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


if __name__ == "__main__":  # serve a mode from the command line, for pytester runs in a subprocess
    import sys
    import time

    with serving(Fake(mode=sys.argv[1] if len(sys.argv) > 1 else "ok")) as (url, served):
        print(url, flush=True)
        time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 60.0)
