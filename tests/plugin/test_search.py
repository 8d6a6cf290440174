"""@recode_robust finds planted robustness bugs and shrinks them to exactly the planted perturbation."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from planted import BUG_NAMES, BUGS, bug

TESTS = Path(__file__).resolve().parent.parent

CONFTEST = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})

import pytest
from planted import PlantedModel, bug

@pytest.fixture(scope="session")
def recode_model():
    return PlantedModel({{planted}})
"""

SUITE = """
from pytest_recode import recode_robust

@recode_robust(dataset="humaneval", problems=["HumanEval/0"], transforms=[{transform!r}], mode="robust_pass")
def test_robust(recode_case):
    recode_case.check()
"""


def project(pytester: pytest.Pytester, planted: str | None, transform: str) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST.format(planted="None" if planted is None else f"bug({planted!r})"))
    pytester.makepyfile(test_suite=SUITE.format(transform=transform))
    pytester.makeini("[pytest]\nrecode_sandbox_workers = 1\n")
    return pytester


def minimal_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("Minimal failing perturbation:"))


@pytest.mark.parametrize("name", BUG_NAMES)
def test_the_planted_perturbation_is_what_is_reported(pytester: pytest.Pytester, name: str) -> None:
    planted = bug(name)
    result = project(pytester, name, planted.transform).runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    edits = f"{planted.size} edit{'s' if planted.size != 1 else ''}"
    assert minimal_line(out) == f"Minimal failing perturbation: {planted.transform} ({edits}) on HumanEval/0"
    recipe = re.search(r"--recode-replay=(\S+?)'?$", out, re.MULTILINE)
    assert recipe is not None and recipe.group(1).count(",") == planted.size - 1  # exactly the planted edits
    assert re.search(r"Found after \d+ examples? \(\d+ failures?\), shrunk in \d+ steps?, \d+ prompts generated in "
                     r"\d+ model calls?\.", out)
    result.stdout.fnmatch_lines(["minimal failing perturbations:",
                                 f"  test_suite.py::test_robust[[]HumanEval/0[]]: {planted.transform} ({edits}): *"])


def test_a_model_right_whatever_the_perturbation_passes_the_same_way_twice(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.format(planted="None"))
    pytester.makepyfile(test_suite="""
from pytest_recode import recode_robust

@recode_robust(dataset="humaneval", problems=["HumanEval/0"], mode="robust_pass",
               transforms=["ButterFingersPerturbation", "FuncRenameCamelCase", "ForWhileTransformer",
                           "DeadCodeInserter"], compose=2)
def test_robust(recode_case):
    recode_case.check()
""")
    first = pytester.runpytest("-p", "no:cacheprovider")
    first.assert_outcomes(passed=1)
    second = pytester.runpytest("-p", "no:cacheprovider")
    second.assert_outcomes(passed=1)
    judged = [line for line in first.stdout.lines if "examples searched" in line]
    assert judged and judged == [line for line in second.stdout.lines if "examples searched" in line]
    second.stdout.fnmatch_lines(["recode: 0 completions generated in 0 model calls, * from cache"])


def test_the_replay_line_pasted_at_the_rootdir_reproduces_the_failure_from_the_cache(
        pytester: pytest.Pytester) -> None:
    planted = bug("two_typos")
    result = project(pytester, planted.name, planted.transform).runpytest("-p", "no:cacheprovider")
    replay = next(line for line in result.stdout.lines if line.startswith("Replay: "))[len("Replay: "):]
    words = shlex.split(replay)
    assert words[:3] == ["python", "-m", "pytest"]
    done = subprocess.run([sys.executable, *words[1:], "-p", "no:cacheprovider"], cwd=pytester.path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout[-3000:]
    assert minimal_line(done.stdout) == minimal_line(result.stdout.str())
    assert "Found after 1 example (1 failure), shrunk in 0 steps, 0 prompts generated in 0 model calls." in done.stdout
    assert "recode: 0 completions generated in 0 model calls, 2 from cache" in done.stdout


def test_a_second_run_replays_the_stored_failure_first_and_generates_nothing(pytester: pytest.Pytester) -> None:
    planted = bug("two_typos")
    first = project(pytester, planted.name, planted.transform).runpytest("-p", "no:cacheprovider")
    stored = list((pytester.path / ".hypothesis" / "examples").rglob("*"))
    assert any(path.is_file() for path in stored)
    second = pytester.runpytest("-p", "no:cacheprovider")
    second.assert_outcomes(failed=1)
    assert minimal_line(second.stdout.str()) == minimal_line(first.stdout.str())
    second.stdout.fnmatch_lines(["recode: 0 completions generated in 0 model calls, * from cache"])


def test_xdist_finds_the_same_minimal_failures(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.format(planted="bug('typo')"))
    pytester.makepyfile(test_suite="""
from pytest_recode import recode_robust

@recode_robust(dataset="humaneval", problems=["HumanEval/0", "HumanEval/2"], mode="robust_pass",
               transforms=["ButterFingersPerturbation"])
def test_robust(recode_case):
    recode_case.check()
""")
    alone = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--recode-database=off")
    spread = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--recode-database=off", "-n", "2")
    alone.assert_outcomes(passed=1, failed=1)
    spread.assert_outcomes(passed=1, failed=1)
    assert minimal_line(alone.stdout.str()) == minimal_line(spread.stdout.str())

    def findings(out: str) -> list[str]:
        return [line for line in out.splitlines() if line.startswith("  test_suite.py::")]

    assert findings(alone.stdout.str()) == findings(spread.stdout.str())


def test_bugs_are_what_their_transforms_can_reach() -> None:
    assert {b.transform for b in BUGS} == {"ButterFingersPerturbation", "FuncRenameCamelCase", "ForWhileTransformer",
                                           "DeadCodeInserter"}
