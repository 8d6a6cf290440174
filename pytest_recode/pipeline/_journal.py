"""The journal that makes a benchmark run resumable.

``<out>/.recode-run.jsonl`` holds a header (what the run is: settings, model fingerprint, dataset, and the
date it began), then one line per finished problem (its nominal results, cases and failing examples),
appended and flushed to disk as each batch of problems finishes. A run started again with the same
arguments reads it, skips the problems it holds and ends with the same ``results.json``; a line cut short
by a kill is dropped (and cut off the file) and its problem done again. The journal is removed once
``results.json`` is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import ReportError
from ..metrics import CaseOutcome
from ..report import Example, ProblemRecord, first_difference

__all__ = ["JOURNAL_NAME", "FinishedProblem", "Journal"]

JOURNAL_NAME = ".recode-run.jsonl"


@dataclass(frozen=True)
class FinishedProblem:
    """Everything a run keeps of one problem."""

    record: ProblemRecord
    cases: tuple[CaseOutcome, ...]
    examples: tuple[Example, ...]

    def to_json(self) -> dict[str, Any]:
        return {"problem": self.record.to_json(), "cases": [c.to_json() for c in self.cases],
                "examples": [e.to_json() for e in self.examples]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FinishedProblem:
        return cls(ProblemRecord(**data["problem"]), tuple(CaseOutcome.from_json(c) for c in data["cases"]),
                   tuple(Example(**e) for e in data["examples"]))


class Journal:
    """The journal of the run in ``directory`` (see the module docstring)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.path = Path(directory) / JOURNAL_NAME

    def resume(self, identity: Mapping[str, Any], created: str, *,
               fresh: bool = False) -> tuple[str, list[FinishedProblem]]:
        """Start the journal, or continue the one there: the run's start date and the problems finished.

        Raises :class:`ReportError` when the journal there belongs to a run with other arguments (unless
        ``fresh``, which starts over)."""
        if fresh or not self.path.exists():
            self._write_header(identity, created)
            return created, []
        good, finished, header = 0, [], None
        with open(self.path, "rb") as handle:
            for raw in handle:
                if not raw.endswith(b"\n"):
                    break  # cut short by a kill: done again
                try:
                    data = json.loads(raw)
                    if header is None:
                        header = data
                    else:
                        finished.append(FinishedProblem.from_json(data))
                except (ValueError, KeyError, TypeError):
                    break
                good += len(raw)
        if header is None:
            self._write_header(identity, created)
            return created, []
        difference = first_difference(header.get("identity", {}), json.loads(json.dumps(dict(identity))))
        if difference:
            raise ReportError(f"{self.path.parent} holds an unfinished run with other arguments: they differ in "
                              f"{difference} (then and now); run with the same arguments to resume it, give "
                              "--fresh to start over, or choose another --out.")
        with open(self.path, "r+b") as handle:
            handle.truncate(good)
        return str(header.get("created", created)), finished

    def _write_header(self, identity: Mapping[str, Any], created: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "w", encoding="utf-8") as handle:
            handle.write(json.dumps({"identity": dict(identity), "created": created}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def append(self, problems: Sequence[FinishedProblem]) -> None:
        """Add finished problems, on disk before this returns."""
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write("".join(json.dumps(p.to_json()) + "\n" for p in problems))
            handle.flush()
            os.fsync(handle.fileno())

    def remove(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
