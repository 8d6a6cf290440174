"""A line of progress when loading something takes a while (WordNet, a tagger, a model), so that a first
test that spends seconds loading does not look hung.

``with loading("WordNet"):`` logs ``recode: loading WordNet ...`` on the ``pytest_recode.progress`` logger
once loading has taken a second, and ``recode: WordNet loaded in 3.2 s`` at the end when it did. The pytest
plugin shows those lines on the terminal; elsewhere they are ordinary log records (silent by default).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["PROGRESS_LOGGER", "loading"]

PROGRESS_LOGGER = "pytest_recode.progress"
_logger = logging.getLogger(PROGRESS_LOGGER)


@contextmanager
def loading(what: str, *, after_s: float = 1.0) -> Iterator[None]:
    """Log progress lines about loading ``what`` when it takes at least ``after_s`` seconds."""
    started = time.monotonic()
    # The loading blocks this thread, so a timer says it is under way.
    timer = threading.Timer(after_s, _logger.info, args=("recode: loading %s ...", what))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        took = time.monotonic() - started
        if took >= after_s:
            _logger.info("recode: %s loaded in %.1f s", what, took)
