"""Where the project's shared data lies (a module of its own: test modules cannot import from conftest)."""

from __future__ import annotations

import os


def _shared_data() -> str:
    """The project's shared data folder (ReCode's MBPP and reference files): $RECODE_SHARED_DATA, else
    ``../shared/data`` beside the checkout, else /work/shared/data."""
    beside = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
    for candidate in (os.environ.get("RECODE_SHARED_DATA"), beside, "/work/shared/data"):
        if candidate and os.path.isdir(candidate):
            return candidate
    return beside


SHARED_DATA = _shared_data()
