"""``recode run --recode-data``: ReCode's released perturbed files as the variants, every file of them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from report_checks import check_reports
from shared_data import SHARED_DATA

from pytest_recode import TRANSFORM_NAMES
from pytest_recode.cli import main

RELEASED = os.path.join(SHARED_DATA, "recode-reference")
pytestmark = pytest.mark.skipif(not os.path.isdir(RELEASED), reason=f"ReCode's released files not found at {RELEASED}")


def released_files() -> list[Path]:
    return sorted(Path(RELEASED, "humaneval").glob("*/*.jsonl"))


def run_released(out: Path, *extra: str) -> dict[str, object]:
    assert main(["run", "--model", "python:run_models:released", "--recode-data", RELEASED, "--seeds", "1",
                 "--workers", "2", "--no-cache", "--no-progress", "--out", str(out), *extra]) == 0
    return json.loads((out / "results.json").read_text())


def test_every_released_file_is_read_for_the_first_problems(tmp_path: Path) -> None:
    results = run_released(tmp_path, "--limit", "3")
    assert results["dataset"] == {"name": "humaneval", "problems": 3}
    assert len(released_files()) == 29
    transforms = {f.name.removeprefix("humaneval_").rsplit("_s", 1)[0] for f in released_files()}
    assert set(results["settings"]["transforms"]) == set(TRANSFORM_NAMES) == transforms
    cases = results["cases"]
    # one case per file and problem, counted as ReCode does (unchanged rows too)
    assert len(cases) == 29 * 3
    assert {(c["transform"], c["task_id"]) for c in cases} == {
        (t, f"HumanEval/{i}") for t in transforms for i in range(3)}
    # syntax and format rows are measured against ReCode's partial-code prompts; HumanEval/2 has none
    by_task = {p["task_id"]: p for p in results["problems"]}
    assert by_task["HumanEval/2"]["partial"] is None and by_task["HumanEval/0"]["partial"] == [True]
    partial = {(c["task_id"], c["partial"]) for c in cases if c["category"] in ("syntax", "format")}
    assert partial == {("HumanEval/0", True), ("HumanEval/1", True), ("HumanEval/2", False)}
    check_reports(tmp_path)


@pytest.mark.slow  # 164 problems x 29 files: about 4,800 programs
def test_every_released_file_works_on_every_problem(tmp_path: Path) -> None:
    results = run_released(tmp_path, "--batch-prompts", "4096")
    assert len(results["cases"]) == 29 * 164
    figures = check_reports(tmp_path)
    # Every row answered with its own reference solution: all nominal prompts pass, and a variant fails only
    # where ReCode's perturbation broke the problem, e.g. its synonym transforms turn the closing quotes of
    # the 88 docstrings without examples into `" " "`.
    assert figures["nominal"] == 1.0 and figures["nominal_partial"] == 1.0
    assert figures["transforms"]["SynonymSubstitution"]["broken"] == 88
    assert figures["transforms"]["ChangeCharCase"]["robust_pass"] == 1.0


def test_a_folder_not_in_recode_layout_is_one_line_and_exit_2(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--model", "python:run_models:released", "--recode-data", str(tmp_path), "--out",
                 str(tmp_path / "out"), "--no-cache", "--no-progress"]) == 2
    assert capsys.readouterr().err == (f"recode run: error: --recode-data {tmp_path}: no dataset folders in ReCode's "
                                       "layout (none); name one with --dataset.\n")
