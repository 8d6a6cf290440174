"""The ``recode`` command itself: version, help, and errors as one line on stderr."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pytest_recode import __version__
from pytest_recode.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"recode {__version__}\n"


def test_help_lists_every_sub_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("exec", "model", "perturb", "problems", "transforms"):
        assert f"    {command}" in out


def test_no_sub_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert capsys.readouterr().out.startswith("usage: recode")


def test_a_recode_error_is_one_line_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["problems", "--dataset", "no-such-dataset"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "recode problems: error: name_or_path='no-such-dataset' is neither a dataset name (builtin, humaneval, "
        "mbpp) nor an existing file.\n"
    )


def test_the_console_script_runs() -> None:
    completed = subprocess.run([sys.executable, "-m", "pytest_recode", "--version"], capture_output=True, text=True)
    assert (completed.returncode, completed.stdout) == (0, f"recode {__version__}\n")
