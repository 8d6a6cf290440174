"""`recode transforms`: the table of every transform, with availability and reasons."""

from __future__ import annotations

import pytest

from pytest_recode.cli import main
from pytest_recode.cli import _cmd_transforms


def test_lists_all_twenty_nine_with_their_columns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transforms"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["name", "category", "randomized", "resources", "available"]
    assert len(lines) == 1 + 29 + 1
    rows = {line.split()[0]: line for line in lines[1:-1]}
    assert rows["DeadCodeInserter"].split()[1:3] == ["syntax", "yes"]
    assert rows["tab_indent"].split()[1:3] == ["format", "no"]
    assert "masked code model" in rows["VarRenamerCB"] and "no: needs a masked code model" in rows["VarRenamerCB"]
    assert lines[-1].startswith("29 transforms, ") and lines[-1].endswith(" available here")


def test_category_filter_and_model_options(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert main(["transforms", "--category", "syntax", "--masked-code-model", str(tmp_path / "nowhere")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:-1]] == [
        "DeadCodeInserter", "DeadCodeInserterLast", "ForWhileTransformer", "OperandSwap", "VarRenamerCB",
        "VarRenamerNaive", "VarRenamerRN",
    ]
    assert "is not a directory" in lines[5]


def test_a_transform_that_cannot_be_imported_is_listed_with_the_reason(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _cmd_transforms.transform_class

    def broken(name: str):  # type: ignore[no-untyped-def]
        if name == "split_lines":
            raise ImportError("no module named _format")
        return real(name)

    monkeypatch.setattr(_cmd_transforms, "transform_class", broken)
    assert main(["transforms", "--category", "format"]) == 0
    out = capsys.readouterr().out
    assert "no: cannot import it (ImportError: no module named _format)" in out
