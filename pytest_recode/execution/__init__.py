"""Running untrusted programs: the :class:`Sandbox` interface and its backends."""

from __future__ import annotations

from ._api import BACKENDS, CallOutcome, CallsResult, RunResult, Sandbox, SandboxConfig, Status, TestJob

__all__ = [
    "BACKENDS",
    "CallOutcome",
    "CallsResult",
    "RunResult",
    "Sandbox",
    "SandboxConfig",
    "Status",
    "TestJob",
    "open_sandbox",
]


def open_sandbox(config: SandboxConfig | None = None) -> Sandbox:
    """A sandbox of the configured backend, ready to run programs."""
    config = config if config is not None else SandboxConfig()
    from ._subprocess import SubprocessSandbox

    return SubprocessSandbox(config)
