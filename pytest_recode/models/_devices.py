"""Which GPU an xdist worker uses: pure functions of the worker id, the visible devices and workers per GPU.

Each worker must restrict itself to its GPU (``CUDA_VISIBLE_DEVICES``) before CUDA is initialized in its
process: CUDA reads the variable once, at initialization. So the device list is found without touching
CUDA (the controller's own ``CUDA_VISIBLE_DEVICES``, else ``nvidia-smi -L``) and the choice is made from
plain data. Workers are dealt out round-robin (``gw0`` on the first device, ``gw1`` on the second, ...),
so ``-n`` equal to the number of GPUs gives each worker its own, and ``workers_per_gpu`` says how many
workers may share one.

On a CPU the same question is how many threads each worker's torch may use: by default every process uses
every core, so ``-n N`` workers oversubscribe the machine N times (:func:`cpu_threads_for_worker`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence

from .._errors import InvalidArgument

__all__ = [
    "ENV_DEVICES",
    "ENV_PINNED",
    "ENV_WORKERS_PER_GPU",
    "THREAD_ENV_VARS",
    "count_problem",
    "cpu_threads_for_worker",
    "device_for_worker",
    "list_nvidia_devices",
    "parse_visible_devices",
    "pin_from_environ",
    "visible_devices",
    "worker_number",
    "xdist_worker_count",
]

#: Set by the controller for its workers: the devices to deal out, comma-separated, and how many may share.
ENV_DEVICES = "RECODE_GPU_DEVICES"
ENV_WORKERS_PER_GPU = "RECODE_WORKERS_PER_GPU"
#: Set in a worker once it has pinned itself: the device it chose.
ENV_PINNED = "RECODE_GPU_PINNED"
#: Environment variables by which a user has already chosen the CPU thread count (torch reads them at start).
THREAD_ENV_VARS: tuple[str, ...] = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")

_WORKER = re.compile(r"^gw(\d+)$")
_GPU_LINE = re.compile(r"^GPU (\d+):.*?\(UUID: (GPU-[0-9a-fA-F-]+)\)")
_MIG_LINE = re.compile(r"^\s+MIG .*\(UUID: (MIG-[\w/-]+)\)")


def worker_number(worker_id: str | None) -> int | None:
    """``3`` for xdist's ``"gw3"``; ``None`` for the controller or a run without xdist."""
    match = _WORKER.match(worker_id or "")
    return int(match.group(1)) if match else None


def parse_visible_devices(value: str | None) -> list[str] | None:
    """The entries of a ``CUDA_VISIBLE_DEVICES`` value; ``None`` when unset (all devices visible).

    An empty value or ``-1`` hides every device. Entries are kept as written (indices, ``GPU-``/``MIG-`` UUIDs).
    """
    if value is None:
        return None
    entries = [e.strip() for e in value.split(",") if e.strip()]
    if not entries or entries[0].startswith("-"):
        return []  # CUDA stops at the first invalid entry; "-1" is the usual way to hide every GPU
    return entries


def list_nvidia_devices(run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run) -> list[str]:
    """Device ids from ``nvidia-smi -L`` without initializing CUDA in this process: GPU indices, or the MIG
    instances' UUIDs when MIG is on (each MIG instance is then one device). Empty without ``nvidia-smi``."""
    if run is subprocess.run and shutil.which("nvidia-smi") is None:
        return []
    try:
        done = run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    if done.returncode != 0:
        return []
    gpus, migs = [], []
    for line in done.stdout.splitlines():
        if m := _GPU_LINE.match(line):
            gpus.append(m.group(1))
        elif m := _MIG_LINE.match(line):
            migs.append(m.group(1))
    return migs or gpus


def visible_devices(
    environ: Mapping[str, str] | None = None, probe: Callable[[], list[str]] = list_nvidia_devices
) -> list[str]:
    """The devices this process may use, as ``CUDA_VISIBLE_DEVICES`` entries for its workers."""
    environ = os.environ if environ is None else environ
    listed = parse_visible_devices(environ.get("CUDA_VISIBLE_DEVICES"))
    return listed if listed is not None else probe()


