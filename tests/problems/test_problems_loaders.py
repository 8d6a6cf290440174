"""Loading the datasets by name and by path."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from pytest_recode import DatasetError, InvalidArgument, Problem, load_problems
from pytest_recode.problems import DATASETS, MBPP_PATH_ENV, read_jsonl

ROW = {
    "task_id": "mine/0",
    "prompt": 'def double(x: int) -> int:\n    """Twice x.\n    >>> double(2)\n    4\n    """\n',
    "entry_point": "double",
    "canonical_solution": "    y = x + x\n    return y\n",
    "test": "def check(candidate):\n    assert candidate(2) == 4\n",
}


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_humaneval_from_the_installed_package() -> None:
    problems = load_problems("humaneval")
    assert len(problems) == 164
    assert [p.task_id for p in problems] == [f"HumanEval/{i}" for i in range(164)]
    first = problems[0]
    assert first.entry_point == "has_close_elements" and first.dataset == "humaneval" and not first.partial
    assert first.prompt.startswith("from typing import List\n\n\ndef has_close_elements(")
    assert first.canonical_solution.startswith("    for idx, elem in enumerate(numbers):\n")
    assert "def check(candidate):" in first.test


def test_mbpp_from_a_path(mbpp_path: str) -> None:
    problems = load_problems("mbpp", mbpp_path=mbpp_path)
    assert len(problems) == 974
    assert {p.dataset for p in problems} == {"mbpp"}
    assert problems[0].task_id == "MBPP/1" and problems[-1].task_id == "MBPP/974"


def test_mbpp_from_the_environment_variable(mbpp_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MBPP_PATH_ENV, mbpp_path)
    assert len(load_problems("mbpp")) == 974


def test_mbpp_without_a_path_says_how_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MBPP_PATH_ENV, raising=False)
    with pytest.raises(DatasetError) as info:
        load_problems("mbpp")
    message = str(info.value)
    assert "mbpp_wtest.jsonl" in message
    for way in ("mbpp_path=...", MBPP_PATH_ENV, "--recode-mbpp-path", "--mbpp-path"):
        assert way in message


def test_builtin_set() -> None:
    problems = load_problems("builtin")
    assert len(problems) >= 24
    assert all(isinstance(p, Problem) and p.dataset == "builtin" for p in problems)


def test_a_path_as_str_or_pathlike_names_the_dataset_after_the_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "mine.jsonl", [ROW])
    for argument in (path, str(path)):
        (problem,) = load_problems(argument)
        assert problem == Problem(ROW["task_id"], ROW["prompt"], ROW["entry_point"],  # type: ignore[arg-type]
                                  ROW["canonical_solution"], ROW["test"], dataset="mine")  # type: ignore[arg-type]


def test_gzipped_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "zipped.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(ROW) + "\n")
    (problem,) = load_problems(path)
    assert problem.task_id == "mine/0" and problem.dataset == "zipped"


def test_extra_fields_and_blank_lines_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "extra.jsonl"
    path.write_text("\n" + json.dumps({**ROW, "partial": None, "note": 3}) + "\n\n   \n", encoding="utf-8")
    assert [p.task_id for p in read_jsonl(path)] == ["mine/0"]


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(ROW).encode() + b"\n")
    assert [p.task_id for p in read_jsonl(path)] == ["mine/0"]


def test_read_jsonl_takes_a_dataset_name(tmp_path: Path) -> None:
    (problem,) = read_jsonl(write_jsonl(tmp_path / "x.jsonl", [ROW]), dataset="custom-set")
    assert problem.dataset == "custom-set"


@pytest.mark.parametrize("name", ["HumanEval", "human_eval", "human-eval"])
def test_misspelt_dataset_names_list_the_names_and_suggest_one(name: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        load_problems(name)
    assert str(info.value) == (
        f"name_or_path={name!r} is neither a dataset name (builtin, humaneval, mbpp) nor an existing file. "
        "Did you mean 'humaneval'?"
    )


def test_unknown_dataset_name_lists_the_names() -> None:
    with pytest.raises(InvalidArgument, match=r"name_or_path='apps' is neither a dataset name "
                                              r"\(builtin, humaneval, mbpp\) nor an existing file\.$"):
        load_problems("apps")
    assert DATASETS == ("builtin", "humaneval", "mbpp")


def test_wrong_type_of_name() -> None:
    with pytest.raises(InvalidArgument, match=r"name_or_path=3 must be one of \['builtin', 'humaneval', 'mbpp'\]"):
        load_problems(3)  # type: ignore[arg-type]


def test_problem_records_are_immutable_and_build_test_programs() -> None:
    problem = load_problems("builtin")[0]
    with pytest.raises(AttributeError):
        problem.prompt = ""  # type: ignore[misc]
    changed = problem.with_changes(prompt="x")
    assert changed.prompt == "x" and problem.prompt != "x"
    program = problem.test_program(problem.canonical_solution)
    assert program == (f"{problem.prompt}{problem.canonical_solution}\n\n{problem.test}\n\n"
                       f"check({problem.entry_point})\n")
    namespace: dict[str, object] = {}
    exec(program, namespace)  # passes
