"""The simplest backend: one fresh ``python -I`` process per program, in an empty temporary directory.

Portable and slow (tens of milliseconds a program); the local backend is the fast default. The child's
verdict comes back in a result file it writes only after the tests ran, so exiting early is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from ._api import CallsResult, RunResult, Sandbox, SandboxConfig, Status

__all__ = ["SubprocessSandbox"]

_HARNESS = r'''
import json, sys
spec = json.load(open("job.json"))
namespace = {"__name__": "__main__"}
result = {"status": "passed", "exception_type": None, "message": ""}
try:
    exec(compile(spec["program"], "program.py", "exec"), namespace)
    if spec["test"] is not None:
        exec(compile(spec["test"], "test.py", "exec"), namespace)
        namespace["check"](namespace[spec["entry_point"]])
except BaseException as exc:
    result = {"status": "failed", "exception_type": type(exc).__name__, "message": str(exc)[:2000]}
with open(spec["result_path"], "w") as handle:
    json.dump(result, handle)
'''


class SubprocessSandbox(Sandbox):
    """A fresh interpreter per program, killed at the timeout. Offers no isolation beyond the process."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config if config is not None else SandboxConfig(backend="subprocess")

    def _execute(self, program: str, test: str | None, entry_point: str, timeout: float | None) -> RunResult:
        limit = self.config.timeout_s if timeout is None else timeout
        with tempfile.TemporaryDirectory(prefix="recode-run-") as workdir:
            result_path = os.path.join(workdir, "result.json")
            spec = {"program": program, "test": test, "entry_point": entry_point, "result_path": result_path}
            with open(os.path.join(workdir, "job.json"), "w", encoding="utf-8") as handle:
                json.dump(spec, handle)
            started = time.perf_counter()
            try:
                completed = subprocess.run(
                    [sys.executable, "-I", "-c", _HARNESS],
                    cwd=workdir,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=limit,
                    env={"PATH": os.environ.get("PATH", "")},
                    start_new_session=True,
                )
            except subprocess.TimeoutExpired as exc:
                return RunResult(
                    Status.TIMEOUT,
                    time.perf_counter() - started,
                    message=f"killed after {limit:g} s",
                    stdout=_text(exc.stdout, self.config.output_limit_bytes),
                    stderr=_text(exc.stderr, self.config.output_limit_bytes),
                )
            duration = time.perf_counter() - started
            stdout = _text(completed.stdout, self.config.output_limit_bytes)
            stderr = _text(completed.stderr, self.config.output_limit_bytes)
            if completed.returncode < 0:
                return RunResult(Status.CRASHED, duration, message=f"killed by signal {-completed.returncode}",
                                 stdout=stdout, stderr=stderr)
            try:
                with open(result_path, encoding="utf-8") as handle:
                    verdict = json.load(handle)
            except (OSError, ValueError):
                return RunResult(Status.FAILED, duration, "SystemExit",
                                 f"exited with status {completed.returncode} before the end", stdout, stderr)
            return RunResult(Status(verdict["status"]), duration, verdict["exception_type"], verdict["message"],
                             stdout, stderr)

    def run(self, program: str, *, timeout: float | None = None) -> RunResult:
        return self._execute(program, None, "", timeout)

    def run_tests(self, program: str, test: str, entry_point: str, *, timeout: float | None = None) -> RunResult:
        return self._execute(program, test, entry_point, timeout)

    def call(self, program: str, entry_point: str, inputs: Sequence[Sequence[Any]], *,
             timeout: float | None = None) -> CallsResult:
        return CallsResult(Status.SANDBOX_ERROR, 0.0, message="the subprocess backend does not support call()")


def _text(data: bytes | None, limit: int) -> str:
    return (data or b"")[:limit].decode("utf-8", errors="replace")
