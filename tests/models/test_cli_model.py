from __future__ import annotations

from pathlib import Path

import pytest

from pytest_recode.cli import main

pytest.importorskip("transformers")


def test_tiny_then_check(tmp_path: Path, capsys: pytest.CaptureFixture[str], one_thread: None) -> None:
    target = tmp_path / "tiny"
    assert main(["model", "tiny", str(target), "--arch", "gpt2", "--layers", "1"]) == 0
    out = capsys.readouterr().out
    assert f"wrote a tiny gpt2 model to {target}" in out and f"try it: pytest --recode-model={target}" in out
    assert main(["model", "check", str(target), "--device", "cpu", "--max-new-tokens", "4"]) == 0
    out = capsys.readouterr().out
    assert "fingerprint: hf:" in out and "def add(a: int, b: int) -> int:" in out


def test_check_reports_a_missing_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "check", str(tmp_path / "nope")]) == 2
    assert "no such directory" in capsys.readouterr().err