def device_for_worker(worker: int, devices: Sequence[str], workers_per_gpu: int = 1) -> str:
    """The device worker number ``worker`` uses: round-robin over ``devices``."""
    if not devices:
        raise InvalidArgument("devices=[] is empty: there is no GPU to pin a worker to.")
    if workers_per_gpu < 1:
        raise InvalidArgument(f"workers_per_gpu={workers_per_gpu!r} must be at least 1.")
    if worker < 0:
        raise InvalidArgument(f"worker={worker!r} must be at least 0.")
    return devices[worker % len(devices)]


def count_problem(workers: int, devices: Sequence[str], workers_per_gpu: int) -> str | None:
    """Why ``workers`` workers do not fit on ``devices`` with ``workers_per_gpu`` each, or ``None``."""
    if not devices or workers <= len(devices) * workers_per_gpu:
        return None
    fit = len(devices) * workers_per_gpu
    return (
        f"-n {workers} starts {workers} workers, but {len(devices)} GPU(s) with --recode-workers-per-gpu="
        f"{workers_per_gpu} hold {fit}; each worker loads its own copy of the model. Pass -n {fit}, or "
        f"--recode-workers-per-gpu={-(-workers // len(devices))} if the model fits that many times."
    )


def pin_from_environ(environ: dict[str, str] | os._Environ[str] | None = None) -> str | None:
    """In an xdist worker, set ``CUDA_VISIBLE_DEVICES`` to this worker's device from the controller's
    :data:`ENV_DEVICES`; returns the device, or ``None`` outside a worker or without GPUs.

    Call it as early as possible: from a plugin's ``pytest_load_initial_conftests``, before any conftest
    imports torch. Calling it again is harmless.
    """
    environ = os.environ if environ is None else environ
    worker = worker_number(environ.get("PYTEST_XDIST_WORKER"))
    devices = parse_visible_devices(environ.get(ENV_DEVICES)) or []
    if worker is None or not devices:
        return None
    try:
        per_gpu = int(environ.get(ENV_WORKERS_PER_GPU, "1"))
    except ValueError:
        per_gpu = 1
    device = device_for_worker(worker, devices, max(1, per_gpu))
    environ["CUDA_VISIBLE_DEVICES"] = device
    environ[ENV_PINNED] = device
    return device


def xdist_worker_count(environ: Mapping[str, str]) -> int | None:
    """How many workers this xdist run has (``PYTEST_XDIST_WORKER_COUNT``, set in each worker); ``None``
    outside xdist or when the value is not a positive integer."""
    try:
        count = int(environ.get("PYTEST_XDIST_WORKER_COUNT", ""))
    except ValueError:
        return None
    return count if count >= 1 else None


def cpu_threads_for_worker(
    cores: int, workers: int | None, environ: Mapping[str, str], requested: int = 0
) -> int | None:
    """The intra-op thread count to give torch in a process that runs a model on CPU, or ``None`` to leave
    torch's own choice.

    ``requested`` (``--recode-cpu-threads``) above 0 is that count. At 0 (automatic), unless the user already
    chose through :data:`THREAD_ENV_VARS`, a process that is one of ``workers`` xdist workers gets its share
    of ``cores``, ``max(1, cores // workers)``; outside xdist (``workers`` is ``None``) it gets half of them,
    ``max(1, cores // 2)``: the sandbox's workers run programs on the other half while the model generates
    (measured by ``bench/startup.py`` on 2 cores: 1 thread ran a tiny CPU model's suite in about half the
    time of 2 threads or of torch's own default).
    """
    if not isinstance(requested, int) or requested < 0:
        raise InvalidArgument(
            f"cpu_threads={requested!r} must be an int of at least 0 "
            "(0: each xdist worker gets its share of the cores)."
        )
    if requested > 0:
        return requested
    if any(environ.get(name, "").strip() for name in THREAD_ENV_VARS):
        return None
    if cores < 1 or workers is not None and workers < 1:
        raise InvalidArgument(f"cores={cores!r} and workers={workers!r} must both be at least 1.")
    return max(1, cores // (2 if workers is None else workers))
