"""`recode perturb`: files in ReCode's layout, and --check ending `preserved P of N`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_recode.cli import main
from pytest_recode.problems import load_problems


@pytest.fixture
def small_dataset(tmp_path: Path) -> Path:
    """Three HumanEval problems (one with a one-line body) as a jsonl file named like the dataset."""
    problems = load_problems("humaneval")[:3]
    path = tmp_path / "humaneval.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for p in problems:
            handle.write(json.dumps({"task_id": p.task_id, "prompt": p.prompt, "entry_point": p.entry_point,
                                     "canonical_solution": p.canonical_solution, "test": p.test}) + "\n")
    return path


def test_writes_recode_layout(small_dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["perturb", "--dataset", str(small_dataset), "--transform", "VarRenamerRN",
                 "--category", "format", "--seeds", "2", "--out", str(out)])
    assert code == 0
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.jsonl"))
    assert files == [
        "humaneval/format/humaneval_doc2comments_s0.jsonl",
        "humaneval/format/humaneval_new_line_aftercode_s0.jsonl",
        "humaneval/format/humaneval_new_line_afterdoc_s0.jsonl",
        "humaneval/format/humaneval_new_lines_s0.jsonl",
        "humaneval/format/humaneval_new_lines_s1.jsonl",
        "humaneval/format/humaneval_split_lines_s0.jsonl",
        "humaneval/format/humaneval_tab_indent_s0.jsonl",
        "humaneval/natgen/humaneval_VarRenamerRN_s0.jsonl",
        "humaneval/natgen/humaneval_VarRenamerRN_s1.jsonl",
        "humaneval_partial.jsonl",
    ]
    rows = [json.loads(line) for line in (out / files[-2]).read_text().splitlines()]
    assert [r["task_id"] for r in rows] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    assert set(rows[0]) == {"task_id", "prompt", "entry_point", "canonical_solution", "test", "partial"}
    output = capsys.readouterr().out
    assert "VarRenamerRN: 6 rows, " in output and "wrote 9 files under" in output


def test_check_ends_with_preserved_p_of_n(small_dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["perturb", "--dataset", str(small_dataset), "--transform", "OperandSwap",
                 "--transform", "FuncRenameCamelCase", "--check"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[-1] == "preserved 6 of 6"
    swap = next(line for line in out if line.startswith("OperandSwap"))
    assert swap.split()[1:] == ["seeds", "1", "rows", "3", "perturbed", "2", "not", "applicable", "1",
                                "still", "pass", "3", "of", "3"]


def test_unavailable_transforms_are_skipped_with_the_reason(small_dataset: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["perturb", "--dataset", str(small_dataset), "--transform", "VarRenamerCB"]) == 0
    assert capsys.readouterr().out.startswith("VarRenamerCB: skipped: needs a masked code model")


def test_nothing_chosen_is_a_usage_error(small_dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["perturb", "--dataset", str(small_dataset)]) == 2
    assert "give --transform NAME or --category CATEGORY" in capsys.readouterr().err


def test_unknown_transform_names_are_refused(small_dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["perturb", "--dataset", str(small_dataset), "--transform", "TabIndent"])
    assert "invalid choice" in capsys.readouterr().err
