"""The judge (J): the process that decides each job's verdict, where the program cannot reach it.

Standard library only (part of the worker). The forker forks the judge once (again only if it dies, hangs,
or has judged many jobs) from its own clean state, before any program; the judge never forks, so nothing it
holds (programs' results and output) reaches a later program. For each job the forker forks the program's
process (P, ``_program.py``) with descriptors made for that job alone, and hands the judge their other ends
(see ``_control.py``): P's stdout and stderr (the judge keeps the first bytes of each, capped), its reports,
and the judge's requests. The judge sends its frames for the host on a pipe P never holds, and runs under
a user id of its own where the worker has several (as root): there a program cannot even signal it.

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
the verdict is settled: the proxies
raise :class:`_Stop` from then on, and what the test code does after (catching it, returning) changes
nothing. A report from another process than P (a copy the program forked) is ignored, and the judge
serves no more calls (the copies, which read its requests as P does, see their end): only P's own reports
and end count.
"""

from __future__ import annotations

import builtins
import os
import resource
import select
import signal
import sys
import time
from typing import Any

from . import _describe, _program, _serialize
from ._capture import SETUP_FAILED, Capture, ended_verdict
from ._frames import dumps, loads

__all__ = ["SETUP_FAILED", "TEST_FILE", "Judge", "UncheckableArgument", "UncheckableResult", "run"]

TEST_FILE = "test.py"
_PLAIN_DATA = ("the sandbox compares only plain data (int, float, str, bytes, list, tuple, dict, set, None "
               "and a few standard containers)")
_NAME_LIMIT = 200


class UncheckableResult(TypeError):
    """The entry point returned a value the sandbox cannot rebuild as plain data, so cannot check safely."""


class UncheckableArgument(TypeError):
    """The tests passed the program a value that cannot cross to it as plain data."""


class _Stop(BaseException):
    """The verdict is settled: raised into the test code by every proxy from then on."""


class _Diverged(BaseException):
    """A call is not the record's next one: this run of the tests is discarded (sticky, like _Stop)."""


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


def test_names(code: Any) -> tuple[str, ...]:
    """Every global or attribute name the test code uses: the names it might take from the program."""
    names: set[str] = set()
    stack = [code]
    while stack:
        current = stack.pop()
        names.update(current.co_names)
        stack.extend(const for const in current.co_consts if hasattr(const, "co_names"))
    return tuple(sorted(names))


def become_program(job: tuple[bytes, Any, bool], program: memoryview, fds: tuple[int, ...], top: int,
                   become: Any) -> None:
    """In the forker's fresh child: /dev/null opened afresh on 0, ``fds`` on 1 to 4 (-1: none) and nothing
    else, ``become()`` (limits, user, process group), Python's SIGINT handler back, then the program. ``job``:
    its settings (JSON), its test (compiled code, source, names), and whether to record the tests. Never
    returns."""
    try:
        meta, test, record = job
        devnull = os.open(os.devnull, os.O_RDONLY)  # this program's own open file: nothing of it is shared
        for target, fd in enumerate((devnull, *fds)):
            if fd >= 0:
                os.dup2(fd, target)
        os.closerange(5 if fds[-1] >= 0 else 4, top)
        become()
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the forker ignores it; a program does not
        text = bytes(program).decode("utf-8", "surrogatepass")
        settings = loads(meta)
        settings.update(test_code=test[0], names=test[2], record=record)
    except BaseException:  # noqa: BLE001 - never a program run half-isolated
        os._exit(SETUP_FAILED)
    try:
        _program.run(settings, text)
    finally:
        os._exit(0)


