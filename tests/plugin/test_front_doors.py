"""What a new user meets first: bad options, budgets over categories, what cannot run here, JUnit XML,
Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

SUITE = """
from pytest_recode import recode_robust

@recode_robust(dataset="tiny.jsonl", transforms=["FuncRenameCamelCase"], mode="robust_pass")
def test_names(recode_case):
    recode_case.check()
"""


@pytest.mark.parametrize(("option", "line"), [
    ("--recode-timeout=-1", "ERROR: --recode-timeout=-1: expected a positive number of seconds."),
    ("--recode-sandbox=bogus", "ERROR: --recode-sandbox=bogus: expected one of local, docker, subprocess."),
    ("--recode-sandbox=dockr",
     "ERROR: --recode-sandbox=dockr: expected one of local, docker, subprocess. Did you mean 'docker'?"),
    ("--recode-max-examples=0", "ERROR: --recode-max-examples=0: expected at least 1 perturbation per problem."),
    ("--recode-memory-mb=12", "ERROR: --recode-memory-mb=12: expected at least 64 (MiB)."),
    ("--recode-min-nominal=2", "ERROR: --recode-min-nominal=2: expected a share between 0 and 1 (0 disables the check)."),
    ("--recode-model=python:nomod:x",
     "ERROR: --recode-model: model='python:nomod:x': cannot import 'nomod': No module named 'nomod'"),
    ("--recode-replay=Bogus[1]", "ERROR: --recode-replay=Bogus[1]: 'Bogus' is not a transform."),
    ("--recode-timeout=abc", "ERROR: --recode-timeout='abc': expected a number."),
])
def test_a_bad_option_is_one_usage_error(tiny_project: pytest.Pytester, option: str, line: str) -> None:
    tiny_project.makepyfile(SUITE)
    result = tiny_project.runpytest(option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [text for text in result.stderr.lines if text.strip()] == [line]
    assert result.stdout.str().strip() == ""


def test_a_small_budget_covers_every_category(tiny_project: pytest.Pytester) -> None:
    tiny_project.makepyfile("""
from pytest_recode import recode_robust

@recode_robust(dataset="tiny.jsonl", problems=["tiny/1"], categories=["docstring", "function_name"],
               max_examples=3, search="seeded", mode="robust_pass")
def test_both(recode_case):
    recode_case.check()
""")
    result = tiny_project.runpytest()
    result.assert_outcomes(passed=1)
    rows = [line.split()[0] for line in result.stdout.lines if line.split()[1:2] in (["docstring"], ["function_name"])]
    assert rows == ["ButterFingersPerturbation", "ChangeCharCase", "FuncRenameCamelCase"]


def test_transforms_that_cannot_run_here_are_listed_with_what_they_need(tiny_project: pytest.Pytester) -> None:
    tiny_project.makepyfile("""
from pytest_recode import recode_robust

@recode_robust(dataset="tiny.jsonl", problems=["tiny/1"], transforms=["VarRenamerCB", "BackTranslation", "tab_indent"],
               search="seeded")
def test_them(recode_case):
    recode_case.check()
""")
    result = tiny_project.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["recode: not run here: BackTranslation (needs --recode-translation-models="
                                 "EN_DE_DIR,DE_EN_DIR); VarRenamerCB (needs --recode-masked-code-model=DIR)"])


def test_junit_xml_carries_json(tiny_project: pytest.Pytester) -> None:
    tiny_project.makepyfile(SUITE)
    tiny_project.runpytest("--junitxml=report.xml")
    root = ET.parse(tiny_project.path / "report.xml").getroot()
    suite = root.find("testsuite")
    assert suite is not None
    figures = {p.get("name"): json.loads(p.get("value") or "") for p in suite.iterfind("properties/property")}
    assert figures == {"recode:pass@1": 1.0, "recode:function_name:RP@1": 0.5, "recode:function_name:RD@1": 0.5,
                       "recode:function_name:RR@1": 0.5, "recode:function_name:equiv": None}
    items = {case.get("name"): {p.get("name"): p.get("value") for p in case.iterfind("properties/property")}
             for case in suite.iterfind("testcase")}
    cases = json.loads(items["test_names[tiny/0]"]["recode"])
    assert [(c["transform"], c["nominal"], c["perturbed"], c["failed"]) for c in cases] == [
        ("FuncRenameCamelCase", [True], [False], True)]
    assert json.loads(items["test_names[tiny/0]"]["recode_item"])["finding"]["recipe"] == "FuncRenameCamelCase[0]"


def test_ctrl_c_mid_run_ends_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture(scope='session')\ndef recode_model():\n"
        "    return lambda prompts: ['    import time\\n    time.sleep(2)\\n    return 1\\n' for _ in prompts]\n")
    (tmp_path / "test_slow.py").write_text(
        "from pytest_recode import recode_robust\n\n"
        "@recode_robust(dataset='builtin', transforms=['ButterFingersPerturbation'], limit=3)\n"
        "def test_x(recode_case):\n    recode_case.check()\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    process = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--recode-sandbox-workers=1"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    time.sleep(8)  # collection done, the first item's programs running
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == pytest.ExitCode.INTERRUPTED, out
    assert "Traceback" not in out and "Error" not in out.replace("KeyboardInterrupt", ""), out
    assert "!!! KeyboardInterrupt !!!" in out
