"""Sandboxes for the execution tests: one per backend, shared by the session (workers start once).

Docker tests are marked ``docker`` and skip, saying how to enable them, where no engine answers or the
image is missing; with ``RECODE_REQUIRE_DOCKER=1`` (CI) they fail instead, so they cannot go missing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sandbox_support import BACKENDS, open_or_skip

from pytest_recode.execution import Sandbox, SandboxConfig


@pytest.fixture(scope="session", params=BACKENDS)
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """One worker (so that a probe runs where the program ran), short limits."""
    with open_or_skip(SandboxConfig(backend=request.param, workers=1, timeout_s=2.0, memory_mb=256)) as box:
        yield box


@pytest.fixture(scope="session", params=BACKENDS)
def parallel_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """Two workers, default limits."""
    with open_or_skip(SandboxConfig(backend=request.param, workers=2)) as box:
        yield box


@pytest.fixture
def backend(sandbox: Sandbox) -> str:
    return sandbox.config.backend
