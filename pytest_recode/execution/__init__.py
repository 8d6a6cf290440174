"""Running untrusted programs: the :class:`Sandbox` interface and its backends.

``open_sandbox()`` gives the local backend (pre-forked, namespace-isolated workers, each with a judge that
decides verdicts outside the program's process, see ``_judge.py``); ``backend="docker"`` runs the same
workers in locked-down containers, ``backend="subprocess"`` starts a fresh worker per program. Return
values of :meth:`Sandbox.call` come encoded by :mod:`._serialize` (:func:`encode_value`/:func:`decode_value`).
"""

from __future__ import annotations

from ._api import (
    BACKENDS,
    ISOLATION_MODES,
    CallJob,
    CallOutcome,
    CallsResult,
    RunResult,
    Sandbox,
    SandboxConfig,
    Status,
    TestJob,
)
from ._serialize import EncodeError, Opaque
from ._serialize import decode as decode_value
from ._serialize import encode as encode_value

__all__ = [
    "BACKENDS",
    "ISOLATION_MODES",
    "CallJob",
    "CallOutcome",
    "CallsResult",
    "EncodeError",
    "Opaque",
    "RunResult",
    "Sandbox",
    "SandboxConfig",
    "Status",
    "TestJob",
    "decode_value",
    "encode_value",
    "open_sandbox",
]


def open_sandbox(config: SandboxConfig | None = None) -> Sandbox:
    """A sandbox of the configured backend (local unless ``config.backend`` says otherwise)."""
    config = config if config is not None else SandboxConfig()
    if config.backend == "docker":
        from ._docker import DockerSandbox

        return DockerSandbox(config)
    if config.backend == "subprocess":
        from ._subprocess import SubprocessSandbox

        return SubprocessSandbox(config)
    from ._local import LocalSandbox

    return LocalSandbox(config)
