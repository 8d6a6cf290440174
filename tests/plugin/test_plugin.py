"""The plugin end to end, in pytester sandboxes: items per problem, verdicts, failure reports, summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def literal(text: str) -> str:
    """``text`` as an fnmatch pattern that matches itself (brackets are pattern syntax)."""
    return text.replace("[", "[[]")


def constant_model(completion: str) -> str:
    """A conftest whose model completes every prompt with ``completion``."""
    return f"""
import pytest

@pytest.fixture(scope="session")
def recode_model():
    return lambda prompts: [{completion!r} for _ in prompts]
"""


CAMEL_TEST = """
from pytest_recode import recode_robust

@recode_robust(dataset="tiny.jsonl", transforms=["FuncRenameCamelCase"], mode="{mode}")
def test_names(recode_case):
    recode_case.check()
"""


def test_one_item_per_problem(tiny_project: pytest.Pytester) -> None:
    tiny_project.makepyfile(CAMEL_TEST.format(mode="equivalent"))
    result = tiny_project.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines([
        literal("test_one_item_per_problem.py::test_names[tiny/0]"),
        literal("test_one_item_per_problem.py::test_names[tiny/1]"),
        literal("test_one_item_per_problem.py::test_names[tiny/2]"),
        "3 tests collected*",
    ])


def test_rename_breaks_the_memorised_recursive_solution_only(tiny_project: pytest.Pytester) -> None:
    tiny_project.makepyfile(CAMEL_TEST.format(mode="equivalent"))
    result = tiny_project.runpytest("-rs")
    # tiny/0 recurses by its old name (broken), tiny/1 does not (robust), tiny/2 has a one-word name (skipped).
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines([
        "*Minimal failing perturbation: FuncRenameCamelCase (1 edit) on tiny/0",
        "*--- prompt diff (nominal -> perturbed) ---",
        "*-def sum_digits(n: int) -> int:",
        "*+def sumDigits(n: int) -> int:",
        "*-    >>> sum_digits(123)",
        "*+    >>> sumDigits(123)",
        "*--- perturbed completion ---",
        "*    return n % 10 + sum_digits(n // 10)",
        "*--- how they differ ---",
        # Every input the old name recurses on (n >= 10); how many the input set holds is the generator's affair.
        "*the model computes something else on the perturbed prompt: its completion differs on * of * inputs "
        "compared",
        "*  input:     sumDigits(123)",
        "*  nominal:   returned 6",
        "*  perturbed: raised NameError: name 'sum_digits' is not defined",
        "*  canonical: returned 6",
        "*  (its tests: nominal passed, perturbed failed (NameError: name 'sum_digits' is not defined))",
        "*Found after 1 example (1 failure), shrunk in 0 steps, 2 prompts generated in 1 model call.",
        literal("*Replay: python -m pytest 'test_rename_breaks_the_memorised_recursive_solution_only.py::"
                "test_names[tiny/0]' '--recode-replay=FuncRenameCamelCase[0]'"),
        "*SKIPPED*no transform changes tiny/2 (FuncRenameCamelCase)*",
    ])


def test_summary_counts_cases_and_completions(tiny_project: pytest.Pytester) -> None:
    tiny_project.makepyfile(CAMEL_TEST.format(mode="robust_pass"))
    result = tiny_project.runpytest()
    result.stdout.fnmatch_lines([
        "*recode: robustness summary*",
        "transform            category       problems  cases  pass@1  RP@1  RD@1  RR@1  equiv  differ  broken",
        "FuncRenameCamelCase  function_name         2      2    1.00  0.50  0.50  0.50      -       0       1",
        "",
        "category",
        "function_name                              2      2    1.00  0.50  0.50  0.50      -       0       1",
        "minimal failing perturbations:",
        "  test_summary_counts_cases_and_completions.py::test_names[[]tiny/0[]]: FuncRenameCamelCase (1 edit): "
        "FuncRenameCamelCase[[]0[]]",
        "recode: 2 examples searched, 1 failure in 1 problem, shrunk from 1.0 to 1.0 edits on average",
        "recode: 4 completions generated in 2 model calls, 0 from cache",
    ])


@pytest.mark.parametrize("mode", ["robust_pass", "equivalent"])
def test_a_model_that_solves_nothing_fails_the_session(tiny_project: pytest.Pytester, mode: str) -> None:
    # Every answer fails its tests, nominal and perturbed alike: nothing can be judged, and that is no pass.
    tiny_project.makeconftest(constant_model("    raise ValueError('no')\n"))
    tiny_project.makepyfile(CAMEL_TEST.format(mode=mode))
    result = tiny_project.runpytest("-rs")
    result.assert_outcomes(skipped=3)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "recode: 2 of 3 items skipped: the nominal completion fails its tests",
        "recode: the model is too weak for robustness to be judged: its nominal completions pass the tests of 0 of "
        "2 problems (0.00 < --recode-min-nominal=0.2).",
        literal("SKIPPED [1] test_a_model_that_solves_nothing_fails_the_session.py:3: tiny/0: nominal completion "
                "fails its tests: failed (ValueError: no)"),
    ])


def test_min_nominal_zero_turns_the_gate_off(tiny_project: pytest.Pytester) -> None:
    tiny_project.makeconftest(constant_model("    return None\n"))
    tiny_project.makepyfile(CAMEL_TEST.format(mode="robust_pass"))
    result = tiny_project.runpytest("--recode-min-nominal=0")
    result.assert_outcomes(skipped=3)
    assert result.ret == pytest.ExitCode.OK
    assert "too weak" not in result.stdout.str()


def test_without_a_model_the_error_says_how_to_give_one(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
from pytest_recode import recode_robust

@recode_robust(dataset="builtin", transforms=["FuncRenameCamelCase"], limit=1)
def test_names(recode_case):
    recode_case.check()
""")
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(["*pytest-recode has no model to test: pass --recode-model=PATH_OR_SPEC*"])
    assert result.ret != 0


