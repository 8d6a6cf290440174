"""The benchmarks run (small settings) and end with their figures as key=value pairs, as CI checks them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def last_line_figures(script: str, *args: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    completed = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
                               timeout=900, env=env)
    assert completed.returncode == 0, completed.stderr[-3000:]
    last = completed.stdout.strip().splitlines()[-1]
    figures = dict(pair.split("=", 1) for pair in last.split())
    assert all(value for value in figures.values()), last
    return figures


@pytest.mark.slow
def test_generation_benchmark_on_cpu() -> None:
    figures = last_line_figures("generation.py", "--device", "cpu", "--small")
    assert {"a_tok_s", "b_tok_s", "c_tok_s", "d_tok_s", "d_over_best_bc", "dedup_saved"} <= set(figures)
    assert figures["device"] == "cpu"


@pytest.mark.slow
def test_transforms_benchmark() -> None:
    figures = last_line_figures("transforms.py", "--category", "format", "--no-baseline")
    assert float(figures["total_s"]) > 0


@pytest.mark.slow
def test_execution_benchmark() -> None:
    figures = last_line_figures("execution.py", "--rounds", "1", "--baseline-rounds", "1", "--no-docker")
    assert {"local_per_s", "ratio", "humaneval_per_s", "inprocess_per_s", "forkfloor_per_s", "floor_share",
            "floor_ratio", "floor_ceiling_share"} <= set(figures)
    assert float(figures["floor_share"]) == pytest.approx(
        float(figures["local_per_s"]) / float(figures["forkfloor_per_s"]), abs=0.02)
    assert float(figures["floor_ratio"]) == pytest.approx(
        float(figures["forkfloor_per_s"]) / float(figures["humaneval_per_s"]), abs=0.02)
