"""Perturbed datasets in ReCode's layout and field names, and the preservation check."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from shared_data import SHARED_DATA
from typing import Any

import pytest

from pytest_recode.execution import RunResult, Sandbox, SandboxConfig, Status
from pytest_recode.problems import join_at_marker, load_problems
from pytest_recode.pipeline._dataset import (
    Variant,
    base_problems,
    check_variants,
    perturb_dataset,
    recode_path,
    recode_row,
    write_partial_nominal,
    write_variants,
)
from pytest_recode.transforms import RECODE_FOLDERS, Perturbation, get_transform, make_transforms
from pytest_recode.transforms._code import CodeTransform

HUMANEVAL = load_problems("humaneval")
SOME = [HUMANEVAL[i] for i in (0, 2, 12, 33)]  # HumanEval/2 has a one-line body: no partial variant
REFERENCE = Path(SHARED_DATA) / "recode-reference"


class InProcess(Sandbox):
    """Runs the trusted canonical programs of these tests in this process."""

    def __init__(self) -> None:
        self.config = SandboxConfig()
        self.programs: list[str] = []

    def run(self, program: str, *, timeout: float | None = None) -> RunResult:
        raise NotImplementedError

    def run_tests(self, program: str, test: str, entry_point: str, *, timeout: float | None = None) -> RunResult:
        self.programs.append(program)
        namespace: dict[str, Any] = {}
        try:
            exec(program + "\n" + test, namespace)  # noqa: S102 - canonical solutions
            namespace["check"](namespace[entry_point])
        except Exception as exc:  # noqa: BLE001
            return RunResult(Status.FAILED, 0.0, type(exc).__name__, str(exc))
        return RunResult(Status.PASSED, 0.0)

    def call(self, program: str, entry_point: str, inputs: Sequence[Sequence[Any]], *,
             timeout: float | None = None) -> Any:
        raise NotImplementedError


def test_paths_follow_recodes_layout(tmp_path: Path) -> None:
    expected = {
        "SynonymSubstitution": "humaneval/nlaugmenter/humaneval_SynonymSubstitution_s3.jsonl",
        "FuncRenameCamelCase": "humaneval/func_name/humaneval_FuncRenameCamelCase_s3.jsonl",
        "DeadCodeInserter": "humaneval/natgen/humaneval_DeadCodeInserter_s3.jsonl",
        "tab_indent": "humaneval/format/humaneval_tab_indent_s3.jsonl",
    }
    for name, relative in expected.items():
        assert recode_path(tmp_path, "humaneval", get_transform(name), 3) == tmp_path / relative
    assert set(RECODE_FOLDERS.values()) == {"nlaugmenter", "func_name", "natgen", "format"}


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("ChangeCharCase", "nlaugmenter/humaneval_ChangeCharCase_s0.jsonl"),
        ("FuncRenameCamelCase", "func_name/humaneval_FuncRenameCamelCase_s0.jsonl"),
        ("VarRenamerNaive", "natgen/humaneval_VarRenamerNaive_s0.jsonl"),
        ("new_lines", "format/humaneval_new_lines_s0.jsonl"),
    ],
)
def test_rows_have_recodes_fields_in_recodes_order(name: str, reference: str) -> None:
    path = REFERENCE / "humaneval" / reference
    if not path.exists():
        pytest.skip(f"ReCode's reference data is not at {path}")
    with open(path, encoding="utf-8") as handle:
        theirs = list(json.loads(handle.readline()))
    transform = get_transform(name)
    variant = next(iter(perturb_dataset(transform, SOME[:1], 1)))
    assert list(recode_row(variant, transform.category)) == theirs


def test_partial_field_is_the_nominal_program_with_the_marker_or_none() -> None:
    transform = get_transform("VarRenamerNaive")
    rows = {v.nominal.task_id: recode_row(v, "syntax") for v in perturb_dataset(transform, SOME, 1)}
    partial = base_problems(SOME, "syntax")
    assert rows["HumanEval/0"]["partial"] == join_at_marker(partial[0])
    assert rows["HumanEval/2"]["partial"] is None  # a one-line body has no partial-code variant


def test_files_hold_every_problem_and_nominal_rows_where_not_applicable(tmp_path: Path) -> None:
    transform = get_transform("ForWhileTransformer")
    variants = list(perturb_dataset(transform, SOME, 5))
    assert {v.seed for v in variants} == {0}  # deterministic: one variant
    [path] = write_variants(tmp_path, "humaneval", transform, variants)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["task_id"] for r in rows] == [p.task_id for p in SOME]
    by_id = {v.nominal.task_id: v for v in variants}
    for row in rows:
        variant = by_id[row["task_id"]]
        assert row["prompt"] == variant.problem.prompt
        if not variant.changed:
            assert row["prompt"] == variant.nominal.prompt
    assert rows[0]["prompt"] != base_problems(SOME, "syntax")[0].prompt  # HumanEval/0 has loops


def test_randomized_transforms_write_one_file_per_seed(tmp_path: Path) -> None:
    transform = get_transform("new_lines")
    paths = write_variants(tmp_path, "humaneval", transform, perturb_dataset(transform, SOME, 3))
    assert [p.name for p in paths] == [f"humaneval_new_lines_s{s}.jsonl" for s in range(3)]


def test_docstring_rows_say_whether_the_prompt_changed() -> None:
    transform = get_transform("ChangeCharCase")
    for variant in perturb_dataset(transform, SOME, 2):
        row = recode_row(variant, "docstring")
        assert row["seed"] == variant.seed and row["perturbed"] == (row["prompt"] != variant.nominal.prompt)


def test_the_nominal_partial_file(tmp_path: Path) -> None:
    path = write_partial_nominal(tmp_path, "humaneval", SOME)
    assert path == tmp_path / "humaneval_partial.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["partial"] is None for r in rows] == [False, True, False, False]


def test_code_transforms_made_together_share_one_parse() -> None:
    transforms = make_transforms(["DeadCodeInserter", "tab_indent", "ChangeCharCase"])
    code = [t for t in transforms if isinstance(t, CodeTransform)]
    assert len(code) == 2 and code[0]._programs is code[1]._programs


def test_check_counts_what_still_passes_and_runs_each_program_once() -> None:
    transforms = make_transforms(["OperandSwap", "new_line_aftercode"])
    done = [(t, list(perturb_dataset(t, SOME, 5))) for t in transforms]
    sandbox = InProcess()
    report = check_variants(done, sandbox)
    assert len(sandbox.programs) == len(set(sandbox.programs))
    assert [(c.transform, c.rows, c.nominal_passing, c.still_passing) for c in report.checks] == [
        ("OperandSwap", 4, 4, 4),
        ("new_line_aftercode", 4, 4, 4),
    ]
    assert report.checks[1].perturbed == 4 and report.checks[1].not_applicable == 0
    assert (report.preserved, report.total) == (8, 8)


def test_check_reports_a_broken_variant() -> None:
    transform = get_transform("new_line_aftercode")
    variants = list(perturb_dataset(transform, SOME[:2], 1))
    first = variants[0].result
    assert isinstance(first, Perturbation)
    broken = first.perturbed.with_changes(canonical_solution="    return None\n")
    variants[0] = Variant(transform.name, 0, variants[0].nominal, dataclasses.replace(first, perturbed=broken))
    report = check_variants([(transform, variants)], InProcess())
    assert (report.preserved, report.total) == (1, 2)
    [(task_id, seed, detail)] = report.checks[0].failures
    assert task_id == "HumanEval/0" and seed == 0 and detail.startswith("failed: AssertionError")
