"""The judge (J): the process that decides each job's verdict, where the program cannot reach it.

Standard library only (part of the worker). The forker forks the judge once (again only if it dies, hangs,
or has judged many jobs) from its own clean state, before any program; the judge never forks, so nothing it
holds (programs' results and output) reaches a later program. For each job the forker forks the program's
process (P, ``_program.py``) with descriptors made for that job alone, and hands the judge their other ends
(see ``_control.py``): P's stdout and stderr (the judge keeps the first bytes of each, capped), its reports,
and the judge's requests. The judge writes its frames for the host on the forker's own output, which P never
holds (the forker writes nothing there until the judge says the job is judged), and runs under a user id of
its own where the worker has several (as root): there a program cannot even signal it.

For ``tests`` jobs the test code runs here, with this process's own builtins and modules, and
``candidate`` is a proxy: each call's arguments, as plain data, go to P, which calls the entry point; its
result (or its exception, or the arguments as the call left them) comes back rebuilt here as plain data of
the exact built-in types. Names the test code takes from the program (a helper of the prompt, the entry
point by name) are proxies too; modules the program imported are imported here afresh. So nothing the
program does in its process can change how the tests run or what they conclude: it can only return
values, raise, hang, crash or exit, and each of those has its verdict.

Calls cost a round trip each, and a round trip on a busy machine costs far more than the call: so P first
runs the tests itself, only to *record* each call (arguments, then result), and sends the record with its
"loaded" report. The judge then runs the tests here and takes each call's outcome from the record, provided
the call is the record's next one, to the exact arguments: a record is only what P says its calls return,
which it could equally say call by call. At the first call that differs (tests that draw random inputs, a
program that tampered with its own copy of the tests), the judge discards that run, P and its output, and
runs the tests again against a fresh P, call by call.

Once P ends before its end (the forker, its parent, says so), breaks the protocol, or runs out of time,
the verdict is settled: the proxies raise :class:`Stop` from then on, and what the test code does after
(catching it, returning) changes nothing. A report from another process than P (a copy the program
forked) is ignored, and the judge serves no more calls (the copies, which read its requests as P does, see
their end): only P's own reports and end count.
"""

from __future__ import annotations

import builtins
import os
import select
import sys
import time
from typing import Any

from . import _describe, _serialize
from ._calls import NAME_LIMIT, Calls, Diverged, Stop, UncheckableArgument, UncheckableResult, text
from ._capture import SETUP_FAILED, Capture
from ._frames import dumps, loads
from ._program import test_names

__all__ = ["SETUP_FAILED", "TEST_FILE", "Judge", "UncheckableArgument", "UncheckableResult", "serve"]

TEST_FILE = "test.py"


def serve(channel: Any, result_fd: int) -> None:
    """The judge's life: one job per ``J`` message from the forker, until the channel closes. Never returns."""
    compiled: dict[str, Any] = {}
    while True:
        message = channel.receive()
        if message is None:
            os._exit(0)
        kind, payload = message
        if kind != b"J":  # a late word about a job already judged
            continue
        fds = channel.take_fds()
        meta_size, source_size = int.from_bytes(payload[:4], "big"), int.from_bytes(payload[4:8], "big")
        job = loads(payload[8:8 + meta_size])
        source = payload[8 + meta_size:8 + meta_size + source_size].decode("utf-8", "surrogatepass") \
            if source_size else None
        pid, started = _program_of(channel)
        if source is not None and source not in compiled:
            if len(compiled) >= 512:
                compiled.clear()
            code = _compile_test(source)
            compiled[source] = (code, test_names(code) if code is not None else ())
        job["test"] = source
        job["test_code"], job["names"] = compiled[source] if source is not None else (None, ())
        job["record"] = job["kind"] == "tests" and job["test_code"] is not None
        program = memoryview(payload)[8 + meta_size + source_size:]
        judge = Judge(job, program, result_fd, channel=channel, started=started)
        try:
            judge.attach(pid, *fds)
            verdict = judge.verdict()
        except BaseException as exc:  # noqa: BLE001 - the judge's own failure: a sandbox error, never a pass
            verdict = {"status": "sandbox_error", "exception_type": type(exc).__name__,
                       "message": f"the sandbox's judge failed: {exc}"[:2000]}
        judge.finish(verdict)


