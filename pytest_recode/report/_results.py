"""``results.json``: everything a run measured, enough to compute every figure again without re-running.

A :class:`RunResults` holds the run's settings, the model's fingerprint, the dataset, the versions of what
ran it and the date, then the measurements themselves: each problem's nominal results (so nominal pass@k
covers every problem, perturbed or not), every case as a :class:`~pytest_recode.metrics.CaseOutcome`
(each completion's pass or fail, per problem, transform and seed), and the failing variants the reports
show with their prompt diffs. ``recode run`` and ``pytest --recode-report`` write it; ``recode report``,
``recode compare`` and ``recode merge`` read it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .._checks import record_from_json
from .._errors import InvalidArgument, ReportError
from ..metrics import CaseOutcome
from ._files import write_text_atomic

__all__ = ["EXAMPLES_PER_TRANSFORM", "RESULTS_FORMAT", "Example", "ProblemRecord", "RunResults", "first_difference",
           "keep_examples", "load_results", "now", "read_json", "versions_here"]

#: The ``format`` field of a results file, and the version of its layout this package reads and writes.
RESULTS_FORMAT = "pytest-recode results"
RESULTS_VERSION = 1


def _bools_or_none(name: str, value: object) -> tuple[bool, ...] | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, bool) for v in value):
        return tuple(value)
    raise InvalidArgument(f"{name}={value!r} must be null or a non-empty list of booleans (one per completion).")


@dataclass(frozen=True)
class ProblemRecord:
    """One problem of a run: its place in the run's problem list (before sharding) and the results of the
    completions of its nominal prompt and, where a partial-code category ran, of its partial-code prompt."""

    task_id: str
    index: int
    nominal: tuple[bool, ...] | None = None
    partial: tuple[bool, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "nominal", _bools_or_none("nominal", self.nominal))
        object.__setattr__(self, "partial", _bools_or_none("partial", self.partial))

    def to_json(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "index": self.index,
                "nominal": None if self.nominal is None else list(self.nominal),
                "partial": None if self.partial is None else list(self.partial)}


@dataclass(frozen=True)
class Example:
    """A failing perturbation the reports show with its prompt diff: a seeded variant whose first
    completion fails where the nominal one passes, or the minimal failure a pytest search shrank."""

    task_id: str
    transform: str
    category: str
    seed: int | None
    size: int
    prompt_diff: str
    source: str = "seeded"
    recipe: str = ""
    #: The pytest item that found it, where one did.
    test: str = ""

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: Failing seeded variants kept per transform (the first ones, in the order of the run's problems).
EXAMPLES_PER_TRANSFORM = 3


def keep_examples(examples: Sequence[Example], per_transform: int = EXAMPLES_PER_TRANSFORM) -> list[Example]:
    """The first ``per_transform`` seeded examples of each transform, in the order given; examples from a
    search are all kept. (The same rule for a whole run and for merged shards keeps them equal.)"""
    kept: list[Example] = []
    counts: dict[str, int] = {}
    for example in examples:
        if example.source == "seeded":
            counts[example.transform] = counts.get(example.transform, 0) + 1
            if counts[example.transform] > per_transform:
                continue
        kept.append(example)
    return kept


@dataclass(frozen=True)
class RunResults:
    """What a run measured (see the module docstring). ``settings["shard"]`` is ``"I/N"`` for one shard of
    a sharded run; ``unfinished`` lists pytest items that never reported (a crashed worker's)."""

    settings: Mapping[str, Any]
    model: Mapping[str, Any]
    dataset: Mapping[str, Any]
    versions: Mapping[str, str]
    created: str
    problems: tuple[ProblemRecord, ...] = ()
    cases: tuple[CaseOutcome, ...] = ()
    examples: tuple[Example, ...] = ()
    unavailable: Mapping[str, str] = field(default_factory=dict)
    unfinished: tuple[str, ...] = ()

    @property
    def ks(self) -> tuple[int, ...]:
        """The k of every pass@k the reports give (``settings["k"]``, else 1)."""
        ks = self.settings.get("k") or [1]
        return tuple(int(k) for k in ks)

    @property
    def shard(self) -> str | None:
        return self.settings.get("shard")

    def identity(self) -> dict[str, Any]:
        """What two runs must share to be parts of one run: settings but the shard, model, dataset."""
        settings = {k: v for k, v in self.settings.items() if k != "shard"}
        return {"settings": settings, "model": dict(self.model), "dataset": dict(self.dataset),
                "pytest-recode": self.versions.get("pytest-recode")}

    def in_order(self) -> RunResults:
        """The same results in their canonical order: problems by their index (then task id), cases and
        examples by their problem, then by test, each keeping its order within; seeded examples cut to
        :data:`EXAMPLES_PER_TRANSFORM` per transform. Results put in this order compare equal whatever
        order they were measured in (xdist workers, shards)."""
        rank = {key: i for i, key in enumerate(sorted({(p.index, p.task_id) for p in self.problems}))}
        position = {p.task_id: rank[(p.index, p.task_id)] for p in self.problems}

        def key(record: CaseOutcome | Example) -> tuple[int, str]:
            return position.get(record.task_id, len(position)), record.test

        return replace(self, problems=tuple(sorted(self.problems, key=lambda p: (p.index, p.task_id))),
                       cases=tuple(sorted(self.cases, key=key)),
                       examples=tuple(keep_examples(sorted(self.examples, key=key))))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": RESULTS_FORMAT,
            "version": RESULTS_VERSION,
            "created": self.created,
            "settings": dict(self.settings),
            "model": dict(self.model),
            "dataset": dict(self.dataset),
            "versions": dict(self.versions),
            "unavailable": dict(self.unavailable),
            "unfinished": list(self.unfinished),
            "problems": [p.to_json() for p in self.problems],
            "cases": [c.to_json() for c in self.cases],
            "examples": [e.to_json() for e in self.examples],
        }

    def dumps(self) -> str:
        """The file's text: one top-level field, problem, case or example per line, so that it stays compact
        and diffs well."""
        entries = []
        for key, value in self.to_json().items():
            if key in ("problems", "cases", "examples") and value:
                rows = ",\n  ".join(json.dumps(row) for row in value)
                entries.append(f' "{key}": [\n  {rows}\n ]')
            else:
                entries.append(f" {json.dumps(key)}: {json.dumps(value)}")
        return "{\n" + ",\n".join(entries) + "\n}\n"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the file atomically: a reader never sees half of it, a killed writer leaves the old one."""
        return write_text_atomic(path, self.dumps())

    @classmethod
    def from_json(cls, data: object, where: str = "results") -> RunResults:
        if not isinstance(data, Mapping) or data.get("format") != RESULTS_FORMAT:
            raise ReportError(f"{where} is not a pytest-recode results file (no \"format\": {RESULTS_FORMAT!r}).")
        if data.get("version") != RESULTS_VERSION:
            raise ReportError(f"{where} has layout version {data.get('version')!r}; this pytest-recode reads "
                              f"version {RESULTS_VERSION}.")
        try:
            for name in ("settings", "model", "dataset", "versions", "unavailable"):
                if not isinstance(data.get(name, {}), Mapping):
                    raise InvalidArgument(f"field {name!r} must be a JSON object")
            return cls(
                settings=dict(data.get("settings", {})),
                model=dict(data.get("model", {})),
                dataset=dict(data.get("dataset", {})),
                versions=dict(data.get("versions", {})),
                created=str(data.get("created", "")),
                problems=tuple(record_from_json(ProblemRecord, p, f"problems[{i}]")
                               for i, p in enumerate(_list(data, "problems"))),
                cases=tuple(CaseOutcome.from_json(c) for c in _list(data, "cases")),
                examples=tuple(record_from_json(Example, e, f"examples[{i}]") for i, e in enumerate(_list(data, "examples"))),
                unavailable=dict(data.get("unavailable", {})),
                unfinished=tuple(str(n) for n in _list(data, "unfinished")),
            )
        except (InvalidArgument, TypeError, ValueError) as exc:
            raise ReportError(f"{where} is corrupt: {exc}") from None


def _list(data: Mapping[str, Any], name: str) -> Sequence[Any]:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise InvalidArgument(f"field {name!r} must be a list")
    return value


def versions_here() -> dict[str, str]:
    """The versions of what measures a run here: Python, pytest-recode and the packages it ran with (read
    from the installed metadata, so nothing is imported)."""
    import platform
    from importlib import metadata

    found = {"python": platform.python_version()}
    for name in ("pytest-recode", "hypothesis", "libcst", "pytest", "torch", "transformers"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def now() -> str:
    """The current UTC time to the second, ISO 8601 (``2026-12-05T09:30:00Z``)."""
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def first_difference(left: Any, right: Any, path: str = "") -> str | None:
    """Where two JSON-like values first differ, as ``a.b (left!r and right!r)``, or ``None`` when equal."""
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        for key in [*left, *(k for k in right if k not in left)]:
            found = first_difference(left.get(key), right.get(key), f"{path}.{key}" if path else str(key))
            if found:
                return found
        return None
    return None if left == right else f"{path} ({left!r} and {right!r})"


def read_json(path: str | os.PathLike[str], what: str) -> Any:
    """A JSON file's content, or a :class:`ReportError` that names the file and what is wrong with it."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{path}: no such {what} file.") from None
    except IsADirectoryError:
        raise ReportError(f"{path} is a directory; give the {what} file inside it.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot be read: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path} is corrupt: not valid JSON ({exc.msg} at line {exc.lineno}).") from None


def load_results(path: str | os.PathLike[str]) -> RunResults:
    """Read a ``results.json`` (a directory holding one is accepted too)."""
    path = Path(path)
    if path.is_dir() and (path / "results.json").is_file():
        path = path / "results.json"
    return RunResults.from_json(read_json(path, "results"), where=str(path))
