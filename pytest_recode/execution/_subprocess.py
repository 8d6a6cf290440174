"""The simplest backend: a fresh worker process for every program.

Slow (an interpreter start, tens of milliseconds, per program) and otherwise the same as the local
backend: the same isolation, verdict rules and outputs. Useful to rule out anything a long-lived worker
could carry from one program to the next.
"""

from __future__ import annotations

from ._api import SandboxConfig
from ._launch import LocalTransport
from ._local import local_settings
from ._pool import PoolSandbox

__all__ = ["SubprocessSandbox"]


class SubprocessSandbox(PoolSandbox):
    """One worker process per program, started afresh each time."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        config = config if config is not None else SandboxConfig(backend="subprocess")
        settings = local_settings(config)
        super().__init__(config, lambda: LocalTransport(settings), jobs_per_worker=1)
