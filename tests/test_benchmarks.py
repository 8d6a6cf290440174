"""The benchmarks run (small settings) and end with their figures as key=value pairs, as CI checks them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared_data import SHARED_DATA

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


@pytest.mark.slow
def test_startup_benchmark() -> None:
    figures = last_line_figures("startup.py", "--rounds", "1", "--skip-threads")
    assert {"import_pytest_s", "collect_s", "collect_no_recode_s", "first_setup_s", "collect_over_bare_s",
            "collect_no_hypothesis_plugin_s", "plugin_share_s"} <= set(figures)


@pytest.mark.slow
def test_shrinking_benchmark() -> None:
    figures = last_line_figures("shrinking.py", "--runs", "1")
    assert figures["all_reached"] == "yes"
    assert int(figures["worst_calls_c"]) <= 10 and int(figures["worst_prompts_c"]) <= 100


@pytest.mark.slow
def test_fidelity_benchmark() -> None:
    if not (Path(SHARED_DATA) / "recode-reference" / "humaneval").is_dir():
        pytest.skip(f"ReCode's reference data is not under {SHARED_DATA}")
    names = ["WhitespacePerturbation", "FuncRenameChangeChar", "OperandSwap", "ForWhileTransformer", "split_lines",
             "tab_indent"]
    figures = last_line_figures("fidelity.py", *(arg for name in names for arg in ("--transform", name)))
    assert {f"{name}_{key}" for name in names for key in ("changed", "size")} <= set(figures)
    for name in ["WhitespacePerturbation", "FuncRenameChangeChar", "OperandSwap", "ForWhileTransformer"]:
        assert 0.8 <= float(figures[f"{name}_size"]) <= 1.25, (name, figures)
    assert figures["split_lines_def"] == "0"
    assert float(figures["tab_indent_equal"]) >= 0.95


@pytest.mark.slow
def test_equivalence_benchmark() -> None:
    figures = last_line_figures("equivalence.py", "--limit", "12", "--oracle-inputs", "300")
    assert {"mutants", "rejected_by_tests", "survivors", "known_different", "judged_differs", "caught",
            "caught_share", "false_alarms", "self_not_equivalent", "comparisons_per_s",
            "passfail_comparisons_per_s", "nominal_run_comparisons_per_s", "nominal_run_verdicts_changed",
            "input_sets_s", "inputs"} <= set(figures)
    assert int(figures["mutants"]) > int(figures["rejected_by_tests"]) > 0
    assert int(figures["survivors"]) == int(figures["mutants"]) - int(figures["rejected_by_tests"])
    assert int(figures["caught"]) <= min(int(figures["known_different"]), int(figures["judged_differs"]))
    assert figures["self_not_equivalent"] == "0"
    assert figures["false_alarms"] == "0"
    assert figures["nominal_run_verdicts_changed"] == "0"  # the input set's canonical outcomes, or a fresh run
