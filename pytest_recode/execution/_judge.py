"""The judge (T): the process that decides a job's verdict, where the program cannot reach it.

Standard library only (part of the worker). The forker forks the judge for each job; the judge forks the
program's process (P, ``_program.py``) with descriptors made for this job alone, reads its stdout and
stderr (capped), its reports, and its end, and sends the verdict to the forker on a pipe P never holds.

For ``tests`` jobs the test code runs here, with this process's own builtins and modules, and
``candidate`` is a proxy: each call sends its arguments as plain data to P, which calls the entry point and
sends back the result (or its exception, or the arguments as the call left them), rebuilt here as plain
data of the exact built-in types. Names the test code takes from the program (a helper of the prompt, the
entry point by name) are proxies too; modules the program imported are imported here afresh. So nothing
the program does in its process can change how the tests run or what they conclude: it can only return
values, raise, hang, crash or exit, and each of those has its verdict.

Once P ends before its end, breaks the protocol, or runs out of time, the verdict is settled: the proxies
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

__all__ = ["UncheckableArgument", "UncheckableResult", "run"]

TEST_FILE = "test.py"
_PLAIN_DATA = ("the sandbox compares only plain data (int, float, str, bytes, list, tuple, dict, set, None "
               "and a few standard containers)")
_MUTABLE = (list, dict, set, bytearray)
_NAME_LIMIT = 200


class UncheckableResult(TypeError):
    """The entry point returned a value the sandbox cannot rebuild as plain data, so cannot check safely."""


class UncheckableArgument(TypeError):
    """The tests passed the program a value that cannot cross to it as plain data."""


class _Stop(BaseException):
    """The verdict is settled: raised into the test code by every proxy from then on."""


def run(job: dict[str, Any], result_fd: int, program: memoryview, become: Any) -> None:
    """In the forker's fresh child: become the judge (``become()``: limits, user), fork P, judge, send the
    verdict on ``result_fd``, exit. Never returns."""
    try:
        become()
        started = time.monotonic()
        stdin_r, stdin_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        top = max(stdin_w, out_w, err_w, request_w, reply_w, result_fd) + 1
        pid = os.fork()
        if pid == 0:
            _become_program(job, program, (stdin_r, out_w, err_w, reply_w, request_r), top)
        for fd in (stdin_r, stdin_w, reply_w, request_r):
            os.close(fd)
        # The tests' own prints join the program's, in the pipes read here (never a pipe of the forker's).
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.close(out_w)
        os.close(err_w)
        for fd in (out_r, err_r, reply_r, request_w):
            os.set_blocking(fd, False)
        judge = Judge(job, pid, started, request_w, reply_r, out_r, err_r, program, result_fd)
    except BaseException:  # noqa: BLE001 - a sandbox error, never a program run half-judged
        _log_failure()
        os._exit(SETUP_FAILED)
    try:
        verdict = judge.verdict()
    except BaseException as exc:  # noqa: BLE001 - the judge's own failure: a sandbox error, never a pass
        verdict = {"status": "sandbox_error", "exception_type": type(exc).__name__,
                   "message": f"the sandbox's judge failed: {exc}"[:2000]}
    judge.finish(verdict)


def _log_failure() -> None:
    """Say why on stderr, the worker's log until the judge replaces it (the host shows its end)."""
    try:
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001
        pass


def _become_program(job: dict[str, Any], program: memoryview, fds: tuple[int, ...], top: int) -> None:
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(len(fds), top)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the judge ignores it; a program does not
        for which, soft, hard in job["limits"]:
            resource.setrlimit(which, (soft, hard))
        text = bytes(program).decode("utf-8", "surrogatepass")
    except BaseException:  # noqa: BLE001
        os._exit(SETUP_FAILED)
    _program.run(job, text)


