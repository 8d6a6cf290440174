"""Remembering and replaying failures: the example database and the replay line.

Failures are kept in Hypothesis's example database (a directory under the rootdir by default, so CI can
keep it between runs like ``.recode-cache/``), one key per test item (test and problem), each value the
:class:`~pytest_recode.strategies.Recipe` of a minimal failing perturbation. Recipes, not Hypothesis's
choice sequences, are stored: they replay the same perturbation after a Hypothesis upgrade, and they are
what the replay line prints. The directory database writes one file per value, so several xdist workers
saving at once lose nothing.
"""

from __future__ import annotations

import hashlib
import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ..strategies import Recipe
    from ._options import RecodeSettings

__all__ = ["FailureDatabase", "replay_line"]


class FailureDatabase:
    """The minimal failing recipes of each test item, in a Hypothesis example database."""

    def __init__(self, directory: str | None) -> None:
        self.directory = directory
        self._db = None
        if directory is not None:
            from hypothesis.database import DirectoryBasedExampleDatabase

            self._db = DirectoryBasedExampleDatabase(directory)

    @staticmethod
    def _key(item: str) -> bytes:
        return b"pytest-recode:" + hashlib.sha256(item.encode()).digest()

    def fetch(self, item: str) -> list[Recipe]:
        """The recipes stored for ``item`` (a node id), in a stable order; unreadable ones are skipped."""
        if self._db is None:
            return []
        from .._errors import InvalidArgument
        from ..strategies import Recipe

        recipes = []
        for value in sorted(self._db.fetch(self._key(item))):
            try:
                recipes.append(Recipe.parse(value.decode()))
            except (UnicodeDecodeError, InvalidArgument):
                continue
        return recipes

    def save(self, item: str, recipe: Recipe) -> None:
        if self._db is not None:
            self._db.save(self._key(item), recipe.text().encode())

    def delete(self, item: str, recipe: Recipe) -> None:
        if self._db is not None:
            self._db.delete(self._key(item), recipe.text().encode())


#: Options the replay line leaves out: they would change what is replayed (clearing the cache) or do not
#: bear on one item's outcome.
_NOT_REPLAYED = frozenset({"clear-cache", "replay", "max-examples", "report", "baseline", "max-drop", "shard",
                           "min-nominal"})


def replay_line(config: pytest.Config, settings: RecodeSettings, nodeid: str, recipe: Recipe) -> str:
    """A command that re-runs exactly ``recipe`` on the item ``nodeid``, pasted at the rootdir with the
    environment active (``cd ROOTDIR &&`` is prepended when pytest was run elsewhere)."""
    here = Path(config.invocation_params.dir)
    words = ["python", "-m", "pytest", nodeid]
    for name, value in settings.command_line:
        if name in _NOT_REPLAYED:
            continue
        if value is True:
            words.append(f"--recode-{name}")
            continue
        if name == "model" and (here / str(value)).exists():
            value = os.fspath((here / str(value)).resolve())  # the line may run from the rootdir
        words.append(f"--recode-{name}={value}")
    words.append(f"--recode-replay={recipe.text()}")
    command = " ".join(shlex.quote(word) for word in words)
    rootdir = Path(config.rootpath)
    if here.resolve() != rootdir.resolve():
        command = f"cd {shlex.quote(os.fspath(rootdir))} && {command}"
    return command