def _program_of(channel: Any) -> tuple[int, float]:
    """The program's pid and start time (monotonic seconds): the forker's ``P`` message, which follows the
    job's (or a fresh program's) once the program is forked."""
    while True:
        message = channel.receive()
        if message is None:
            os._exit(0)
        if message[0] == b"P":
            head = message[1]
            return int.from_bytes(head[:4], "big"), int.from_bytes(head[4:12], "big") / 1e9


def _compile_test(source: str) -> Any:
    """The test code compiled, or None if it does not compile (the tests then fail with its error)."""
    try:
        return compile(source, TEST_FILE, "exec", dont_inherit=True)
    except Exception:  # noqa: BLE001 - SyntaxError, ValueError (null bytes), MemoryError, RecursionError
        return None


class Judge(Calls):
    """One job's verdict, seen from outside the program's process."""

    def __init__(self, job: dict[str, Any], program: memoryview, result_fd: int, *, channel: Any = None,
                 started: float | None = None) -> None:
        self.job = job
        self.program = program
        self.result_fd = result_fd
        self.channel = channel  # to the forker (None: the forker's warm-up)
        self.started = time.monotonic() if started is None else started
        self.deadline = self.started + job["timeout"]
        self.final: dict[str, Any] | None = None  # the settled verdict, once there is one
        self.frame_limit = 4 * job["value_limit"] + (1 << 20)
        self.classes: dict[tuple[str, type], type] = {}
        self.ended_at: float | None = None
        self.fds: tuple[int, ...] = ()
        self.record: list[Any] = []  # P's record of the tests' calls, and how far it was taken
        self.taken = 0
        self.diverged = False
        self.unsent: list[dict[str, Any]] = []  # outcomes not sent to the host yet: they go before each wait
        self.unsent_size = 0  # the size of their reports

    # -- P -------------------------------------------------------------------------------------------------
    def attach(self, pid: int, out_fd: int, err_fd: int, reply_fd: int, request_fd: int = -1) -> None:
        """Judge P (``pid``) on the other ends of its pipes, which the forker handed over (no requests where
        P runs the tests itself, or runs or calls the program: it then never hears from the judge)."""
        self.pid = pid
        self.fds = tuple(fd for fd in (out_fd, err_fd, reply_fd, request_fd) if fd >= 0)
        self.request_fd, self.reply_fd = request_fd, reply_fd
        self.status: int | None = None  # P's wait status, once it ended (the forker says so)
        self.buffer = bytearray()
        self.popped_size = 0  # the size of the last report taken from it
        self.forsaken = False  # a copy of the program reported: no more calls are made
        self.outcomes = 0
        self.captures = {out_fd: Capture(out_fd, self.job["output_limit"]),
                         err_fd: Capture(err_fd, self.job["output_limit"])}
        for fd in self.fds:
            os.set_blocking(fd, False)
        self.poller = select.poll()
        for fd in (reply_fd, out_fd, err_fd):
            self.poller.register(fd, select.POLLIN)
        if self.channel is not None:
            self.poller.register(self.channel.fd, select.POLLIN)

    def _prints(self, kept: bool) -> None:
        """Where the tests' own prints go: with P's output when the tests run here call by call, nowhere when
        they replay P's record (P, running them, printed them already)."""
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001
                pass
        captures = list(self.captures.values())
        sys.stdout = _Sink(captures[0] if kept else None)
        sys.stderr = _Sink(captures[1] if kept else None)

    def again(self) -> None:
        """Discard P and all it wrote (the forker kills it and all it left); judge a fresh one, call by call."""
        self.close()
        self.channel.send(b"A")
        while True:
            message = self.channel.receive()
            if message is None:
                raise Stop
            kind, payload = message
            if kind == b"R":
                fds = self.channel.take_fds()
                break
        self.job = {**self.job, "record": False}
        self.record, self.taken, self.diverged = [], 0, False
        pid, _ = _program_of(self.channel)
        self.attach(pid, *fds)

    # -- the verdict -----------------------------------------------------------------------------------------
    def verdict(self) -> dict[str, Any]:
        while True:
            self._prints(not (self.job.get("record") and self.job["kind"] == "tests"))
            try:
                result = self.judge()
            except Stop:
                result = {}
            except BaseException as exc:  # noqa: BLE001 - the tests failed: that is the verdict
                result = self.describe(exc)
            if self.final is None and self.diverged:
                self.again()  # the record was not this run's: run the tests again, call by call
                continue
            self.ended_at = time.monotonic()
            return self.final if self.final is not None else result

    def judge(self) -> dict[str, Any]:
        kind = self.job["kind"]
        first = self.frame()
        while first.get("k") == "log":
            entries = first.get("e")
            if type(entries) is not list:
                return self.tampered()
            self.record.extend(entries)
            first = self.frame()
        if first.get("k") == "raised":  # the program failed to load (or, run whole, failed)
            return self.failed_in_program(first)
        if kind == "run":
            return {"status": "passed"} if first.get("k") == "end" else self.tampered()
        if first.get("k") != "loaded":
            return self.tampered()
        if kind == "call":
            return self.collect_outcomes()
        return self.run_tests(first)

    def settle(self, verdict: dict[str, Any]) -> Stop:
        if self.final is None:
            self.final = verdict
        return Stop()

    def tampered(self, what: str = "the program wrote into the sandbox's result channel") -> dict[str, Any]:
        self.settle({"status": "failed", "exception_type": "SandboxTampering", "message": what})
        raise Stop

    def failed_in_program(self, frame: dict[str, Any]) -> dict[str, Any]:
        name, message, trace = text(frame.get("t"), NAME_LIMIT), text(frame.get("m"), 2000), text(frame.get("tb"))
        if name is None or message is None or trace is None:
            return self.tampered()
        return {"status": "failed", "exception_type": name, "message": message, "traceback": trace}

    def run_tests(self, loaded: dict[str, Any]) -> dict[str, Any]:
        namespace: dict[str, Any] = {"__name__": "__program__", "__builtins__": builtins}
        names, about = loaded.get("names"), loaded.get("entry")
        if type(names) is not dict or type(about) is not dict:
            return self.tampered()
        for name, spec in names.items():
            self.define(namespace, name, spec)
        candidate = self.proxy(None, about)
        code = self.job["test_code"]
        if code is None:  # it did not compile in the forker: compile it here, for its error
            code = compile(self.job["test"], TEST_FILE, "exec", dont_inherit=True)
        exec(code, namespace)
        check = namespace.get("check")
        if not callable(check):
            raise NameError("the test code defines no check(candidate) function")
        check(candidate)
        return {"status": "passed"}

    def define(self, namespace: dict[str, Any], name: Any, spec: Any) -> None:
        """Give the test code a name the program defines (see the module docstring)."""
        if type(name) is not str or name not in self.job["names"] or type(spec) is not list or not spec:
            self.tampered()
        if spec[0] == "f":
            namespace[name] = self.proxy(name, {"__name__": name, "__qualname__": name})
        elif spec[0] == "m" and len(spec) == 2 and type(spec[1]) is str:
            # Loaded here already, or a standard module of the very name the tests use (`import math` in
            # the prompt, `math.isclose` in the tests): never one the program could have written, nor one
            # it merely names (importing some modules does things).
            module = sys.modules.get(spec[1])
            if module is None and spec[1] == name and name in getattr(sys, "stdlib_module_names", ()):
                try:
                    module = __import__(name)
                except BaseException:  # noqa: BLE001 - no such module here: the tests find no such name
                    pass
            if module is not None:
                namespace[name] = module
        elif spec[0] == "v" and len(spec) == 2:
            try:
                namespace[name] = _serialize.decode(spec[1], strict=True)
            except ValueError:
                pass

    def collect_outcomes(self) -> dict[str, Any]:
        while True:
            frame = self.frame()
            kind = frame.get("k")
            if kind == "done":
                return {"status": "passed"}
            if kind != "out" or frame.get("i") != self.outcomes:
                return self.tampered("the program sent the sandbox an unexpected result")
            outcome: dict[str, Any] = {}
            duration = frame.get("d")
            if type(duration) is float and duration >= 0:  # as P measured it: for choosing inputs, not a verdict
                outcome["duration_s"] = duration
            cost = frame.get("c")
            if type(cost) is int and cost >= 0:  # lines the call ran, where counted
                outcome["cost"] = cost
            if frame.get("x") == 1:  # the call ran past its own limit
                outcome["timed_out"] = True
            elif "e" in frame:
                name, message = text(frame.get("e"), NAME_LIMIT), text(frame.get("m"), 2000)
                if name is None or message is None:
                    return self.tampered()
                outcome.update(exception_type=name, message=message)
            else:
                try:
                    _serialize.decode(frame.get("v"))  # well formed, or not passed on
                    outcome["value"] = frame.get("v")
                except ValueError:
                    outcome["value"] = {"$": "unencodable", "type": "?", "reason": "malformed"}
                if "a" in frame:
                    try:
                        after = frame.get("a")
                        if type(after) is not list:
                            raise ValueError("not a list")
                        _serialize.decode(after)
                        outcome["after"] = after
                    except ValueError:
                        outcome["after"] = {"$": "unencodable", "type": "list", "reason": "malformed"}
            self.outcomes += 1
            self.unsent.append(outcome)
            self.unsent_size += self.popped_size
            if self.unsent_size > self.job["value_limit"]:  # a frame the host accepts whatever the values
                self.send_unsent()

    # -- the end ---------------------------------------------------------------------------------------------
    def describe(self, exc: BaseException) -> dict[str, Any]:
        if isinstance(exc, Diverged):
            return {}
        return _describe.describe(exc, self.job, self.program)

    def finish(self, verdict: dict[str, Any]) -> None:
        """Send the verdict, with the program's output, and tell the forker the job is judged. The requests
        close first: P, reading their end, ends by itself (its forker, asleep until then, then wakes to a
        process that shares no page with it any more)."""
        self._close_requests()
        self.report(verdict)
        self.close()
        self.channel.send(b"D")

    def report(self, verdict: dict[str, Any]) -> None:
        ended = self.ended_at or time.monotonic()
        self._prints(False)  # the tests' last words, kept or not, out of the buffers
        notes = []
        frame: dict[str, Any] = {"kind": "verdict", "nonce": self.job["nonce"], "status": "passed",
                                 "exception_type": None, "message": "", "traceback": "",
                                 "duration_s": ended - self.started}
        frame.update(verdict)
        for name, capture in zip(("stdout", "stderr"), self.captures.values()):
            capture.read()
            frame[name] = capture.text()
            if capture.total > capture.limit:
                notes.append(f"{name} truncated to its first {capture.limit} of {capture.total} bytes")
        frame["notes"] = notes
        self.send_unsent(frame)

    def send_unsent(self, *frames: dict[str, Any]) -> None:
        """The outcomes taken since this process last slept, in one frame, then ``frames``, in one write (each
        write wakes the host, and each frame costs it a parse)."""
        data = b""
        if self.unsent:
            data = frame_bytes({"kind": "outcomes", "nonce": self.job["nonce"],
                                "index": self.outcomes - len(self.unsent), "outcomes": self.unsent})
            self.unsent, self.unsent_size = [], 0
        data += b"".join(frame_bytes(frame) for frame in frames)
        if data:
            send(self.result_fd, data)

    def close(self) -> None:
        """Let go of this P's descriptors."""
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        for capture in getattr(self, "captures", {}).values():
            capture.close()
        self.fds = ()


class _Sink:
    """``sys.stdout``/``sys.stderr`` of the judge: into the program's captured output, or nowhere."""

    def __init__(self, capture: Capture | None) -> None:
        self.capture = capture

    def write(self, text: str) -> int:
        if self.capture is not None:
            self.capture.add(str(text).encode("utf-8", "replace"))
        return len(text)

    def flush(self) -> None:
        pass


def frame_bytes(frame: dict[str, Any]) -> bytes:
    """A frame for the host in the forker's framing (a ``T`` frame)."""
    body = dumps(frame)
    return (len(body) + 5).to_bytes(4, "big") + b"T" + len(body).to_bytes(4, "big") + body


def send(fd: int, data: bytes | bytearray) -> None:
    """Frames for the host, written on the forker's own output, in one piece: the forker writes nothing there
    until the judge says the job is judged."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


