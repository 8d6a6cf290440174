"""Shared test settings: slow tests run only with --run-slow; GPU tests only where CUDA is available."""

from __future__ import annotations

import os

import pytest
from shared_data import SHARED_DATA

# Nothing in the test suite may reach a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", default=False, help="also run tests marked slow")


def _cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--run-slow"):
        skip_slow = pytest.mark.skip(reason="slow: give --run-slow to run it")
        for item in items:
            if "slow" in item.keywords:
                item.add_marker(skip_slow)
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if gpu_items and not _cuda_available():
        skip_gpu = pytest.mark.skip(reason="gpu: no CUDA device here")
        for item in gpu_items:
            item.add_marker(skip_gpu)


@pytest.fixture(scope="session")
def mbpp_path() -> str:
    """ReCode's MBPP file: $RECODE_MBPP_PATH, else the shared data's copy."""
    path = os.environ.get("RECODE_MBPP_PATH") or os.path.join(SHARED_DATA, "mbpp_wtest.jsonl")
    if not os.path.exists(path):
        pytest.skip(f"MBPP data not found at {path}; set RECODE_MBPP_PATH")
    return path
