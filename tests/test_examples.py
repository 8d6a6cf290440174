"""The main job: the example robustness suite runs as it stands and reports what the reference model breaks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.slow  # the whole suite: ~1000 completions and programs
def test_the_example_suite_reports_the_reference_models_brittleness(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", str(EXAMPLES), "-q", "-p", "no:cacheprovider",
         f"--recode-cache-dir={tmp_path / 'cache'}", f"--recode-database={tmp_path / 'db'}",
         "--recode-sandbox-workers=1"],
        capture_output=True, text=True, timeout=900, cwd=EXAMPLES, env=env,
    )
    out = completed.stdout
    assert completed.returncode == 1, out[-3000:]
    # Function renames break the three recursive problems; variable renames and for-to-while rewrites (seeded
    # or drawn by the search) break the memorised code of 31 problems; everything else is robust.
    assert out.splitlines()[-1].startswith("34 failed, 62 passed"), out[-3000:]
    lines = out.splitlines()
    for expected in [
        "docstring                                             32    287    1.00  1.00  0.00  0.00   1.00       0       0",
        "function_name                                         32    327    1.00  0.91  0.09  0.09      -       0      31",
        "syntax                                                30    141    1.00  0.13  0.87  0.87   0.57      60      60",
        "format                                                32    179    1.00  1.00  0.00  0.00   1.00       0       0",
    ]:
        assert expected in lines, out[-3000:]
