"""GPU pinning across xdist workers, with the devices faked through CUDA_VISIBLE_DEVICES (no GPU needed)."""

from __future__ import annotations

import pytest

pytest.importorskip("xdist")

CONFTEST = """
import os
from types import SimpleNamespace
from pytest_recode.plugin._xdist_gpu import GpuPinning

def pytest_configure(config):
    settings = SimpleNamespace(model=os.environ.get("FAKE_MODEL") or None, device="auto",
                               workers_per_gpu=int(os.environ.get("FAKE_PER_GPU", "1")))
    config.pluginmanager.register(GpuPinning(settings), "recode-gpu-test")
"""

TESTS = """
import os

def test_a():
    print("PINNED", os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("CUDA_VISIBLE_DEVICES"))

def test_b():
    pass

def test_c():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_pinned=TESTS)
    monkeypatch.delenv("RECODE_GPU_DEVICES", raising=False)
    monkeypatch.delenv("RECODE_GPU_PINNED", raising=False)
    # When this suite itself runs under xdist, its worker's identity must not leak into the inner runs.
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    return pytester


def test_each_worker_gets_a_device_and_the_controller_reports_it(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    monkeypatch.setenv("FAKE_PER_GPU", "2")
    result = suite.runpytest_subprocess("-p", "xdist", "-p", "no:recode", "-n", "3")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*recode: GPUs*", "gw0: CUDA_VISIBLE_DEVICES=3", "gw1: CUDA_VISIBLE_DEVICES=5",
                                 "gw2: CUDA_VISIBLE_DEVICES=3"])


def test_too_many_workers_for_the_gpus_is_a_usage_error(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    monkeypatch.setenv("FAKE_MODEL", str(tmp_path))
    result = suite.runpytest_subprocess("-p", "xdist", "-p", "no:recode", "-n", "3")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*-n 3 starts 3 workers, but 2 GPU(s) with --recode-workers-per-gpu=1 hold 2*"])


@pytest.mark.slow  # starts pytest with xdist workers: several seconds
def test_a_callable_model_may_oversubscribe(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.setenv("FAKE_MODEL", "python:mod:fn")
    result = suite.runpytest_subprocess("-p", "xdist", "-p", "no:recode", "-n", "2")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["gw0: CUDA_VISIBLE_DEVICES=0", "gw1: CUDA_VISIBLE_DEVICES=0"])


@pytest.mark.slow  # starts pytest with xdist workers: several seconds
def test_no_gpus_no_pinning(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    result = suite.runpytest_subprocess("-p", "xdist", "-p", "no:recode", "-n", "2")
    result.assert_outcomes(passed=3)
    assert "recode: GPUs" not in result.stdout.str()


def test_without_xdist_nothing_happens(suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    result = suite.runpytest_subprocess("-p", "no:recode", "-s")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*PINNED None 0,1"])
