"""Calls into the program's process, and what comes back, as the judge sees them (part of the worker).

Standard library only. A mixin of :class:`_judge.Judge`: the proxies the test code calls, each call's
outcome rebuilt here (its value as plain data of the exact built-in types, the arguments as the call left
them, or its exception as one of a class of its name), and the reading of P's reports, bounded and checked
(see ``_judge.py`` for the whole).
"""

from __future__ import annotations

import builtins
import os
import select
import time
from typing import Any

from . import _serialize
from ._capture import ended_verdict
from ._frames import dumps, loads

__all__ = ["NAME_LIMIT", "Calls", "Diverged", "Stop", "UncheckableArgument", "UncheckableResult", "text"]

PLAIN_DATA = ("the sandbox compares only plain data (int, float, str, bytes, list, tuple, dict, set, None "
              "and a few standard containers)")
NAME_LIMIT = 200


class UncheckableResult(TypeError):
    """The entry point returned a value the sandbox cannot rebuild as plain data, so cannot check safely."""


class UncheckableArgument(TypeError):
    """The tests passed the program a value that cannot cross to it as plain data."""


class Stop(BaseException):
    """The verdict is settled: raised into the test code by every proxy from then on."""


class Diverged(BaseException):
    """A call is not the record's next one: this run of the tests is discarded (sticky, like Stop)."""


class Calls:
    """What the judge does with P: call it, read it, wait for it (attributes set by ``Judge.attach``)."""

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
            raise Stop
        if self.diverged:
            raise Diverged
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
                raise Diverged
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
                raise UncheckableResult(f"{exc}; {PLAIN_DATA}") from None
            return value
        if kind == "raised":
            raise self.remote_exception(frame)
        if kind == "uncheckable":
            message = text(frame.get("m"), 2000)
            raise UncheckableResult(f"{message}; {PLAIN_DATA}")
        return self.tampered("the program sent the sandbox an unexpected result")

    def remote_exception(self, frame: dict[str, Any]) -> BaseException:
        """The program's exception, as one here: of a class with its name, under the built-in exception it
        derives from (so ``except ValueError`` catches it), whose text is the program's message."""
        name, message, bases, frames = (text(frame.get("t"), NAME_LIMIT), text(frame.get("m"), 2000),
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
        """P's next report. Raises :class:`Stop` once the verdict is settled."""
        while True:
            frame = self.pop()
            if frame is not None:
                return frame
            if self.final is not None:
                raise Stop
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
            self.popped_size = end
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

    def send_unsent(self) -> None:
        """Whatever is ready for the host goes out before this process sleeps."""

    def wait(self, *, writing: bool = False) -> None:
        self.send_unsent()
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            self.expire()
            raise Stop
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

    def _close_requests(self) -> None:
        if self.request_fd >= 0:
            os.close(self.request_fd)
            self.fds = tuple(fd for fd in self.fds if fd != self.request_fd)
            self.request_fd = -1


def _remote_text(exc: BaseException) -> str:
    return exc.recode_message  # type: ignore[attr-defined, no-any-return]


def text(value: Any, limit: int = 4000) -> str | None:
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
