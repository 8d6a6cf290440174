"""The pytest side: --recode-report, --recode-baseline/--recode-max-drop and --recode-shard, with and without xdist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_checks import check_reports

CONFTEST = """
import os

from pytest_recode import ReferenceModel, load_problems


class NoTabs:
    '''The reference model, except for prompts indented with tabs.'''

    name = "no-tabs"

    def __init__(self):
        self.model = ReferenceModel(load_problems("builtin"))

    def fingerprint(self):
        return "no-tabs"

    def complete(self, prompts, config):
        answers = self.model.complete(prompts, config)
        return [["\\tpass\\n"] if "\\n\\t" in p else a for p, a in zip(prompts, answers)]


def pytest_recode_load_model(config, settings):
    if os.environ.get("RECODE_TEST_MODEL") == "no-tabs":
        return NoTabs()
    return ReferenceModel(load_problems("builtin"))
"""

SUITE = """
import os
from pytest_recode import recode_robust

@recode_robust(dataset="builtin", limit=4, transforms=["ChangeCharCase", "VarRenamerNaive", "tab_indent"],
               search="seeded")
def test_robust(recode_case):
    if os.environ.get("CRASH_ON") == recode_case.problem.task_id:
        os._exit(1)  # the worker dies
    recode_case.assert_robust_pass()
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    pytester.makeini("[pytest]\nrecode_sandbox_workers = 1\nrecode_database = off\n")
    return pytester


def test_a_session_writes_results_and_reports(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--recode-report=out")
    result.assert_outcomes(passed=1, failed=3)  # VarRenamerNaive breaks the memorised solutions
    result.stdout.fnmatch_lines(["recode: wrote results.json, report.json, report.md, report.html to *out"])
    out = suite.path / "out"
    figures = check_reports(out)
    assert figures["categories"]["docstring"]["robust_pass"] == 1.0
    results = json.loads((out / "results.json").read_text())
    assert results["settings"]["source"] == "pytest"
    assert results["model"] == {"spec": None, "name": "reference", "fingerprint": results["model"]["fingerprint"]}
    assert [p["task_id"] for p in results["problems"]] == [f"builtin/{i}" for i in range(4)]
    assert results["unfinished"] == []


def test_items_left_out_by_k_are_not_unfinished(suite: pytest.Pytester) -> None:
    suite.runpytest("--recode-report=out", "-k", "builtin/1").assert_outcomes(failed=1)
    results = json.loads((suite.path / "out" / "results.json").read_text())
    assert results["unfinished"] == [] and {c["task_id"] for c in results["cases"]} == {"builtin/1"}


@pytest.mark.slow  # two pytest sessions, one of them with two xdist workers in a fresh interpreter
def test_xdist_workers_give_the_same_results(suite: pytest.Pytester) -> None:
    suite.runpytest("--recode-report=alone").assert_outcomes(passed=1, failed=3)
    suite.runpytest_subprocess("-n", "2", "--recode-report=spread").assert_outcomes(passed=1, failed=3)
    alone, spread = (json.loads((suite.path / name / "results.json").read_text()) for name in ("alone", "spread"))
    for data in (alone, spread):
        data.pop("created")
    assert spread == alone


@pytest.mark.slow  # xdist workers in a fresh interpreter, one of them started again after the crash
def test_a_crashed_worker_loses_only_its_item_and_the_report_lists_it(suite: pytest.Pytester,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRASH_ON", "builtin/2")
    result = suite.runpytest_subprocess("-n", "2", "--recode-report=out")
    result.assert_outcomes(passed=1, failed=3)  # the crashed item counts as failed
    nodeid = "test_suite.py::test_robust[builtin/2]"
    result.stdout.fnmatch_lines([f"recode: 1 item never finished (listed in the report): {nodeid}"])
    results = json.loads((suite.path / "out" / "results.json").read_text())
    assert results["unfinished"] == [nodeid]
    assert sorted({c["task_id"] for c in results["cases"]}) == ["builtin/0", "builtin/1", "builtin/3"]
    assert f"<code>{nodeid}</code>" in (suite.path / "out" / "report.html").read_text()


def test_the_baseline_gate_fails_the_session_when_robust_pass_drops(suite: pytest.Pytester,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    suite.runpytest("--recode-report=base").assert_outcomes(passed=1, failed=3)
    same = suite.runpytest("--recode-baseline=base/report.json")
    same.stdout.fnmatch_lines(["recode: against *report.json: no Robust Pass dropped by more than 0.02"])
    monkeypatch.setenv("RECODE_TEST_MODEL", "no-tabs")
    worse = suite.runpytest("--recode-baseline=base/results.json")
    worse.stdout.fnmatch_lines(["recode: against *results.json: Robust Pass dropped by more than 0.02 in category "
                                "format at k=1 (1.000 -> 0.000, -1.000); transform tab_indent at k=1 (1.000 -> 0.000, -1.000)"])
    assert worse.ret == pytest.ExitCode.TESTS_FAILED
    lenient = suite.runpytest("--recode-baseline=base/results.json", "--recode-max-drop=1")
    lenient.stdout.fnmatch_lines(["recode: against *: no Robust Pass dropped by more than 1"])


def test_shards_split_the_items(suite: pytest.Pytester) -> None:
    kept = []
    for shard in ("1/2", "2/2"):
        result = suite.runpytest("--collect-only", "-q", f"--recode-shard={shard}")
        result.stdout.fnmatch_lines(["2/4 tests collected (2 deselected)*"])
        kept.append({line for line in result.outlines if "::test_robust[" in line})
    assert kept[0] | kept[1] == {f"test_suite.py::test_robust[builtin/{i}]" for i in range(4)}
    assert not kept[0] & kept[1]


def test_shards_of_a_session_merge_into_the_whole(suite: pytest.Pytester) -> None:
    from pytest_recode.cli import main

    suite.runpytest("--recode-report=whole")
    for shard in ("1/2", "2/2"):
        suite.runpytest(f"--recode-shard={shard}", f"--recode-report=shard{shard[0]}")
    assert main(["merge", str(suite.path / "shard1"), str(suite.path / "shard2"), "--out",
                 str(suite.path / "merged")]) == 0
    merged, whole = (json.loads((suite.path / name / "results.json").read_text()) for name in ("merged", "whole"))
    for data in (merged, whole):
        data.pop("created")
    assert merged == whole


@pytest.mark.parametrize(("option", "message"), [
    ("--recode-shard=3/2", "--recode-shard=3/2: give I/N with 1 <= I <= N, e.g. 1/3."),
    ("--recode-max-drop=2", "--recode-max-drop=2: expected a share between 0 and 1 (0.02 allows two points)."),
    ("--recode-baseline=missing.json", "--recode-baseline=*missing.json: *missing.json: no such results or report "
                                       "file."),
])
def test_bad_options_are_one_usage_error(suite: pytest.Pytester, option: str, message: str) -> None:
    result = suite.runpytest(option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_an_unwritable_report_directory_is_a_usage_error(suite: pytest.Pytester) -> None:
    Path(suite.path, "file").write_text("")
    result = suite.runpytest("--recode-report=file/out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --recode-report=*file/out: cannot write there: Not a directory."])
