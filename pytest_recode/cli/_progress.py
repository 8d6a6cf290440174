"""Progress bars for the long stages of ``recode run`` (tqdm, on stderr; silent when stderr is not a TTY)."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["progress_bars"]


class _Bar:
    def __init__(self, bar: Any) -> None:
        self._bar = bar

    def advance(self, amount: int) -> None:
        self._bar.update(amount)

    def close(self) -> None:
        self._bar.close()


def progress_bars(enabled: bool = True) -> Any:
    """A :data:`pytest_recode.pipeline.Progress`: one tqdm bar per stage, drawn only on a terminal."""
    from tqdm import tqdm

    def open_bar(description: str, total: int, unit: str) -> _Bar:
        # disable=None: tqdm draws only when stderr is a TTY, so CI logs and pipes stay clean.
        return _Bar(tqdm(total=total, desc=description, unit=f" {unit}", unit_scale=False, file=sys.stderr,
                         disable=None if enabled else True, dynamic_ncols=True, leave=False))

    return open_bar
