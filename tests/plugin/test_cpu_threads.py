"""torch's CPU threads under xdist: each worker gets its share of the cores, unless the user chose."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_recode._platform import available_cores

pytest.importorskip("xdist")

ROOT = Path(__file__).resolve().parents[2]

THREADS_TEST = """
import torch

def test_threads(recode_model):
    assert recode_model.device.type == "cpu"
    assert torch.get_num_threads() == {expected}
"""


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    from pytest_recode.models import TinyModelSpec, build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny"), TinyModelSpec(arch="gpt2"))


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # The inner run must import this checkout and must not see the outer run's xdist worker or thread choice.
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                 "RECODE_GPU_DEVICES", "RECODE_GPU_PINNED"):
        monkeypatch.delenv(name, raising=False)
    return pytester


def test_each_xdist_worker_gets_its_share_of_the_cores(project: pytest.Pytester, tiny_model: Path) -> None:
    cores = available_cores()
    share = max(1, cores // 2)
    project.makepyfile(THREADS_TEST.format(expected=share))
    # --dist each: both workers run the test, so both load the model.
    result = project.runpytest_subprocess("-n", "2", "--dist", "each", f"--recode-model={tiny_model}",
                                          "--recode-device=cpu")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"recode: torch CPU threads: gw0={share}, gw1={share} ({cores} cores)"])


@pytest.mark.slow
def test_omp_num_threads_is_left_to_torch(project: pytest.Pytester, tiny_model: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # torch takes OMP_NUM_THREADS at start (capped at the cores); all cores differs from a worker's share.
    monkeypatch.setenv("OMP_NUM_THREADS", str(available_cores()))
    project.makepyfile("""
import torch

AT_START = torch.get_num_threads()  # at collection, before the model is loaded

def test_threads(recode_model):
    assert recode_model.device.type == "cpu"
    assert torch.get_num_threads() == AT_START
""")
    result = project.runpytest_subprocess("-n", "2", "--dist", "each", f"--recode-model={tiny_model}",
                                          "--recode-device=cpu")
    result.assert_outcomes(passed=2)
    assert "recode: torch CPU threads" not in result.stdout.str()


@pytest.mark.slow
def test_explicit_count_applies_without_xdist(project: pytest.Pytester, tiny_model: Path) -> None:
    project.makepyfile(THREADS_TEST.format(expected=3))
    project.makeini("[pytest]\nrecode_cpu_threads = 3\n")
    result = project.runpytest_subprocess("-p", "no:xdist", f"--recode-model={tiny_model}", "--recode-device=cpu")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"recode: torch CPU threads: 3 ({available_cores()} cores)"])


def test_negative_count_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("--recode-cpu-threads=-1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        "*--recode-cpu-threads=-1: give 0 (each xdist worker gets its share of the cores) "
        "or a thread count of at least 1."
    ])
