from __future__ import annotations

import json

import pytest

from pytest_recode import InvalidArgument
from pytest_recode.models import DEFAULT_STOP, GenerationConfig, ModelOptions


def test_key_is_stable_and_sorted() -> None:
    key = GenerationConfig().key()
    assert json.loads(key) == {
        "max_new_tokens": 512, "n": 1, "seed": 0, "stop": list(DEFAULT_STOP), "temperature": 0.0, "top_p": 0.95,
    }
    assert key == GenerationConfig().key()


def test_min_new_tokens_enters_the_key_only_when_set() -> None:
    assert "min_new_tokens" not in GenerationConfig().key()
    assert json.loads(GenerationConfig(min_new_tokens=3).key())["min_new_tokens"] == 3


def test_stop_list_becomes_tuple() -> None:
    config = GenerationConfig(stop=["\ndef"])  # type: ignore[arg-type]
    assert config.stop == ("\ndef",)
    hash(config)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_new_tokens": 0},
        {"n": 0},
        {"temperature": -1.0},
        {"top_p": 0.0},
        {"stop": "\n"},
        {"stop": ("",)},
        {"min_new_tokens": 10, "max_new_tokens": 5},
    ],
)
def test_bad_generation_config(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument):
        GenerationConfig(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [{"dtype": "fp16"}, {"decoder": "fast"}, {"batch_size": 0}, {"device": "gpu"}, {"device": "cuda:x"},
     {"cpu_threads": 0}, {"cpu_threads": 1.5}],
)
def test_bad_model_options(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument):
        ModelOptions(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("device", [None, "auto", "cpu", "cuda", "cuda:1"])
def test_good_devices(device: str | None) -> None:
    assert ModelOptions(device=device).device == device
