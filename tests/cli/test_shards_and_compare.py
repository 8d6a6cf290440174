"""``recode run --shard`` merged by ``recode merge`` equals the unsharded run; ``recode compare`` gates drops."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_checks import check_reports
from run_models import SMALL

from pytest_recode.cli import main

FORMAT_AND_DOCSTRING = ["--dataset", "builtin", "--limit", "6", "--seeds", "1", "--workers", "1", "--no-cache",
                        "--no-progress", "--transform", "ChangeCharCase", "--transform", "tab_indent"]


def without_date(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text())
    data.pop("created")
    return data


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An unsharded run and its three shards, in one folder."""
    root = tmp_path_factory.mktemp("shards")
    base = ["run", "--model", "python:run_models:builtin", *SMALL]
    assert main([*base, "--out", str(root / "whole")]) == 0
    for i in (1, 2, 3):
        assert main([*base, "--shard", f"{i}/3", "--out", str(root / f"shard{i}")]) == 0
    return root


def test_three_shards_merged_equal_the_unsharded_run(runs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shards = [json.loads((runs / f"shard{i}" / "results.json").read_text()) for i in (1, 2, 3)]
    assert sorted(len(s["problems"]) for s in shards) == [2, 2, 2]
    assert [s["settings"]["shard"] for s in shards] == ["1/3", "2/3", "3/3"]
    capsys.readouterr()
    # the shards in any order
    assert main(["merge", str(runs / "shard3"), str(runs / "shard1"), str(runs / "shard2" / "results.json"),
                 "--out", str(runs / "merged")]) == 0
    assert capsys.readouterr().out.startswith("merged 3 shards: 6 problems,")
    assert without_date(runs / "merged" / "results.json") == without_date(runs / "whole" / "results.json")
    assert without_date(runs / "merged" / "report.json") == without_date(runs / "whole" / "report.json")
    check_reports(runs / "merged")


@pytest.mark.parametrize(("shards", "message"), [
    (["shard1", "shard2"], "shard 3/3 is missing; give the results of all 3."),
    (["shard1", "shard1", "shard2", "shard3"], "{root}/shard1 and {root}/shard1 are both shard 1/3."),
    (["whole"], "{root}/whole is not a shard (its run had no --shard); merge takes the shards of one run."),
    (["shard1", "other2", "shard3"], "{root}/shard1 and {root}/other2 are shards of different runs: they differ in "
                                     "settings.seeds (2 and 1)."),
])
def test_merge_refuses_shards_that_do_not_make_one_run(runs: Path, capsys: pytest.CaptureFixture[str],
                                                       shards: list[str], message: str) -> None:
    if "other2" in shards and not (runs / "other2").exists():
        assert main(["run", "--model", "python:run_models:builtin", *SMALL, "--seeds", "1", "--shard", "2/3",
                     "--out", str(runs / "other2")]) == 0
    capsys.readouterr()
    out = runs / "refused"
    assert main(["merge", *(str(runs / s) for s in shards), "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"recode merge: error: {message.format(root=runs)}\n"
    assert not out.exists()


def test_compare_fails_on_a_degraded_run_and_names_the_category(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    base, degraded = tmp_path / "base", tmp_path / "degraded"
    assert main(["run", "--model", "python:run_models:builtin", *FORMAT_AND_DOCSTRING, "--out", str(base)]) == 0
    assert main(["run", "--model", "python:run_models:no_tabs", *FORMAT_AND_DOCSTRING, "--out", str(degraded)]) == 0
    capsys.readouterr()
    assert main(["compare", str(base / "results.json"), str(degraded / "report.json")]) == 1
    out = capsys.readouterr().out
    assert "category   format" in out and "DROP" in out
    assert out.splitlines()[-1] == ("recode compare: Robust Pass dropped by more than 0.02 in category format at k=1 "
                                    "(1.000 -> 0.000, -1.000); transform tab_indent at k=1 (1.000 -> 0.000, -1.000)")
    # the same run against itself passes; a threshold above the drop passes too
    assert main(["compare", str(base / "report.json"), str(base / "results.json")]) == 0
    assert main(["compare", str(base), str(degraded), "--max-drop", "1"]) == 0
    assert main(["compare", str(base), str(degraded), "--max-drop", "2"]) == 2
    assert capsys.readouterr().err.endswith("recode compare: error: --max-drop=2.0: give a share between 0 and 1 "
                                            "(0.02 allows a drop of two points).\n")
