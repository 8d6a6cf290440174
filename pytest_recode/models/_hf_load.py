"""Finding and loading a transformers model: a local directory or a hub id from the local cache, offline.

Nothing here reaches the network: a hub id is looked up in the local Hugging Face cache only
(``huggingface-cli download ORG/NAME`` fills it). Checks that need no torch (:func:`resolve_model_dir`,
:func:`model_dir_problem`) run before collection; :func:`load_transformers` runs once per worker.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import ModelError
from ._protocol import ModelOptions

if TYPE_CHECKING:
    from ._hf_model import TransformersModel

__all__ = ["fingerprint_dir", "load_transformers", "model_dir_problem", "pick_device", "resolve_model_dir"]

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(@[\w./-]+)?$")
_WEIGHTS = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".msgpack", ".h5")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "tokenizer.model", "spiece.model")
#: Weights up to this size are hashed by content (tiny and test models); larger ones by name, size, mtime.
_HASH_CONTENT_BYTES = 64 * 2**20


def model_dir_problem(path: str | os.PathLike[str]) -> str | None:
    """What keeps ``path`` from being a loadable transformers model directory, or ``None``."""
    p = Path(path)
    if not p.exists():
        return f"no such directory: {p}"
    if not p.is_dir():
        return f"{p} is a file; a transformers model is a directory (config.json, weights, tokenizer)"
    names = set(os.listdir(p))
    if "config.json" not in names:
        return f"{p} holds no config.json, so it is not a transformers model directory (save_pretrained writes one)"
    if not any(name.endswith(_WEIGHTS) for name in names):
        return f"{p} holds no weights (*.safetensors or *.bin); was save_pretrained interrupted?"
    if not names.intersection(_TOKENIZER_FILES):
        return f"{p} holds no tokenizer files; save the tokenizer there too (tokenizer.save_pretrained(DIR))"
    return None


def resolve_model_dir(spec: str) -> Path:
    """The local directory a spec names: the directory itself, or a hub id's snapshot in the local cache
    (``ORG/NAME`` or ``ORG/NAME@REVISION``). Raises :class:`ModelError` when there is none."""
    path = Path(os.path.expanduser(spec))
    if path.exists() or not _HUB_ID.match(spec):
        problem = model_dir_problem(path)
        if problem is not None:
            raise ModelError(f"model={spec!r}: {problem}.")
        return path
    repo, _, revision = spec.partition("@")
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        raise ModelError(f"model={spec!r}: reading a hub id needs huggingface_hub (pip install 'pytest-recode[transformers]').") from None
    try:
        found = Path(snapshot_download(repo, revision=revision or None, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError, ValueError):
        raise ModelError(
            f"model={spec!r} is neither a directory nor in the local Hugging Face cache; pytest-recode never "
            f"downloads at test time: run `huggingface-cli download {repo}` first, or pass a local directory."
        ) from None
    problem = model_dir_problem(found)
    if problem is not None:
        raise ModelError(f"model={spec!r} (cached at {found}): {problem}.")
    return found


def fingerprint_dir(path: str | os.PathLike[str], *extra: str) -> str:
    """A hash of a model directory that changes when its weights, config or tokenizer do.

    Small files are hashed by content. Weights are hashed by content when they total at most 64 MiB, else by
    name, size, modification time and the name of the file a link points to (in the hub cache that name is
    the file's own hash), so that fingerprinting a 14 GB model costs no reading.
    """
    root = Path(path)
    files = sorted(f for f in root.iterdir() if f.is_file())
    weights = [f for f in files if f.name.endswith(_WEIGHTS)]
    by_content = sum(f.stat().st_size for f in weights) <= _HASH_CONTENT_BYTES
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + b"\0")
        if f in weights and not by_content:
            st = f.stat()
            digest.update(f"{st.st_size}:{st.st_mtime_ns}:{Path(os.path.realpath(f)).name}".encode())
        elif f in weights or f.stat().st_size <= 16 * 2**20:
            with open(f, "rb") as handle:
                for block in iter(lambda: handle.read(2**20), b""):
                    digest.update(block)
    for item in extra:
        digest.update(b"\0" + item.encode())
    return "hf:" + digest.hexdigest()[:32]


@contextlib.contextmanager
def quiet_progress() -> Iterator[None]:
    """No transformers progress bars inside (one per weight shard is noise in a test log)."""
    from transformers.utils import logging as hf_logging

    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()


def pick_device(device: str | None) -> str:
    """``cuda`` when asked for or when ``auto`` finds it, else ``cpu``."""
    if device not in (None, "auto"):
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _torch_dtype(name: str, device: str) -> object:
    import torch

    if name == "auto":
        # The checkpoint's own dtype on a GPU; float32 on a CPU, where half precision is slow or missing.
        return "auto" if device.startswith("cuda") else torch.float32
    return getattr(torch, name)


def load_transformers(spec: str, options: ModelOptions) -> TransformersModel:
    """Load the tokenizer and causal language model a spec names, offline, on ``options.device``."""
    from .._progress import loading

    path = resolve_model_dir(spec)
    with loading(f"the model {spec} (torch, transformers, weights)"):
        return _load(spec, path, options)


def _load(spec: str, path: Path, options: ModelOptions) -> TransformersModel:
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise ModelError(
            f"model={spec!r}: the transformers backend needs torch and transformers "
            f"(pip install 'pytest-recode[transformers]'): {exc}"
        ) from None
    from ._hf_model import TransformersModel

    device = pick_device(options.device)
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"device={device!r} was asked for, but torch sees no CUDA device here; pass --recode-device=cpu.")
    dtype = _torch_dtype(options.dtype, device)
    with quiet_progress():
        try:
            tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(
                path,
                local_files_only=True,
                dtype=dtype,
                attn_implementation=options.attn_implementation or "sdpa",
            )
        except Exception as exc:
            raise ModelError(f"model={spec!r}: loading {path} failed: {type(exc).__name__}: {exc}") from exc
    model.to(device)
    model.eval()
    if options.cpu_threads is not None and device == "cpu":
        # torch's thread count is per process; the caller (e.g. the plugin under xdist) chose a share of the cores.
        torch.set_num_threads(options.cpu_threads)
    dtype_name = str(next(model.parameters()).dtype).removeprefix("torch.")
    return TransformersModel(
        model,
        tokenizer,
        name=spec,
        fingerprint=fingerprint_dir(path, f"dtype={dtype_name}"),
        batch_size=options.batch_size,
        decoder=options.decoder,
    )
