"""Naming a model: directories, hub ids from the local cache, python: callables; clear errors otherwise."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_recode import ModelError
from pytest_recode.models import CallableModel, ModelOptions, TransformersModel, check_model_spec, load_model, spec_kind


@pytest.mark.parametrize(
    ("spec", "kind"),
    [("python:m:f", "python"), ("http://h:1", "http"), ("https://h/v1#m", "http"), ("org/name", "transformers"),
     ("./dir", "transformers")],
)
def test_spec_kind(spec: str, kind: str) -> None:
    assert spec_kind(spec) == kind


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no such directory"):
        check_model_spec(str(tmp_path / "nope"))


def test_file_instead_of_directory(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"")
    with pytest.raises(ModelError, match="is a file"):
        check_model_spec(str(tmp_path / "model.bin"))


@pytest.mark.parametrize(
    ("remove", "message"),
    [("config.json", "no config.json"), ("model.safetensors", "no weights"),
     (("tokenizer.json", "tokenizer_config.json"), "no tokenizer files")],
)
def test_incomplete_directory(tiny_llama: Path, tmp_path: Path, remove: str | tuple[str, ...], message: str) -> None:
    copy = Path(shutil.copytree(tiny_llama, tmp_path / "copy"))
    for name in (remove,) if isinstance(remove, str) else remove:
        (copy / name).unlink()
    with pytest.raises(ModelError, match=message):
        load_model(str(copy))


def test_broken_weights_are_a_model_error(tiny_llama: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(tiny_llama, tmp_path / "copy"))
    (copy / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(ModelError, match="loading .* failed"):
        load_model(str(copy), ModelOptions(device="cpu"))


def test_hub_id_not_in_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelError, match="huggingface-cli download someorg/somemodel"):
        check_model_spec("someorg/somemodel")


def test_hub_id_from_the_local_cache_offline(tiny_llama: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    snapshot = tmp_path / "models--someorg--tiny" / "snapshots" / "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(tiny_llama, snapshot)
    (tmp_path / "models--someorg--tiny" / "refs").mkdir()
    (tmp_path / "models--someorg--tiny" / "refs" / "main").write_text("0123456789abcdef0123456789abcdef01234567")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    check_model_spec("someorg/tiny")
    model = load_model("someorg/tiny", ModelOptions(device="cpu"))
    assert isinstance(model, TransformersModel) and model.name == "someorg/tiny"
    assert load_model("someorg/tiny@0123456789abcdef0123456789abcdef01234567", ModelOptions(device="cpu")).fingerprint() == model.fingerprint()


def test_python_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_models.py").write_text("def upper(prompts):\n    return [p.upper() for p in prompts]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    model = load_model("python:my_models:upper")
    assert isinstance(model, CallableModel) and model.name == "python:my_models:upper"
    with pytest.raises(ModelError, match="has no attribute 'lower'"):
        load_model("python:my_models:lower")
    with pytest.raises(ModelError, match="form python:MODULE:ATTR"):
        check_model_spec("python:my_models")


def test_http_spec_without_host() -> None:
    with pytest.raises(ModelError, match="names no host"):
        check_model_spec("http://")


def test_cuda_asked_for_without_cuda(tiny_llama: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ModelError, match="--recode-device=cpu"):
        load_model(str(tiny_llama), ModelOptions(device="cuda"))


def test_cpu_threads_are_set_when_the_model_lands_on_the_cpu(tiny_llama: Path) -> None:
    import torch

    before = torch.get_num_threads()
    try:
        load_model(str(tiny_llama), ModelOptions(device="cpu"))
        assert torch.get_num_threads() == before  # None: torch's setting is kept
        load_model(str(tiny_llama), ModelOptions(device="cpu", cpu_threads=before + 1))
        assert torch.get_num_threads() == before + 1
    finally:
        torch.set_num_threads(before)