def test_missing_model_directory_is_a_usage_error_before_collection(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("--recode-model=./no-such-model")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --recode-model: model='./no-such-model': no such directory: no-such-model."])


def test_directory_without_config_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.mkdir("empty-model")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("--recode-model=empty-model")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*holds no config.json, so it is not a transformers model directory*"])


@pytest.mark.parametrize("spelling", ["space", "equals"])
def test_model_directory_taken_for_the_rootdir_is_a_usage_error(tmp_path: Path, spelling: str) -> None:
    # With a space and no test path, pytest reads the option's value as a path while choosing its rootdir
    # (the plugin's options are not known yet then): the suite's ini would be skipped without a word.
    model = tmp_path / "model"
    model.mkdir()
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (model / name).write_text("{}")
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "pytest.ini").write_text("[pytest]\n")
    (suite / "test_it.py").write_text("def test_nothing():\n    pass\n")
    args = ["--recode-model", str(model)] if spelling == "space" else [f"--recode-model={model}"]
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
                          cwd=suite, capture_output=True, text=True, timeout=120)
    if spelling == "equals":
        assert done.returncode == pytest.ExitCode.OK, done.stdout + done.stderr
        return
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert done.stderr.strip() == (
        f"ERROR: pytest read the model directory of '--recode-model {model}' as a test path while choosing its "
        f"rootdir, so it skipped {suite / 'pytest.ini'} and chose rootdir {tmp_path}: write --recode-model={model} "
        "(with '=')."
    )


def test_python_model_spec_loads_a_callable(tiny_project: pytest.Pytester) -> None:
    tiny_project.makepyfile(
        my_model="def generate(prompts):\n    return ['    return None\\n' for _ in prompts]\n",
        test_it=CAMEL_TEST.format(mode="robust_pass"),
    )
    tiny_project.makeconftest("")
    result = tiny_project.runpytest("--recode-model=python:my_model:generate", "-p", "no:cacheprovider",
                                    "--recode-min-nominal=0", "-rs")
    result.assert_outcomes(skipped=3)
    result.stdout.fnmatch_lines(["*tiny/0: nominal completion fails its tests: failed (AssertionError*"])


