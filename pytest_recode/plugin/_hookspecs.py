"""Hooks that pytest-recode calls, which a ``conftest.py`` or another plugin may implement."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..models import CodeModel
    from ._options import RecodeSettings


@pytest.hookspec(firstresult=True)
def pytest_recode_load_model(config: pytest.Config, settings: RecodeSettings) -> CodeModel | Any | None:
    """Return the model under test (a CodeModel or a callable ``list[str] -> list[str]``), or ``None`` to
    let the next implementation decide.

    Called once per process (per xdist worker) the first time a test needs the ``recode_model`` fixture.
    The built-in implementation runs last and loads ``--recode-model``; implement this hook in a
    ``conftest.py`` to choose a model in code (overriding the ``recode_model`` fixture works too).
    """
