"""The host's side of a worker: job messages to its forker, and each job's response from what comes back.

The same for every backend (a local process, a container): a transport moves bytes (:class:`ForkerLink`'s
three primitives), this module makes the messages (see ``_forker.py`` for their shape) and reads the
forker's frames: its own (``ready``, one status per job) and the bytes of each job's judge, out of which it
takes the judge's frames (outcomes, the verdict). Nothing here trusts what it reads to be well formed:
every size is bounded before anything is buffered, every frame parsed with a bounded parser, every field
of a response checked for its exact type; what is not as it must be means a lost worker (replaced, the job
retried), never an exception of another kind.
"""

from __future__ import annotations

import collections
import os
import time
from typing import Any

from ._capture import ended_verdict
from ._forker import HEADER, TEST_SLOTS
from ._frames import dumps, loads

__all__ = ["ForkerLink", "WorkerLost"]

_KINDS = {"run": 0, "tests": 1, "call": 2}
_FORKER_FRAME_LIMIT = 1 << 20  # the forker's frames: its own small JSON, or at most 64 KiB of the judge's
_STATUSES = ("passed", "failed", "timeout", "crashed", "sandbox_error")


class WorkerLost(Exception):
    """The worker died, hung, or spoke nonsense; the pool replaces it."""


class ForkerLink:
    """Jobs to a forker and their responses back, over a byte transport a subclass provides."""

    def __init__(self) -> None:
        self._stream = bytearray()  # the forker's frames, not yet taken
        self._judge = bytearray()  # the current job's judge bytes, not yet taken
        self._pending = b""  # bytes of messages not yet written
        self._sent: collections.deque[tuple[dict[str, Any], str, float]] = collections.deque()
        self._slots: dict[str, int] = {}
        self._nonces = b""
        self._ready = False

    # -- what a transport provides -------------------------------------------------------------------------
    def _write(self, data: memoryview) -> int:
        """Write what can be written now without waiting; how much."""
        raise NotImplementedError

    def _read(self) -> bytes:
        """What has come (after :meth:`_wait` said so); WorkerLost at the end of the stream."""
        raise NotImplementedError

    def _wait(self, timeout: float, writing: bool) -> bool:
        """Until something can be read (True), or, ``writing``, written, or ``timeout`` seconds passed."""
        raise NotImplementedError

    # -- the Transport protocol of the pool ----------------------------------------------------------------
    def send(self, job: dict[str, Any]) -> None:
        if not self._nonces:
            self._nonces = os.urandom(16 * 64)
        nonce, self._nonces = self._nonces[:16].hex(), self._nonces[16:]
        self._sent.append((job, nonce, time.monotonic()))
        self._queue(self._message(job, nonce))

    def receive(self, deadline: float) -> dict[str, Any]:
        """The worker's ready frame (first), then the response to the oldest job sent and not answered."""
        if not self._ready:
            frame = self._forker_json(deadline)
            self._ready = bool(frame.get("ready"))
            return frame
        job, nonce, sent = self._sent.popleft()
        self._judge.clear()
        outcomes: list[dict[str, Any]] = []
        verdict: dict[str, Any] | None = None
        while True:
            kind, payload = self._forker_frame(deadline, 8 * job["value_limit"] + (8 << 20))
            if kind == b"J":
                return self._response(job, verdict, outcomes, _json(payload), sent)
            self._judge += payload
            for frame in self._judge_frames(job):
                if frame.get("nonce") != nonce:
                    continue  # (no stale judge can write here: a fresh pipe per job; checked all the same)
                if frame.get("kind") == "outcomes" and frame.get("index") == len(outcomes) and verdict is None:
                    outcomes.extend(_outcomes(frame.get("outcomes")))
                elif frame.get("kind") == "verdict" and verdict is None:
                    verdict = frame

    # -- messages --------------------------------------------------------------------------------------------
    def _message(self, job: dict[str, Any], nonce: str) -> bytes:
        """The forker's message for ``job`` (see ``_forker.py``): what the forker itself needs, as fixed-size
        numbers (it parses nothing per job), then the settings the program and the judge read, the test's
        source where the forker must compile it, and the program's text."""
        slot, test = self._slot(job["test"]) if job.get("kind") == "tests" else (-1, None)
        meta = {key: job.get(key) for key in ("kind", "timeout", "value_limit", "output_limit", "entry_point",
                                              "inputs", "call_timeout", "call_cpu_timeout", "line_budget",
                                              "batch_reports")}
        meta["nonce"] = nonce
        body = dumps(meta, allow_nan=False)
        source = b"" if test is None else test.encode("utf-8", "surrogatepass")
        program = job["program"].encode("utf-8", "surrogatepass")
        numbers = (len(body), len(source), len(program), job["id"], slot + 1, round(job["timeout"] * 1e6),
                   job["memory_mb"], job["file_size_mb"], job["max_processes"], _KINDS[job["kind"]])
        head = b"".join(number.to_bytes(size, "big") for number, size in zip(numbers, HEADER))
        return head + body + source + program

    def _slot(self, source: str) -> tuple[int, str | None]:
        """The forker's slot for this test's compiled code, and its source if the forker must compile it."""
        slot = self._slots.get(source)
        if slot is not None:
            return slot, None
        if len(self._slots) >= TEST_SLOTS:
            slot = self._slots.pop(next(iter(self._slots)))  # the oldest test gives up its slot
        else:
            slot = len(self._slots)
        self._slots[source] = slot
        return slot, source

    def _queue(self, data: bytes) -> None:
        self._pending = self._pending + data if self._pending else data
        self._flush()

    def _flush(self) -> None:
        if self._pending:
            written = self._write(memoryview(self._pending))
            self._pending = self._pending[written:]

    # -- frames ----------------------------------------------------------------------------------------------
    def _forker_frame(self, deadline: float, limit: int = 0) -> tuple[bytes, bytes]:
        """The next frame of the worker's output (the forker's own, or the judge's): kind and payload."""
        stream = self._stream
        limit = max(limit, _FORKER_FRAME_LIMIT)
        while True:
            if len(stream) >= 5:
                end = 4 + int.from_bytes(stream[:4], "big")
                if end > limit + 4 or end < 5 or stream[4:5] not in (b"J", b"T"):
                    raise WorkerLost("the worker sent a malformed frame")
                if len(stream) >= end:
                    kind, payload = bytes(stream[4:5]), bytes(stream[5:end])
                    del stream[:end]
                    return kind, payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerLost("the worker did not answer in time")
            if self._wait(remaining, bool(self._pending)):
                stream += self._read()
            self._flush()

    def _forker_json(self, deadline: float) -> dict[str, Any]:
        kind, payload = self._forker_frame(deadline)
        if kind != b"J":
            raise WorkerLost("the worker sent a malformed frame")
        return _json(payload)

    def _judge_frames(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        frames, buffer = [], self._judge
        limit = 8 * job["value_limit"] + (8 << 20)
        while len(buffer) >= 4:
            end = 4 + int.from_bytes(buffer[:4], "big")
            if end > limit:
                raise WorkerLost("the worker sent a malformed frame")
            if len(buffer) < end:
                break
            frames.append(_json(bytes(buffer[4:end])))
            del buffer[:end]
        return frames

    def _response(self, job: dict[str, Any], verdict: dict[str, Any] | None, outcomes: list[dict[str, Any]],
                  status: dict[str, Any], sent: float) -> dict[str, Any]:
        if status.get("id") != job.get("id") or type(status.get("status")) is not int:
            raise WorkerLost("the worker answered another job")
        response: dict[str, Any] = {"id": job.get("id"), "status": "sandbox_error",
                                    "duration_s": time.monotonic() - sent,
                                    "exception_type": None, "message": "", "traceback": "", "stdout": "",
                                    "stderr": "", "notes": [], "outcomes": outcomes,
                                    "recycle": status.get("recycle") is True}
        if verdict is not None and _well_formed(verdict):
            response.update({key: verdict[key] for key in ("status", "exception_type", "message", "traceback",
                                                           "stdout", "stderr", "notes", "duration_s")})
        elif status.get("timed_out") is True:
            response.update(status="timeout", message=f"killed after {job['timeout']:g} s of wall-clock time")
        else:
            ended = ended_verdict(status["status"])
            if ended["status"] == "failed":  # the judge exited without a verdict: the sandbox's failure
                ended = {"status": "sandbox_error", "message": "the sandbox's judge ended without a verdict"}
            response.update(ended)
        return response


def _json(body: bytes) -> dict[str, Any]:
    try:
        frame = loads(body)
    except ValueError as exc:
        raise WorkerLost(f"the worker sent a malformed frame: {exc}") from None
    if type(frame) is not dict:
        raise WorkerLost("the worker sent a malformed frame")
    return frame


def _outcomes(frames: Any) -> list[dict[str, Any]]:
    if type(frames) is not list or not all(type(frame) is dict for frame in frames):
        raise WorkerLost("the worker sent malformed outcomes")
    return [_outcome(frame) for frame in frames]


def _outcome(frame: dict[str, Any]) -> dict[str, Any]:
    name, message = frame.get("exception_type"), frame.get("message")
    if name is not None and (type(name) is not str or type(message) is not str):
        raise WorkerLost("the worker sent a malformed outcome")
    duration = frame.get("duration_s")
    outcome = {"value": None, "exception_type": None, "message": "",
               "duration_s": duration if type(duration) is float and duration >= 0 else 0.0,
               "cost": frame.get("cost") if type(frame.get("cost")) is int else None}
    if frame.get("timed_out") is True:
        outcome["timed_out"] = True
    elif name is not None:
        outcome.update(exception_type=name, message=message)
    else:
        outcome.update(value=frame.get("value"), after=frame.get("after"))
    return outcome


def _well_formed(verdict: dict[str, Any]) -> bool:
    """Every field of the judge's verdict of its exact type (JSON makes exact types; checked all the same)."""
    duration = verdict.get("duration_s")
    notes = verdict.get("notes")
    return (verdict.get("status") in _STATUSES and type(verdict.get("status")) is str
            and (verdict.get("exception_type") is None or type(verdict.get("exception_type")) is str)
            and all(type(verdict.get(key)) is str for key in ("message", "traceback", "stdout", "stderr"))
            and type(notes) is list and all(type(note) is str for note in notes)
            and type(duration) in (int, float) and duration >= 0)