class Judge:
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

    # -- P -------------------------------------------------------------------------------------------------
    def attach(self, pid: int, out_fd: int, err_fd: int, reply_fd: int, request_fd: int = -1) -> None:
        """Judge P (``pid``) on the other ends of its pipes, which the forker handed over (no requests where
        P runs the tests itself, or runs or calls the program: it then never hears from the judge)."""
        self.pid = pid
        self.fds = tuple(fd for fd in (out_fd, err_fd, reply_fd, request_fd) if fd >= 0)
        self.request_fd, self.reply_fd = request_fd, reply_fd
        self.status: int | None = None  # P's wait status, once it ended (the forker says so)
        self.buffer = bytearray()
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
                raise _Stop
            kind, payload = message
            if kind == b"R":
                fds = self.channel.take_fds()
                break
        self.job = {**self.job, "record": False}
        self.record, self.taken, self.diverged = [], 0, False
        pid, _ = _program_of(self.channel)
        self.attach(pid, *fds)

    def _control(self, read: bool = True) -> bool:
        """The forker's word during a job: P's end (its wait status). ``read``: the channel is readable; else
        only what came with earlier reads (it may have come with the job itself). Whether a message came."""
        if read:
            self.channel.read()
        came = False
        while (message := self.channel.pop()) is not None:
            came = True
            if message[0] == b"E" and self.status is None:
                self.status = int.from_bytes(message[1], "big")
                self.read_reports()
        if self.channel.closed:
            raise self.settle({"status": "sandbox_error", "message": "the sandbox's forker is gone"})
        return came

    # -- the verdict -----------------------------------------------------------------------------------------
    def verdict(self) -> dict[str, Any]:
        while True:
            self._prints(not (self.job.get("record") and self.job["kind"] == "tests"))
            try:
                result = self.judge()
            except _Stop:
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

    def settle(self, verdict: dict[str, Any]) -> _Stop:
        if self.final is None:
            self.final = verdict
        return _Stop()

    def tampered(self, what: str = "the program wrote into the sandbox's result channel") -> dict[str, Any]:
        self.settle({"status": "failed", "exception_type": "SandboxTampering", "message": what})
        raise _Stop

    def failed_in_program(self, frame: dict[str, Any]) -> dict[str, Any]:
        name, message, trace = _text(frame.get("t"), _NAME_LIMIT), _text(frame.get("m"), 2000), _text(frame.get("tb"))
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
            top = spec[1].partition(".")[0]
            if top in getattr(sys, "stdlib_module_names", ()):  # never a module the program could have written
                try:
                    __import__(spec[1])
                    namespace[name] = sys.modules[spec[1]]
                except BaseException:  # noqa: BLE001 - no such module here: the tests find no such name
                    pass
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
            outcome: dict[str, Any] = {"kind": "outcome", "index": self.outcomes, "nonce": self.job["nonce"]}
            if "e" in frame:
                name, message = _text(frame.get("e"), _NAME_LIMIT), _text(frame.get("m"), 2000)
                if name is None or message is None:
                    return self.tampered()
                outcome.update(exception_type=name, message=message)
            else:
                try:
                    _serialize.decode(frame.get("v"))  # well formed, or not passed on
                    outcome["value"] = frame.get("v")
                except ValueError:
                    outcome["value"] = {"$": "unencodable", "type": "?", "reason": "malformed"}
            self.outcomes += 1
            send(self.result_fd, outcome)

    # -- calls into the program ----------------------------------------------------------------------------
    def proxy(self, name: str | None, about: dict[str, Any]) -> Any:
        judge = self

        def call(*args: Any, **kwargs: Any) -> Any:
            return judge.call(name, args, kwargs)

        for attribute in ("__name__", "__qualname__", "__doc__"):
            value = about.get(attribute)
            if value is None or type(value) is str:
                try:
                    setattr(call, attribute, value)
                except (TypeError, ValueError):
                    pass
        return call

    def call(self, name: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self.final is not None:
            raise _Stop
        if self.diverged:
            raise _Diverged
        limit = self.job["value_limit"]
        try:
            encoded = _serialize.encode(list(args), strict=True, budget=limit)
            keywords = _serialize.encode(kwargs, strict=True, budget=limit) if kwargs else None
        except _serialize.EncodeError as exc:
            raise UncheckableArgument(f"{exc}; only plain data crosses to the program") from None
        mutable = any(_serialize.holds_mutable(arg) for arg in args)
        if self.job.get("record"):
            entry = self.record[self.taken] if self.taken < len(self.record) else None
            if type(entry) is not dict or entry.get("fn") != name or entry.get("a") != encoded \
                    or entry.get("kw") != keywords:
                self.diverged = True
                raise _Diverged
            self.taken += 1
            return self.outcome(entry, args, mutable)
        self.request({"fn": name, "a": encoded, "kw": keywords, "s": mutable})
        return self.outcome(self.frame(), args, mutable)

    def outcome(self, frame: dict[str, Any], args: tuple[Any, ...], mutable: bool) -> Any:
        """What a call of the program came to, here: its value, or its exception raised."""
        kind = frame.get("k")
        if kind == "ret":
            try:
                value = _serialize.decode(frame.get("v"), strict=True)
                if mutable and "after" in frame:
                    after = _serialize.decode(frame["after"], strict=True)
                    if type(after) is not list or len(after) != len(args):
                        raise ValueError("the arguments came back changed in number")
                    for before, now in zip(args, after):
                        _update(before, now)
            except ValueError as exc:
                raise UncheckableResult(f"{exc}; {_PLAIN_DATA}") from None
            return value
        if kind == "raised":
            raise self.remote_exception(frame)
        if kind == "uncheckable":
            message = _text(frame.get("m"), 2000)
            raise UncheckableResult(f"{message}; {_PLAIN_DATA}")
        return self.tampered("the program sent the sandbox an unexpected result")

    def remote_exception(self, frame: dict[str, Any]) -> BaseException:
        """The program's exception, as one here: of a class with its name, under the built-in exception it
        derives from (so ``except ValueError`` catches it), whose text is the program's message."""
        name, message, bases, frames = (_text(frame.get("t"), _NAME_LIMIT), _text(frame.get("m"), 2000),
                                         frame.get("b"), frame.get("f"))
        if name is None or "\x00" in name or message is None or type(bases) is not list or type(frames) is not list:
            raise self.tampered()
        base: type = Exception
        for candidate in bases:
            found = getattr(builtins, candidate, None) if type(candidate) is str else None
            if isinstance(found, type) and issubclass(found, BaseException) \
                    and not issubclass(found, BaseExceptionGroup):
                base = found
                break
        cls = self.classes.get((name, base))
        if cls is None:
            cls = self.classes[name, base] = type(name, (base,), {"__str__": _remote_text, "__module__": "builtins",
                                                                  "__qualname__": name})
        exc = cls.__new__(cls)
        exc.args = (message,)
        exc.recode_message = message
        exc.recode_frames = frames
        return exc

    # -- talking to P ----------------------------------------------------------------------------------------
    def request(self, frame: dict[str, Any]) -> None:
        if self.forsaken:
            return  # P, reading the end of its requests, will end
        data = dumps(frame)
        view = memoryview(len(data).to_bytes(4, "big") + data)
        while view:
            try:
                view = view[os.write(self.request_fd, view):]
            except BlockingIOError:
                self.wait(writing=True)
            except OSError:  # P no longer reads: its end is near, wait for it
                return

    def frame(self) -> dict[str, Any]:
        """P's next report. Raises :class:`_Stop` once the verdict is settled."""
        while True:
            frame = self.pop()
            if frame is not None:
                return frame
            if self.final is not None:
                raise _Stop
            if self.status is not None:  # P ended, and said all it will
                raise self.settle(ended_verdict(self.status))
            if self.channel is not None and self.channel.buffer and self._control(read=False):
                continue
            self.wait()

    def pop(self) -> dict[str, Any] | None:
        buffer = self.buffer
        while len(buffer) >= 4:
            end = 4 + int.from_bytes(buffer[:4], "big")
            if end > self.frame_limit:
                self.tampered("the program's results are larger than the sandbox accepts")
            if len(buffer) < end:
                return None
            body = bytes(buffer[4:end])
            del buffer[:end]
            try:
                frame = loads(body)
            except ValueError:
                frame = None
            if type(frame) is not dict or type(frame.get("k")) is not str:
                self.tampered()
            if frame.get("p") == self.pid:
                return frame
            if not self.forsaken:  # a copy of the program reported (see the module docstring)
                self.forsaken = True
                self._close_requests()
        return None

    def wait(self, *, writing: bool = False) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.expire()
            raise _Stop
        if writing:
            self.poller.register(self.request_fd, select.POLLOUT)
        try:
            events = self.poller.poll(remaining * 1000 + 1)
        finally:
            if writing:
                self.poller.unregister(self.request_fd)
        for fd, _ in events:
            if fd == self.reply_fd:
                self.read_reports()
            elif fd in self.captures:
                self.captures[fd].read()
            elif self.channel is not None and fd == self.channel.fd:
                self._control()

    def read_reports(self) -> None:
        while True:
            try:
                chunk = os.read(self.reply_fd, 1 << 16)
            except BlockingIOError:
                return
            if not chunk:  # every writer closed it: nothing more will come, P's end will tell
                try:
                    self.poller.unregister(self.reply_fd)
                except KeyError:
                    pass
                return
            self.buffer += chunk
            if len(self.buffer) > self.frame_limit + 4:
                return

    def expire(self) -> None:
        self.settle({"status": "timeout", "message": f"killed after {self.job['timeout']:g} s of wall-clock time"})

    # -- the end ---------------------------------------------------------------------------------------------
    def describe(self, exc: BaseException) -> dict[str, Any]:
        if isinstance(exc, _Diverged):
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
        send(self.result_fd, frame)

    def _close_requests(self) -> None:
        if self.request_fd >= 0:
            os.close(self.request_fd)
            self.fds = tuple(fd for fd in self.fds if fd != self.request_fd)
            self.request_fd = -1

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


def send(fd: int, frame: dict[str, Any]) -> None:
    """A frame for the host, written on the forker's own output in the forker's framing (a ``T`` frame), in
    one piece: the forker writes nothing there until the judge says the job is judged."""
    body = dumps(frame)
    data = (len(body) + 5).to_bytes(4, "big") + b"T" + len(body).to_bytes(4, "big") + body
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _remote_text(exc: BaseException) -> str:
    return exc.recode_message  # type: ignore[attr-defined, no-any-return]


def _text(value: Any, limit: int = 4000) -> str | None:
    """``value`` if it is an exact ``str``, cut to ``limit``; None otherwise."""
    return value[:limit] if type(value) is str else None


def _update(target: Any, value: Any) -> None:
    """Make ``target`` (an argument the tests passed) what the call made of it, in place where it can be."""
    kind = type(target)
    if kind is not type(value):
        return
    if kind is list:
        for index in range(min(len(target), len(value))):
            if _serialize.holds_mutable(target[index]) and type(target[index]) is type(value[index]):
                _update(target[index], value[index])
            else:
                target[index] = value[index]
        del target[len(value):]
        target.extend(value[len(target):])
    elif kind is tuple:
        for before, now in zip(target, value):
            _update(before, now)
    elif kind is bytearray:
        target[:] = value
    elif kind.__name__ == "deque":
        target.clear()
        target.extend(value)
    elif isinstance(target, (dict, set)):
        target.clear()
        target.update(value)
