"""Pinning xdist workers to GPUs, and reporting which worker used which device.

The controller finds the devices without initializing CUDA (``CUDA_VISIBLE_DEVICES``, else
``nvidia-smi -L``), refuses more workers than ``devices x --recode-workers-per-gpu`` when the model is a
transformers model (each worker loads its own copy), and hands the list to its workers twice: in the
environment the workers inherit (so the earliest hook, ``pytest_load_initial_conftests``, can pin before any
conftest imports torch) and in ``workerinput`` (plain data, as xdist intends). A worker sets
``CUDA_VISIBLE_DEVICES`` to its device in ``pytest_configure`` at the latest, notes whether CUDA was already
initialized (then the pin came too late), and sends back what it used in ``workeroutput``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest

from ..models._devices import (
    ENV_DEVICES,
    ENV_PINNED,
    ENV_WORKERS_PER_GPU,
    count_problem,
    device_for_worker,
    pin_from_environ,
    visible_devices,
    worker_number,
)

__all__ = ["GpuPinning", "pin_from_environ"]

_KEY = "recode_gpu"


def _cuda_initialized() -> bool:
    torch = sys.modules.get("torch")
    return bool(torch is not None and torch.cuda.is_initialized())


def _uses_local_model(spec: str | None) -> bool:
    return spec is not None and not spec.startswith(("python:", "http://", "https://"))


class GpuPinning:
    """The plugin object (register it once per process). ``settings`` needs ``model``, ``device`` and
    ``workers_per_gpu`` (a :class:`~pytest_recode.plugin._options.RecodeSettings`)."""

    def __init__(self, settings: Any, *, probe: Any = None) -> None:
        self.settings = settings
        self._probe = probe
        self.devices: list[str] = []
        self.used: dict[str, dict[str, Any]] = {}
        self.pinned: dict[str, Any] | None = None

    def _active(self) -> bool:
        # An explicit cuda:N or cpu is the user's choice; only "auto"/"cuda" are dealt out.
        return self.settings.device in ("auto", "cuda")

    # -- both sides ---------------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        workerinput = getattr(config, "workerinput", None)
        if workerinput is not None:
            self._configure_worker(config, workerinput)
        else:
            self._configure_controller(config)

    # -- controller ---------------------------------------------------------------------------------
    def _configure_controller(self, config: pytest.Config) -> None:
        workers = getattr(config.option, "numprocesses", None)
        if not self._active() or not isinstance(workers, int) or workers < 1:
            return
        self.devices = visible_devices(probe=self._probe) if self._probe else visible_devices()
        if not self.devices:
            return
        per_gpu = int(self.settings.workers_per_gpu)
        problem = count_problem(workers, self.devices, per_gpu)
        if problem is not None and _uses_local_model(self.settings.model):
            raise pytest.UsageError(problem)
        # Workers inherit the environment when xdist starts them, after this hook.
        os.environ[ENV_DEVICES] = ",".join(self.devices)
        os.environ[ENV_WORKERS_PER_GPU] = str(per_gpu)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        if self.devices:
            node.workerinput[_KEY] = {"devices": list(self.devices), "workers_per_gpu": int(self.settings.workers_per_gpu)}

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        report = getattr(node, "workeroutput", {}).get(_KEY)
        if report:
            self.used[str(report.get("worker"))] = dict(report)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.used:
            return
        terminalreporter.write_sep("-", "recode: GPUs")
        for worker in sorted(self.used, key=lambda w: worker_number(w) or 0):
            info = self.used[worker]
            detail = ", ".join(str(info[k]) for k in ("name",) if info.get(k))
            if info.get("peak_gib") is not None:
                detail += f"{', ' if detail else ''}peak {info['peak_gib']:.1f} GiB"
            line = f"{worker}: CUDA_VISIBLE_DEVICES={info.get('device')}" + (f" ({detail})" if detail else "")
            if info.get("late"):
                line += " - CUDA was initialized before the pin, so it had no effect; import torch later"
            terminalreporter.write_line(line)

    # -- worker -------------------------------------------------------------------------------------
    def _configure_worker(self, config: pytest.Config, workerinput: dict[str, Any]) -> None:
        info = workerinput.get(_KEY)
        worker_id = os.environ.get("PYTEST_XDIST_WORKER") or str(workerinput.get("workerid", ""))
        number = worker_number(worker_id)
        if not info or number is None:
            return
        device = device_for_worker(number, info["devices"], int(info["workers_per_gpu"]))
        early = os.environ.get(ENV_PINNED) == device and os.environ.get("CUDA_VISIBLE_DEVICES") == device
        late = not early and _cuda_initialized()
        os.environ["CUDA_VISIBLE_DEVICES"] = device
        os.environ[ENV_PINNED] = device
        self.pinned = {"worker": worker_id, "device": device, "late": late, "early": early}
        config.workeroutput[_KEY] = dict(self.pinned)  # type: ignore[attr-defined]

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.pinned is None or not _cuda_initialized():
            return
        torch = sys.modules["torch"]
        report = dict(self.pinned)
        try:
            report["name"] = torch.cuda.get_device_name(0)
            report["peak_gib"] = torch.cuda.max_memory_allocated(0) / 2**30
        except Exception:  # a report detail must not fail the run
            pass
        session.config.workeroutput[_KEY] = report  # type: ignore[attr-defined]
