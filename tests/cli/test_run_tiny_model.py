"""``recode run`` with a tiny transformers model built offline (``recode model tiny``), end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_checks import check_reports

from pytest_recode.cli import main

pytest.importorskip("transformers")


@pytest.mark.slow  # imports torch and transformers, builds a model
def test_a_run_with_the_tiny_model_writes_every_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "tiny"
    assert main(["model", "tiny", str(model)]) == 0
    out = tmp_path / "out"
    assert main(["run", "--model", str(model), "--device", "cpu", "--dataset", "builtin", "--limit", "3",
                 "--transform", "ChangeCharCase", "--transform", "tab_indent", "--seeds", "1",
                 "--max-new-tokens", "16", "--n-samples", "2", "--temperature", "1.0", "--k", "1,2", "--workers", "1",
                 "--no-cache", "--no-progress", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["model"]["spec"] == str(model)
    assert results["model"]["fingerprint"]
    assert {len(c["nominal"]) for c in results["cases"]} == {2}
    check_reports(out)
    capsys.readouterr()
    assert main(["report", str(out), "--out", str(tmp_path / "again")]) == 0
    for name in ("report.json", "report.md", "report.html"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes()
