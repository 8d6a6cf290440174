"""ReCode's released perturbed datasets as the variants of a benchmark run (``recode run --recode-data DIR``).

The layout is ReCode's: ``DIR/<dataset>/<folder>/<dataset>_<Transform>_s<seed>.jsonl`` with the folders
``nlaugmenter`` (docstring), ``func_name`` (function name), ``natgen`` (syntax) and ``format``, one row per
problem, and ``DIR/<dataset>_partial.jsonl``, the partial-code prompts the syntax and format rows are
measured against (a row whose ``partial`` field is null has no partial-code variant: its baseline is the
whole problem, as in ReCode). Docstring and function-name rows are measured against the nominal dataset.

Every row counts as a variant, as in ReCode, even one whose prompt equals the nominal prompt (ReCode's
data has such rows; this package's own variants skip them).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._errors import DatasetError
from ..problems import Problem, read_jsonl
from ..transforms import PARTIAL_CODE_CATEGORIES, RECODE_FOLDERS

__all__ = ["ReleasedFile", "ReleasedVariant", "partial_nominals", "read_released", "released_files"]

_FILE = re.compile(r"^(?P<dataset>.+?)_(?P<transform>[A-Za-z0-9_]+?)_s(?P<seed>\d+)\.jsonl$")


@dataclass(frozen=True)
class ReleasedFile:
    """One released file: a transform's variant ``seed`` of every problem."""

    path: Path
    transform: str
    category: str
    seed: int


@dataclass(frozen=True)
class ReleasedVariant:
    """One row of a released file, as a perturbation of its nominal problem (what a case batch needs)."""

    transform: str
    category: str
    seed: int
    nominal: Problem
    perturbed: Problem

    @property
    def size(self) -> int:
        """ReCode's files do not say how many edits a row holds: 1 when the prompt changed, else 0."""
        return int(self.nominal.prompt != self.perturbed.prompt)

    def prompt_diff(self) -> str:
        return "".join(difflib.unified_diff(
            self.nominal.prompt.splitlines(keepends=True), self.perturbed.prompt.splitlines(keepends=True),
            fromfile=f"{self.nominal.task_id} (nominal)", tofile=f"{self.nominal.task_id} ({self.transform})"))


def released_files(directory: str | os.PathLike[str], dataset: str, transforms: Sequence[str],
                   seeds: range) -> list[ReleasedFile]:
    """The released files of ``dataset`` under ``directory`` for the chosen transforms and seeds, in the order
    of ``transforms`` then seed. Raises :class:`DatasetError` when the layout is not ReCode's."""
    root = Path(directory) / dataset
    if not root.is_dir():
        found = sorted(p.name for p in Path(directory).iterdir() if p.is_dir()) if Path(directory).is_dir() else []
        raise DatasetError(f"--recode-data {directory}: no folder {dataset!r} in it (ReCode's layout is "
                           f"DIR/<dataset>/<folder>/<dataset>_<Transform>_s<seed>.jsonl; folders found: "
                           f"{', '.join(found) or 'none'}).")
    category_of_folder = {folder: category for category, folder in RECODE_FOLDERS.items()}
    found_files: dict[tuple[str, int], ReleasedFile] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        category = category_of_folder.get(folder.name)
        if category is None:
            continue
        for path in sorted(folder.glob("*.jsonl")):
            match = _FILE.match(path.name)
            if match is None or match["dataset"] != dataset:
                continue
            found_files[(match["transform"], int(match["seed"]))] = ReleasedFile(
                path, match["transform"], category, int(match["seed"]))
    if not found_files:
        raise DatasetError(f"--recode-data {directory}: no file like {dataset}/<folder>/{dataset}_<Transform>_s<seed>"
                           f".jsonl under it (folders: {', '.join(sorted(category_of_folder))}).")
    return [found_files[(name, seed)] for name in transforms for seed in seeds if (name, seed) in found_files]


def partial_nominals(directory: str | os.PathLike[str], dataset: str,
                     nominal: Mapping[str, Problem]) -> dict[str, Problem]:
    """The baseline of the syntax and format rows, per task id: ``DIR/<dataset>_partial.jsonl``'s partial-code
    prompt, or the nominal problem itself where that file's ``partial`` field is null."""
    import json

    path = Path(directory) / f"{dataset}_partial.jsonl"
    problems = {p.task_id: p for p in read_jsonl(path, dataset=dataset)}
    partial: dict[str, Problem] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                task_id = row["task_id"]
                if row.get("partial") is None and task_id in nominal:
                    partial[task_id] = nominal[task_id]
                else:
                    partial[task_id] = problems[task_id].with_changes(partial=True)
    return partial


def read_released(files: Sequence[ReleasedFile], dataset: str, nominal: Mapping[str, Problem],
                  partial: Mapping[str, Problem]) -> dict[str, list[ReleasedVariant]]:
    """Every row of the files whose problem is in ``nominal``, grouped by task id (in file order)."""
    variants: dict[str, list[ReleasedVariant]] = {}
    for released in files:
        baselines = partial if released.category in PARTIAL_CODE_CATEGORIES else nominal
        for row in read_jsonl(released.path, dataset=dataset):
            if row.task_id not in nominal:
                continue
            base = baselines.get(row.task_id)
            if base is None:
                raise DatasetError(f"{released.path}: {row.task_id} has no partial-code baseline in the "
                                   f"<dataset>_partial.jsonl file beside the folders.")
            variants.setdefault(row.task_id, []).append(ReleasedVariant(
                released.transform, released.category, released.seed, base, row.with_changes(partial=base.partial)))
    return variants