class Judge:
    """One job's verdict, seen from outside the program's process ``pid``."""

    def __init__(self, job: dict[str, Any], pid: int, started: float, request_fd: int, reply_fd: int, out_fd: int,
                 err_fd: int, program: memoryview, result_fd: int) -> None:
        self.job = job
        self.result_fd = result_fd
        self.pid = pid
        self.started = started
        self.deadline = started + job["timeout"]
        self.program = program
        self.request_fd, self.reply_fd = request_fd, reply_fd
        self.final: dict[str, Any] | None = None  # the settled verdict, once there is one
        self.status: int | None = None  # P's wait status, once it ended
        self.buffer = bytearray()
        self.frame_limit = 4 * job["value_limit"] + (1 << 20)
        self.captures = {out_fd: Capture(out_fd, job["output_limit"]), err_fd: Capture(err_fd, job["output_limit"])}
        self.poller = select.poll()
        for fd in (reply_fd, out_fd, err_fd):
            self.poller.register(fd, select.POLLIN)
        try:
            self.pidfd: int | None = os.pidfd_open(pid)
            self.poller.register(self.pidfd, select.POLLIN)
        except (AttributeError, OSError):
            self.pidfd = None  # an old kernel: look now and then instead
        self.classes: dict[tuple[str, type], type] = {}
        self.forsaken = False  # a copy of the program reported: no more calls are made
        self.outcomes = 0
        self.ended_at: float | None = None

    # -- the verdict ------------------------------------------------------------------------------------
    def verdict(self) -> dict[str, Any]:
        kind = self.job["kind"]
        try:
            first = self.frame()
            if first.get("k") == "raised":  # the program failed to load (or, run whole, failed)
                result = self.failed_in_program(first)
            elif kind == "run":
                result = {"status": "passed"} if first.get("k") == "end" else self.tampered()
            elif first.get("k") != "loaded":
                result = self.tampered()
            elif kind == "call":
                result = self.collect_outcomes()
            else:
                result = self.run_tests(first)
        except _Stop:
            result = {}
        except BaseException as exc:  # noqa: BLE001 - the tests failed: that is the verdict
            result = self.describe(exc)
        self.ended_at = time.monotonic()
        return self.final if self.final is not None else result

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

    # -- calls into the program -------------------------------------------------------------------------
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
        limit = self.job["value_limit"]
        try:
            encoded = _serialize.encode(list(args), strict=True, budget=limit)
            keywords = _serialize.encode(kwargs, strict=True, budget=limit) if kwargs else None
        except _serialize.EncodeError as exc:
            raise UncheckableArgument(f"{exc}; only plain data crosses to the program") from None
        mutable = any(_holds_mutable(arg) for arg in args)
        self.request({"f": name, "a": encoded, "kw": keywords, "s": mutable})
        frame = self.frame()
        kind = frame.get("k")
        if kind == "ret":
            try:
                value = _serialize.decode(frame.get("v"), strict=True)
                if mutable and "a" in frame:
                    after = _serialize.decode(frame["a"], strict=True)
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

    # -- talking to P -----------------------------------------------------------------------------------
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
                os.close(self.request_fd)
        return None

    def wait(self, *, writing: bool = False) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.expire()
            raise _Stop
        if writing:
            self.poller.register(self.request_fd, select.POLLOUT)
        try:
            events = self.poller.poll(min(remaining, 0.005 if self.pidfd is None else remaining) * 1000 + 1)
        finally:
            if writing:
                self.poller.unregister(self.request_fd)
        for fd, _ in events:
            if fd == self.reply_fd:
                self.read_reports()
            elif fd == self.pidfd:
                self.reap()
            elif fd in self.captures:
                self.captures[fd].read()
        if self.pidfd is None and self.status is None and os.waitpid(self.pid, os.WNOHANG)[0]:
            self.reap()

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

    def reap(self) -> None:
        """P ended: its wait status, and what it reported before."""
        self.status = os.waitpid(self.pid, 0)[1]
        if self.pidfd is not None:
            self.poller.unregister(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = None
        self.read_reports()

    def expire(self) -> None:
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            self.reap()
        self.settle({"status": "timeout", "message": f"killed after {self.job['timeout']:g} s of wall-clock time"})

    # -- the end ----------------------------------------------------------------------------------------
    def describe(self, exc: BaseException) -> dict[str, Any]:
        return _describe.describe(exc, self.job, self.program)

    def finish(self, verdict: dict[str, Any]) -> None:
        """Stop P, take the rest of its output, send the verdict. Never returns."""
        ended = self.ended_at or time.monotonic()
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:  # noqa: BLE001
                pass
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
        os._exit(0)


def send(fd: int, frame: dict[str, Any]) -> None:
    data = dumps(frame)
    view = memoryview(len(data).to_bytes(4, "big") + data)
    while view:
        view = view[os.write(fd, view):]


def _remote_text(exc: BaseException) -> str:
    return exc.recode_message  # type: ignore[attr-defined, no-any-return]


def _text(value: Any, limit: int = 4000) -> str | None:
    """``value`` if it is an exact ``str``, cut to ``limit``; None otherwise."""
    return value[:limit] if type(value) is str else None


def _holds_mutable(value: Any, depth: int = 0) -> bool:
    kind = type(value)
    if isinstance(value, _MUTABLE) or kind.__name__ in ("deque", "Counter", "OrderedDict", "defaultdict"):
        return True
    if kind is tuple and depth < 3:
        return any(_holds_mutable(item, depth + 1) for item in value)
    return False


def _update(target: Any, value: Any) -> None:
    """Make ``target`` (an argument the tests passed) what the call made of it, in place where it can be."""
    kind = type(target)
    if kind is not type(value):
        return
    if kind is list:
        for index in range(min(len(target), len(value))):
            if _holds_mutable(target[index]) and type(target[index]) is type(value[index]):
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
    elif isinstance(target, (dict, set)) or kind.__name__ == "deque":
        target.clear()
        target.update(value) if not kind.__name__ == "deque" else target.extend(value)
