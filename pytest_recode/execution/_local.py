"""The local backend (the default): pre-forked workers on this machine, one child process per program."""

from __future__ import annotations

from typing import Any

from ._api import SandboxConfig
from ._launch import LocalTransport, site_paths
from ._pool import PoolSandbox

__all__ = ["LocalSandbox", "local_settings"]


def local_settings(config: SandboxConfig) -> dict[str, Any]:
    """What a local worker needs to know before its first job."""
    return {"isolation": config.isolation, "in_container": False, "uid_base": 200000, "tmpfs_mb": 256,
            "paths": site_paths()}


class LocalSandbox(PoolSandbox):
    """``config.worker_count`` worker processes, each isolated once at start (see ``_isolation.py``) and
    forking a fresh child per program; workers live until :meth:`close`."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        config = config if config is not None else SandboxConfig()
        settings = local_settings(config)
        super().__init__(config, lambda: LocalTransport(settings))
