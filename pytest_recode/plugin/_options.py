"""Every command-line option and ini key of the plugin, in one group, and the settings read from them.

Each option ``--recode-x-y`` has the ini key ``recode_x_y``; the command line wins over the ini file,
and the ini file over the default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

__all__ = ["RecodeSettings", "add_options"]

# (option, type, default, help). Types: "str", "int", "float", "bool", "path".
_OPTIONS: tuple[tuple[str, str, Any, str], ...] = (
    # models
    ("model", "str", None,
     "the model under test: a local transformers directory, a hub id (offline, from the local cache), "
     "python:MODULE:ATTR naming a callable list[str] -> list[str], or an http(s):// OpenAI-compatible server"),
    ("device", "str", "auto", "device for transformers models: auto, cpu, cuda, cuda:N (default: auto)"),
    ("dtype", "str", "auto", "weights dtype for transformers models: auto, float32, float16, bfloat16"),
    ("batch-size", "int", 32, "largest generation batch (default: 32)"),
    ("max-new-tokens", "int", 512, "most tokens generated per completion (default: 512)"),
    ("workers-per-gpu", "int", 1, "xdist workers that share one GPU (default: 1)"),
    ("cpu-threads", "int", 0,
     "torch threads per process for a transformers model on CPU (default: 0, under xdist each worker gets "
     "its share of the cores unless OMP_NUM_THREADS or MKL_NUM_THREADS is set; outside xdist torch's default)"),
    ("cache-dir", "path", None, "completion cache directory (default: <rootdir>/.recode-cache)"),
    ("no-cache", "bool", False, "do not read or write the completion cache"),
    ("clear-cache", "bool", False, "empty the completion cache before the session"),
    # execution
    ("sandbox", "str", "local", "where completions run: local, docker or subprocess (default: local)"),
    ("timeout", "float", 3.0, "wall-clock limit per program, in seconds (default: 3)"),
    ("memory-mb", "int", 1024, "address-space limit per program, in MiB (default: 1024)"),
    ("sandbox-workers", "int", 0, "sandbox worker processes per pytest worker (default: 0, one per core)"),
    ("docker-image", "str", "pytest-recode-sandbox:latest", "image for --recode-sandbox=docker"),
    # data and transforms
    ("mbpp-path", "path", None, "ReCode's MBPP file (mbpp_wtest.jsonl) for dataset='mbpp' "
     "(default: $RECODE_MBPP_PATH)"),
    ("translation-models", "str", None,
     "BackTranslation's two local translation models, EN_DE_DIR,DE_EN_DIR (unset: BackTranslation is skipped)"),
    ("masked-code-model", "str", None,
     "VarRenamerCB's local masked code model directory (unset: VarRenamerCB is skipped)"),
    ("seed", "int", 0, "base seed of the perturbations (default: 0)"),
    ("max-examples", "int", None, "override max_examples of every @recode_robust test"),
)


def _dest(option: str) -> str:
    return "recode_" + option.replace("-", "_")


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("recode", "robustness of code-generation models (pytest-recode)")
    for option, kind, default, help_text in _OPTIONS:
        dest = _dest(option)
        if kind == "bool":
            group.addoption(f"--recode-{option}", action="store_true", default=None, dest=dest, help=help_text)
            parser.addini(dest, type="bool", default=default, help=help_text)
        else:
            group.addoption(f"--recode-{option}", action="store", default=None, dest=dest,
                            metavar=option.split("-")[-1].upper(), help=help_text)
            parser.addini(dest, default=None if default is None else str(default), help=help_text)


def _convert(config: pytest.Config, option: str, kind: str, raw: Any) -> Any:
    if raw is None or kind == "str":
        return raw
    if kind == "bool":
        return bool(raw) if not isinstance(raw, str) else raw.strip().lower() in ("1", "true", "yes", "on")
    if kind == "path":
        return os.path.join(str(config.rootpath), os.path.expanduser(raw)) if raw else None
    try:
        return int(raw) if kind == "int" else float(raw)
    except ValueError:
        raise pytest.UsageError(f"--recode-{option}={raw!r}: expected a{'n integer' if kind == 'int' else ' number'}.")


def _read(config: pytest.Config, option: str) -> Any:
    kind = next(k for name, k, _, _ in _OPTIONS if name == option)
    dest = _dest(option)
    value = config.getoption(dest, default=None)
    if value is None:
        value = config.getini(dest)
        if value in ("", []):
            value = None
    if value is None:
        value = next(d for name, _, d, _ in _OPTIONS if name == option)
    return _convert(config, option, kind, value)


@dataclass(frozen=True)
class RecodeSettings:
    """The plugin's settings for one session, read once from options and ini keys."""

    model: str | None
    device: str
    dtype: str
    batch_size: int
    max_new_tokens: int
    workers_per_gpu: int
    cpu_threads: int
    cache_dir: str
    no_cache: bool
    clear_cache: bool
    sandbox: str
    timeout: float
    memory_mb: int
    sandbox_workers: int
    docker_image: str
    mbpp_path: str | None
    translation_models: str | None
    masked_code_model: str | None
    seed: int
    max_examples: int | None

    @classmethod
    def from_config(cls, config: pytest.Config) -> RecodeSettings:
        values = {_dest(name)[len("recode_") :]: _read(config, name) for name, *_ in _OPTIONS}
        if values["cache_dir"] is None:
            values["cache_dir"] = os.path.join(str(config.rootpath), ".recode-cache")
        if values["mbpp_path"] is None:
            values["mbpp_path"] = os.environ.get("RECODE_MBPP_PATH") or None
        return cls(**values)
