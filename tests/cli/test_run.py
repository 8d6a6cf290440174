"""``recode run`` and ``recode report`` end to end on the built-in problems with a callable model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_checks import check_reports

from run_models import SMALL, TRANSFORMS

from pytest_recode.cli import main


def run(out: Path, *extra: str, model: str = "python:run_models:builtin") -> int:
    return main(["run", "--model", model, *SMALL, "--out", str(out), *extra])


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    assert run(out) == 0
    return out


def test_a_run_writes_results_and_reports(reference_run: Path) -> None:
    assert sorted(p.name for p in reference_run.iterdir()) == ["report.html", "report.json", "report.md",
                                                                 "results.json"]
    results = json.loads((reference_run / "results.json").read_text())
    assert results["settings"]["transforms"] == TRANSFORMS
    assert results["model"]["spec"] == "python:run_models:builtin"
    assert results["model"]["fingerprint"].startswith("builtin-reference:reference:")
    assert results["dataset"] == {"name": "builtin", "problems": 6}
    assert [p["task_id"] for p in results["problems"]] == [f"builtin/{i}" for i in range(6)]
    # every case records each completion's result, its seed, its recipe and its verdict
    case = results["cases"][0]
    assert set(case) >= {"task_id", "transform", "category", "seed", "nominal", "perturbed", "recipe", "verdict"}
    assert {c["verdict"] for c in results["cases"]} <= {"equivalent", "differs"}


def test_every_figure_equals_the_metrics_recomputed_from_results(reference_run: Path) -> None:
    figures = check_reports(reference_run)
    # The memorising reference model breaks where a variable of the partial code is renamed.
    assert figures["categories"]["syntax"]["robust_pass"] < 1.0
    assert figures["categories"]["docstring"]["robust_pass"] == 1.0


def test_recode_report_writes_the_same_files_again(reference_run: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(reference_run / "results.json"), "--out", str(tmp_path)]) == 0
    for name in ("report.json", "report.md", "report.html"):
        assert (tmp_path / name).read_bytes() == (reference_run / name).read_bytes(), name
    capsys.readouterr()
    assert main(["report", str(reference_run), "--format", "md"]) == 0
    assert capsys.readouterr().out == (reference_run / "report.md").read_text()


def test_the_failing_variants_are_shown_with_their_diffs(reference_run: Path) -> None:
    results = json.loads((reference_run / "results.json").read_text())
    examples = results["examples"]
    assert examples and all(e["source"] == "seeded" for e in examples)
    assert {e["transform"] for e in examples} == {"VarRenamerNaive"}
    assert len(examples) <= 3  # at most three per transform
    page = (reference_run / "report.html").read_text()
    assert examples[0]["prompt_diff"].splitlines()[0] in page
    assert '<span class="added">+' in page and "VAR_0" in page


def test_a_finished_run_is_not_run_again(reference_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (reference_run / "results.json").read_bytes()
    capsys.readouterr()
    assert run(reference_run) == 0
    assert "0 completions generated in 0 model calls" in capsys.readouterr().out
    assert (reference_run / "results.json").read_bytes() == before


def test_sampled_completions_give_figures_at_each_k(tmp_path: Path) -> None:
    assert run(tmp_path, "--n-samples", "3", "--temperature", "0.8", "--k", "1,2") == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert {len(c["nominal"]) for c in results["cases"]} == {3}
    assert [f["k"] for f in json.loads((tmp_path / "report.json").read_text())["figures"]] == [1, 2]
    check_reports(tmp_path)


@pytest.mark.parametrize(("extra", "message"), [
    (["--transform", "ChangeCharcase"], "--transform ChangeCharcase: no such transform; did you mean "
                                        "ChangeCharCase (see `recode transforms`)."),
    (["--category", "names"], "--category names: expected one of docstring, function_name, syntax, format."),
    (["--k", "3"], "k=3 needs at least 3 completions per prompt: give --n-samples 3 or more (now 1), or lower --k."),
    (["--shard", "4/3"], "shard 4/3: give I/N with 1 <= I <= N, e.g. 1/3."),
    (["--dataset", "no-such"], "name_or_path='no-such' is neither a dataset name (builtin, humaneval, mbpp) nor "
                               "an existing file."),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str],
                                          message: str) -> None:
    out = tmp_path / "out"
    assert run(out, *extra) == 2
    assert capsys.readouterr().err == f"recode run: error: {message}\n"
    assert not out.exists() or not any(out.iterdir())  # nothing written


def test_an_unwritable_out_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert run(blocker / "out") == 2
    expected = f"recode run: error: --out {blocker / 'out'}: cannot write there: Not a directory.\n"
    assert capsys.readouterr().err == expected


def test_other_arguments_do_not_overwrite_a_run(reference_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert run(reference_run, "--base-seed", "1") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"recode run: error: {reference_run} holds the results of a run with other arguments: "
                          "they differ in settings.base_seed (0 and 1)")
    assert err.count("\n") == 1


@pytest.mark.parametrize("content", [None, "{not json", '{"format": "something else"}',
                                     '{"format": "pytest-recode results", "version": 1, "cases": [{"task_id": 1}]}'])
def test_a_missing_or_corrupt_results_file_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  content: str | None) -> None:
    path = tmp_path / "results.json"
    if content is not None:
        path.write_text(content)
    for command in (["report", str(path), "--out", str(tmp_path / "out")], ["compare", str(path), str(path)]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"recode {command[0]}: error: {path}") and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


def test_progress_bars_stay_quiet_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from pytest_recode.cli._progress import progress_bars

    bar = progress_bars()("generating", 10, "prompts")
    bar.advance(4)
    bar.close()
    assert capsys.readouterr().err == ""
