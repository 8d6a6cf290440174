"""Running the judge's and the program's code in the forker before any job (part of the worker).

CPython rewrites a function's code as it runs the first few times (it counts the calls, then specializes
each instruction in place) and fills caches as it goes. Done in each child, every such write copies a page
the child shares with the forker. So the forker runs a few jobs of each kind itself, judge and program in
turn on pipes of its own, and every child inherits the code ready: the program's side first, on requests
written ahead, then the judge's, on the program's replies. Nothing of it is a real job's.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from . import _judge, _program, _serialize

__all__ = ["warm_up"]

_PROGRAM = ("def f(x, y=1):\n"
            "    if x == 0:\n"
            "        raise ValueError('zero')\n"
            "    return [x, (x,), {'k': x}, y]\n")
_TEST = ("def check(candidate):\n"
         "    assert candidate(1) == [1, (1,), {'k': 1}, 1]\n"
         "    values = [2]\n"
         "    assert candidate(values, y=2)[3] == 2\n"
         "    try:\n"
         "        candidate(0)\n"
         "    except ValueError:\n"
         "        pass\n")
_CALLS = ([[1], None, False], [[[2]], {"y": 2}, True], [[0], None, False])  # what the tests above ask


def _requests() -> bytes:
    data = b""
    for args, keywords, mutable in _CALLS:
        frame = _judge.dumps({"fn": None, "a": _serialize.encode(args, strict=True),
                              "kw": None if keywords is None else _serialize.encode(keywords, strict=True),
                              "s": mutable})
        data += len(frame).to_bytes(4, "big") + frame
    return data


def _on(fds: dict[int, int], work: Any) -> None:
    """Run ``work()`` with descriptors ``fds`` (target: source) in place, then put back what was there."""
    saved: dict[int, int | None] = {}
    for target, fd in fds.items():
        try:
            saved[target] = os.dup(target)
        except OSError:
            saved[target] = None
        os.dup2(fd, target)
    try:
        work()
    finally:
        for target, old in saved.items():
            if old is None:
                os.close(target)
            else:
                os.dup2(old, target)
                os.close(old)


def _one(kind: str, record: bool, code: Any, names: tuple[str, ...]) -> None:
    job = {"kind": kind, "entry_point": "f", "inputs": [[1], ["x"], [0]], "value_limit": 1 << 16,
           "output_limit": 1 << 10, "timeout": 30.0, "nonce": "0" * 32, "test_code": code, "test": _TEST,
           "names": names, "limits": [], "pid1": True, "record": record}
    opened: list[int] = []

    def pipe() -> tuple[int, int]:
        ends = os.pipe()
        opened.extend(ends)
        return ends

    def judge_it() -> None:
        judge = _judge.Judge(job, memoryview(_PROGRAM.encode()), result_w, started=time.monotonic())
        judge.attach(os.getpid(), os.dup(out_r), os.dup(err_r), os.dup(reply_r), os.dup(sink_w))
        judge.deadline = time.monotonic() + 3600
        streams = sys.stdout, sys.stderr
        try:
            judge.report(judge.verdict())
        finally:
            judge.close()
            sys.stdout, sys.stderr = streams

    try:
        reply_r, reply_w = pipe()
        request_r, request_w = pipe()
        out_r, out_w = pipe()
        err_r, err_w = pipe()
        result_r, result_w = pipe()
        sink_r, sink_w = pipe()
        if kind == "tests" and not record:
            os.write(request_w, _requests())
        os.close(request_w)
        opened.remove(request_w)
        # The program's side, then the judge's on what it wrote (the judge's own requests go nowhere).
        _on({_program.TO_JUDGE: reply_w, _program.FROM_JUDGE: request_r}, lambda: _program.run(job, _PROGRAM))
        judge_it()
        os.read(result_r, 1 << 16)
    finally:
        for fd in opened:
            try:
                os.close(fd)
            except OSError:
                pass


def warm_up(rounds: int = 10) -> None:
    """Run ``rounds`` jobs of each kind, judge and program, in this process."""
    code = compile(_TEST, _judge.TEST_FILE, "exec", dont_inherit=True)
    names = _program.test_names(code)
    for _ in range(rounds):
        for kind, record in (("tests", True), ("tests", False), ("call", False), ("run", False)):
            _one(kind, record, code, names)
