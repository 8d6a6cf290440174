"""``recode exec``: run one program file in the sandbox and print what came of it as one JSON object."""

from __future__ import annotations

import argparse
import io
import json
import sys
import tokenize

from ..execution import RunResult, Status, open_sandbox
from ._options import add_sandbox_arguments, sandbox_config

#: Exit statuses: the program passed; it failed, timed out or crashed; the input or the sandbox was bad.
EXIT_PASSED, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "exec",
        help="run one program file in the sandbox and print its result as JSON",
        description="Run PROGRAM (a Python file, or - for standard input) in the sandbox as __main__ and print "
        "one JSON object: status (passed, failed, timeout, crashed, sandbox_error), duration_s, exception_type, "
        "message, stdout, stderr, notes, traceback. The program passes when it runs to its end; exiting early, "
        "even with exit(0), is a failure. A whole program is its own test: its own process reports how it "
        "ended (see the README's Sandbox section). Exit status: 0 passed, 1 failed/timeout/crashed, 2 "
        "unreadable input or a sandbox error.",
    )
    parser.add_argument("program", metavar="PROGRAM", help="the Python file to run, or - to read standard input")
    add_sandbox_arguments(parser)
    parser.set_defaults(handler=run)


def _read_source(path: str) -> tuple[str | None, RunResult | None]:
    """The program's text, or the result that explains why there is none."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                data = handle.read()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return None, RunResult(Status.FAILED, 0.0, type(exc).__name__, f"cannot read {path!r}: {reason}")
    try:
        # As Python reads a source file: UTF-8 unless a coding comment or a BOM says otherwise.
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding), None
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        detail = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        return None, RunResult(Status.FAILED, 0.0, "SyntaxError",
                               f"{path} is not valid source text ({detail}); save it as UTF-8 or declare its "
                               "encoding in a coding comment")


def run(args: argparse.Namespace) -> int:
    source, early = _read_source(args.program)
    if source is None:
        assert early is not None
        print(json.dumps(early.to_json()))
        return EXIT_FAILED if early.exception_type == "SyntaxError" else EXIT_ERROR
    config = sandbox_config(args)
    if args.workers == 0:
        config = config.__class__(**{**config.__dict__, "workers": 1})  # one program: one worker
    with open_sandbox(config) as sandbox:
        result = sandbox.run(source)
    print(json.dumps(result.to_json()))
    if result.status is Status.PASSED:
        return EXIT_PASSED
    return EXIT_ERROR if result.status is Status.SANDBOX_ERROR else EXIT_FAILED
