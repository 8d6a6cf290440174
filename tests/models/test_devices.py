from __future__ import annotations

import subprocess
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_recode import InvalidArgument
from pytest_recode._platform import available_cores
from pytest_recode.models._devices import (
    ENV_DEVICES,
    ENV_PINNED,
    ENV_WORKERS_PER_GPU,
    count_problem,
    cpu_threads_for_worker,
    device_for_worker,
    list_nvidia_devices,
    parse_visible_devices,
    pin_from_environ,
    visible_devices,
    worker_number,
    xdist_worker_count,
)


@pytest.mark.parametrize(("worker_id", "number"), [("gw0", 0), ("gw12", 12), ("master", None), (None, None), ("", None), ("gwx", None)])
def test_worker_number(worker_id: str | None, number: int | None) -> None:
    assert worker_number(worker_id) == number


@pytest.mark.parametrize(
    ("value", "devices"),
    [(None, None), ("", []), ("-1", []), ("0", ["0"]), ("2, 3", ["2", "3"]), ("GPU-ab12,GPU-cd34", ["GPU-ab12", "GPU-cd34"])],
)
def test_parse_visible_devices(value: str | None, devices: list[str] | None) -> None:
    assert parse_visible_devices(value) == devices


SMI = """GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1f2e3d4c-0000-1111-2222-333344445555)
GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-aaaaaaaa-0000-1111-2222-333344445555)
"""
SMI_MIG = """GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-1f2e3d4c-0000-1111-2222-333344445555)
  MIG 3g.20gb     Device  0: (UUID: MIG-11111111-2222-3333-4444-555555555555)
  MIG 3g.20gb     Device  1: (UUID: MIG-66666666-2222-3333-4444-555555555555)
"""


def _smi(stdout: str, code: int = 0):  # type: ignore[no-untyped-def]
    def run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        assert args == ["nvidia-smi", "-L"]
        return subprocess.CompletedProcess(args, code, stdout, "")
    return run


def test_nvidia_smi_gpus_and_mig() -> None:
    assert list_nvidia_devices(_smi(SMI)) == ["0", "1"]
    assert list_nvidia_devices(_smi(SMI_MIG)) == ["MIG-11111111-2222-3333-4444-555555555555",
                                                  "MIG-66666666-2222-3333-4444-555555555555"]
    assert list_nvidia_devices(_smi("", 9)) == []


def test_visible_devices_prefers_the_environment() -> None:
    assert visible_devices({"CUDA_VISIBLE_DEVICES": "3,5"}, probe=lambda: ["0"]) == ["3", "5"]
    assert visible_devices({}, probe=lambda: ["0", "1"]) == ["0", "1"]
    assert visible_devices({"CUDA_VISIBLE_DEVICES": ""}, probe=lambda: ["0"]) == []


def test_round_robin() -> None:
    assert [device_for_worker(w, ["3", "5"]) for w in range(5)] == ["3", "5", "3", "5", "3"]


def test_bad_arguments() -> None:
    with pytest.raises(InvalidArgument):
        device_for_worker(0, [])
    with pytest.raises(InvalidArgument):
        device_for_worker(0, ["0"], workers_per_gpu=0)


def test_count_problem() -> None:
    assert count_problem(2, ["0", "1"], 1) is None
    assert count_problem(4, ["0", "1"], 2) is None
    message = count_problem(3, ["0", "1"], 1)
    assert message is not None and "Pass -n 2, or --recode-workers-per-gpu=2" in message


@given(st.integers(1, 64), st.lists(st.text("0123456789", min_size=1, max_size=2), min_size=1, max_size=8, unique=True))
def test_workers_spread_evenly(workers: int, devices: list[str]) -> None:
    load = Counter(device_for_worker(w, devices) for w in range(workers))
    assert max(load.values()) - min(load.values() if len(load) == len(devices) else [0]) <= 1
    assert len(load) == min(workers, len(devices))


def test_pin_from_environ() -> None:
    env = {"PYTEST_XDIST_WORKER": "gw3", ENV_DEVICES: "4,6", ENV_WORKERS_PER_GPU: "2"}
    assert pin_from_environ(env) == "6"
    assert env["CUDA_VISIBLE_DEVICES"] == "6" and env[ENV_PINNED] == "6"
    assert pin_from_environ({"PYTEST_XDIST_WORKER": "gw0"}) is None
    assert pin_from_environ({ENV_DEVICES: "0"}) is None


@pytest.mark.parametrize(
    ("value", "count"), [(None, None), ("", None), ("x", None), ("0", None), ("-2", None), ("1", 1), ("16", 16)]
)
def test_xdist_worker_count(value: str | None, count: int | None) -> None:
    assert xdist_worker_count({} if value is None else {"PYTEST_XDIST_WORKER_COUNT": value}) == count


def test_available_cores_is_the_affinity() -> None:
    import os

    assert available_cores() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("cores", "workers", "environ", "requested", "threads"),
    [
        (16, 2, {}, 0, 8),
        (16, 3, {}, 0, 5),
        (2, 2, {}, 0, 1),
        (2, 8, {}, 0, 1),          # more workers than cores: one thread each, never zero
        (16, 1, {}, 0, 16),
        (16, None, {}, 0, 8),      # outside xdist: half, the sandbox's workers have the other half
        (2, None, {}, 0, 1),
        (1, None, {}, 0, 1),
        (16, None, {"OMP_NUM_THREADS": "4"}, 0, None),
        (16, 2, {"OMP_NUM_THREADS": "4"}, 0, None),  # the user chose through the environment
        (16, 2, {"MKL_NUM_THREADS": "4"}, 0, None),
        (16, 2, {"OMP_NUM_THREADS": " "}, 0, 8),      # set but blank is no choice
        (16, 2, {"OMP_NUM_THREADS": "4"}, 3, 3),      # the option is the more explicit choice
        (16, None, {}, 3, 3),
        (2, 2, {}, 6, 6),          # an explicit count is kept even above the cores
    ],
)
def test_cpu_threads_for_worker(
    cores: int, workers: int | None, environ: dict[str, str], requested: int, threads: int | None
) -> None:
    assert cpu_threads_for_worker(cores, workers, environ, requested) == threads


def test_cpu_threads_bad_arguments() -> None:
    with pytest.raises(InvalidArgument, match=r"cpu_threads=-1 must be an int of at least 0"):
        cpu_threads_for_worker(4, 2, {}, -1)
    with pytest.raises(InvalidArgument, match=r"cores=0 and workers=2 must both be at least 1"):
        cpu_threads_for_worker(0, 2, {}, 0)


@given(st.integers(1, 512), st.integers(1, 512))
def test_automatic_threads_share_the_cores(cores: int, workers: int) -> None:
    threads = cpu_threads_for_worker(cores, workers, {}, 0)
    assert threads is not None and 1 <= threads <= cores
    if workers <= cores:
        assert workers * threads <= cores
        assert workers * (threads + 1) > cores  # the largest share that fits: no core left idle needlessly
