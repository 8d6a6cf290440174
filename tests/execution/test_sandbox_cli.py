"""``recode exec``: one program file in, one JSON object out; bad input gets a clear status."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_recode.cli import main


def recode_exec(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    status = main(["exec", *args])
    out, err = capsys.readouterr()
    assert err == "" and out.count("\n") == 1
    return status, json.loads(out)


def write(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "program.py"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


def test_a_passing_program(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, result = recode_exec(capsys, write(tmp_path, "print('hi')\nassert 1 + 1 == 2\n"))
    assert status == 0
    assert set(result) == {"status", "duration_s", "exception_type", "message", "stdout", "stderr", "notes",
                           "traceback"}
    assert (result["status"], result["stdout"], result["exception_type"]) == ("passed", "hi\n", None)
    assert 0 < result["duration_s"] < 3


def test_a_failing_program(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, result = recode_exec(capsys, write(tmp_path, "assert 1 == 2, 'no'\n"))
    assert (status, result["status"], result["exception_type"], result["message"]) == (1, "failed", "AssertionError", "no")


def test_exit_0_before_the_end_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, result = recode_exec(capsys, write(tmp_path, "import sys\nsys.exit(0)\nassert False\n"))
    assert (status, result["status"], result["exception_type"]) == (1, "failed", "SystemExit")


def test_timeout(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, result = recode_exec(capsys, write(tmp_path, "while True:\n    pass\n"), "--timeout", "0.3")
    assert (status, result["status"], result["message"]) == (1, "timeout", "killed after 0.3 s of wall-clock time")


def test_a_program_that_does_not_parse(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, result = recode_exec(capsys, write(tmp_path, "def f(:\n"))
    assert (status, result["status"], result["exception_type"]) == (1, "failed", "SyntaxError")
    assert result["message"] == "invalid syntax (program.py, line 1)"


def test_a_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.py")
    status, result = recode_exec(capsys, missing)
    assert (status, result["status"], result["exception_type"], result["duration_s"]) == (
        2, "failed", "FileNotFoundError", 0.0)
    assert result["message"] == f"cannot read {missing!r}: No such file or directory"


def test_a_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, result = recode_exec(capsys, str(tmp_path))
    assert (status, result["exception_type"]) == (2, "IsADirectoryError")


def test_non_utf8_source(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, b"x = '\xff'\n")
    status, result = recode_exec(capsys, path)
    assert (status, result["status"], result["exception_type"]) == (1, "failed", "SyntaxError")
    assert result["message"] == (f"{path} is not valid source text (invalid or missing encoding declaration); "
                                 "save it as UTF-8 or declare its encoding in a coding comment")


def test_a_declared_encoding_is_honoured(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path, b"# -*- coding: latin-1 -*-\nprint(len('\xe9'))\n")
    status, result = recode_exec(capsys, path)
    assert (status, result["stdout"]) == (0, "1\n")


def test_standard_input(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"print(6 * 7)\n")))
    status, result = recode_exec(capsys, "-")
    assert (status, result["stdout"]) == (0, "42\n")


@pytest.mark.parametrize("backend", ["subprocess", pytest.param("docker", marks=pytest.mark.docker)])
def test_other_backends(capsys: pytest.CaptureFixture[str], tmp_path: Path, backend: str) -> None:
    if backend == "docker":
        from sandbox_support import skip_without_docker

        skip_without_docker()
    status, result = recode_exec(capsys, write(tmp_path, "print('hi')\n"), "--sandbox", backend)
    assert (status, result["status"], result["stdout"]) == (0, "passed", "hi\n")


def test_a_missing_image_is_an_error_that_says_what_to_do(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status = main(["exec", write(tmp_path, "x = 1\n"), "--sandbox", "docker", "--docker-image", "recode-no-such:0"])
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err.startswith("recode exec: error: ")
    assert "scripts/build-sandbox-image.sh" in err


DESCRIBING_STEP_REPLACED = """\
import gc, sys, types
gc.unfreeze()
modules = [m for m in gc.get_objects() if isinstance(m, types.ModuleType)] + list(sys.modules.values())
spaces = [vars(m) for m in modules]
spaces += [o for o in gc.get_objects() if isinstance(o, dict) and "__builtins__" in o]
for space in spaces:
    if str(space.get("__name__", "")).startswith("recode_sandbox"):
        for name in ("_describe", "_raised", "message_of", "_traceback"):
            if name in space:
                space[name] = lambda *args, **kwargs: {"status": "passed", "k": "end"}
assert False, "this program fails"
"""


def test_replacing_the_sandboxs_describing_step_does_not_make_a_failure_pass(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # (Its failure, described by what it put in the sandbox's place, is no longer text: tampering.)
    status, result = recode_exec(capsys, write(tmp_path, DESCRIBING_STEP_REPLACED))
    assert (status, result["status"], result["exception_type"]) == (1, "failed", "SandboxTampering")