def test_unknown_problem_ids_are_a_usage_error(tiny_project: pytest.Pytester) -> None:
    tiny_project.makepyfile("""
from pytest_recode import recode_robust

@recode_robust(dataset="tiny.jsonl", problems=["tiny/9"])
def test_names(recode_case):
    recode_case.check()
""")
    result = tiny_project.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([
        "*ERROR collecting test_unknown_problem_ids_are_a_usage_error.py*",
        literal("problems=['tiny/9']: tiny/9 is not in dataset 'tiny.jsonl' (its task ids look like 'tiny/0')."),
    ])
    assert "Traceback" not in result.stdout.str() and "_hookexec" not in result.stdout.str()


def test_limit_keeps_the_first_problems(tiny_project: pytest.Pytester) -> None:
    tiny_project.makepyfile("""
from pytest_recode import recode_robust

@recode_robust(dataset="tiny.jsonl", transforms=["FuncRenameCamelCase"], limit=2)
def test_names(recode_case):
    recode_case.check()
""")
    result = tiny_project.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines([literal("*test_names[tiny/0]"), literal("*test_names[tiny/1]"), "2 tests collected*"])


def test_disabling_the_plugin_removes_its_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "no:recode", "--recode-model=x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unrecognized arguments: --recode-model=x*"])


def test_plain_tests_are_untouched(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert "recode:" not in result.stdout.str()


def test_xdist_workers_report_to_one_summary(tiny_project: pytest.Pytester) -> None:
    tiny_project.makepyfile(CAMEL_TEST.format(mode="robust_pass"))
    result = tiny_project.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines([
        "function_name                              2      2    1.00  0.50  0.50  0.50      -       0       1",
        "recode: 4 completions generated in 2 model calls, 0 from cache",
    ])


def test_dataset_errors_are_reported_at_collection(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECODE_MBPP_PATH", raising=False)
    pytester.makepyfile("""
from pytest_recode import recode_robust

@recode_robust(dataset="mbpp")
def test_names(recode_case):
    recode_case.check()
""")
    result = pytester.runpytest()
    result.stdout.fnmatch_lines([
        "*dataset='mbpp': dataset 'mbpp' needs the path of ReCode's MBPP file (mbpp_wtest.jsonl): pass "
        "mbpp_path=..., set RECODE_MBPP_PATH, or give --recode-mbpp-path to pytest / --mbpp-path to recode.",
    ])
    assert "Traceback" not in result.stdout.str()


def test_a_second_run_takes_every_completion_from_the_cache(tiny_project: pytest.Pytester) -> None:
    tiny_project.makepyfile(CAMEL_TEST.format(mode="robust_pass"))
    tiny_project.runpytest().stdout.fnmatch_lines(["recode: 4 completions generated in 2 model calls, 0 from cache"])
    tiny_project.runpytest().stdout.fnmatch_lines(["recode: 0 completions generated in 0 model calls, 4 from cache"])
    assert tiny_project.path.joinpath(".recode-cache").is_dir()


def test_no_cache_and_clear_cache(tiny_project: pytest.Pytester) -> None:
    tiny_project.makepyfile(CAMEL_TEST.format(mode="robust_pass"))
    tiny_project.runpytest("--recode-no-cache").stdout.fnmatch_lines(["recode: 4 completions generated in 2 model calls, 0 from cache"])
    assert not tiny_project.path.joinpath(".recode-cache").exists()
    tiny_project.runpytest()
    tiny_project.runpytest("--recode-clear-cache").stdout.fnmatch_lines(
        ["recode: 4 completions generated in 2 model calls, 0 from cache"]
    )
