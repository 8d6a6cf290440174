"""A ``recode run`` killed (SIGKILL) half way and started again ends with the results of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from run_models import SMALL

from pytest_recode.pipeline._journal import JOURNAL_NAME

HERE = Path(__file__).parent


def command(out: Path) -> list[str]:
    # --no-cache: the journal alone must carry the finished problems over. One problem per model call.
    return [sys.executable, "-m", "pytest_recode", "run", "--model", "python:run_models:slow", *SMALL,
            "--batch-prompts", "8", "--out", str(out)]


def environment(delay: float) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
            "RECODE_TEST_DELAY": str(delay)}


def without_date(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text())
    data.pop("created")
    return data


@pytest.mark.slow  # three runs in fresh interpreters, one of them slowed down to be killed
def test_a_killed_run_continues_and_ends_with_the_same_results(tmp_path: Path) -> None:
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    done = subprocess.run(command(whole), env=environment(0), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    process = subprocess.Popen(command(killed), env=environment(1.0), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    journal = killed / JOURNAL_NAME
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if journal.exists() and len(journal.read_text().splitlines()) >= 3:  # the header and two problems
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert not (killed / "results.json").exists()
    finished_before = len(journal.read_text().splitlines()) - 1
    assert 2 <= finished_before < 6

    again = subprocess.run(command(killed), env=environment(0), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"recode run: resuming: {finished_before} of 6 problems were done" in again.stderr
    assert not journal.exists()
    assert without_date(killed / "results.json") == without_date(whole / "results.json")
    assert without_date(killed / "report.json") == without_date(whole / "report.json")
