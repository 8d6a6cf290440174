"""The worker pool: replacing dead and hung workers, closing, settings, the other backends and modes."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from pytest_recode import InvalidArgument, SandboxError
from pytest_recode.execution import Sandbox, SandboxConfig, Status, open_sandbox
from pytest_recode.execution import TestJob as Job
from pytest_recode.execution._docker import container_options
from pytest_recode.execution._local import LocalSandbox
from pytest_recode.execution._subprocess import SubprocessSandbox

ADD = "def add(a, b):\n    return a + b\n"
TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n"


def launcher_pids(sandbox: Sandbox) -> set[int]:
    return {worker.transport.process.pid for worker in sandbox._workers}  # type: ignore[attr-defined]


def worker_pid(launcher: int) -> int:
    """The host pid of the namespaced worker (the launcher's only child)."""
    with open(f"/proc/{launcher}/task/{launcher}/children", encoding="ascii") as handle:
        (child,) = handle.read().split()
    return int(child)


def wait_until_dead(pid: int, limit: float = 10.0) -> None:
    """Until ``pid`` is gone or a zombie: a killed worker keeps serving for a moment otherwise."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return
        except OSError:
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} still runs after SIGKILL")


def test_open_sandbox_defaults_to_the_local_backend() -> None:
    with open_sandbox() as box:
        assert isinstance(box, LocalSandbox)
        assert box.config == SandboxConfig()


def test_a_dead_worker_is_replaced_and_the_job_retried() -> None:
    with open_sandbox(SandboxConfig(workers=1)) as box:
        assert box.run("x = 1").passed
        (before,) = launcher_pids(box)
        forker = worker_pid(before)
        os.kill(before, signal.SIGKILL)
        wait_until_dead(forker)  # it dies with its launcher, but not at once
        result = box.run_tests(ADD, TEST, "add")
        assert result.passed
        (after,) = launcher_pids(box)
        assert after != before


def test_run_many_survives_a_worker_dying_mid_batch() -> None:
    with open_sandbox(SandboxConfig(workers=2)) as box:
        box.run_many([Job(ADD, TEST, "add")] * 2)
        victim = sorted(launcher_pids(box))[0]
        timer = threading.Timer(0.15, os.kill, (victim, signal.SIGKILL))
        timer.start()
        jobs = [Job("import time\ntime.sleep(0.02)\n" + ADD, TEST, "add")] * 40
        results = box.run_many(jobs)
        timer.join()
        assert [r.status for r in results] == [Status.PASSED] * 40
        assert victim not in launcher_pids(box)


@pytest.mark.parametrize(
    "program",
    # the large one is bigger than any pipe to the worker: sending it must not block past the deadline
    ["x = 1\n", "x = 1\n# " + "y" * (3 << 20) + "\n"],
    ids=["small job", "job larger than the pipes"],
)
def test_a_hung_worker_is_replaced(program: str) -> None:
    with open_sandbox(SandboxConfig(workers=1)) as box:
        box.grace_s = 0.3  # type: ignore[attr-defined]
        assert box.run("x = 1").passed
        (launcher,) = launcher_pids(box)
        os.kill(worker_pid(launcher), signal.SIGSTOP)
        started = time.monotonic()
        assert box.run(program, timeout=0.2).passed
        assert time.monotonic() - started < 3
        assert launcher_pids(box) != {launcher}


def test_a_job_that_loses_two_workers_is_a_sandbox_error() -> None:
    with open_sandbox(SandboxConfig(workers=1)) as box:
        box.grace_s = 0.1  # type: ignore[attr-defined]
        assert box.run("x = 1").passed

        def stop_every_new_worker() -> None:
            for launcher in launcher_pids(box):
                os.kill(worker_pid(launcher), signal.SIGSTOP)

        stop_every_new_worker()
        original = box._new_worker  # type: ignore[attr-defined]

        def new_then_stop() -> object:
            worker = original()
            os.kill(worker_pid(worker.transport.process.pid), signal.SIGSTOP)
            return worker

        box._new_worker = new_then_stop  # type: ignore[attr-defined]
        result = box.run("x = 1", timeout=0.1)
        assert (result.status, result.exception_type) == (Status.SANDBOX_ERROR, "WorkerLost")
        assert result.message.startswith("the sandbox lost its worker twice on this job: the worker did not answer")


def test_a_program_cannot_reach_the_worker() -> None:
    # Whatever a program does to its parent, the same worker serves the next program.
    with open_sandbox(SandboxConfig(workers=1)) as box:
        assert box.run("x = 1").passed
        before = launcher_pids(box)
        box.run("import os, signal\nfor s in (9, 15, 2, 19):\n    try:\n        os.kill(os.getppid(), s)\n"
                "    except OSError:\n        pass\n")
        assert box.run("x = 1").passed
        assert launcher_pids(box) == before


def test_closing_twice_and_using_a_closed_sandbox() -> None:
    box = open_sandbox(SandboxConfig(workers=1))
    assert box.run("x = 1").passed
    (launcher,) = launcher_pids(box)
    box.close()
    box.close()
    with pytest.raises(SandboxError, match="the sandbox is closed"):
        box.run("x = 1")
    assert not os.path.exists(f"/proc/{launcher}") or open(f"/proc/{launcher}/stat").read().split()[2] == "Z"


def test_workers_start_when_first_needed() -> None:
    with open_sandbox(SandboxConfig(workers=2)) as box:
        assert launcher_pids(box) == set()
        box.run("x = 1")
        assert len(launcher_pids(box)) == 1
        box.run_many([])
        assert len(launcher_pids(box)) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("backend", "vm", "backend='vm': expected one of local, docker, subprocess."),
        ("timeout_s", 0, "timeout_s=0: expected a positive number of seconds."),
        ("memory_mb", 8, "memory_mb=8: expected an int of at least 64."),
        ("workers", -1, "workers=-1: expected an int of at least 0."),
        ("isolation", "chroot", "isolation='chroot': expected one of auto, namespaces, userns, plain."),
    ],
)
def test_settings_are_checked(field: str, value: object, message: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        SandboxConfig(**{field: value})  # type: ignore[arg-type]
    assert str(info.value) == message


def test_a_timeout_argument_is_checked() -> None:
    with open_sandbox(SandboxConfig(workers=1)) as box, pytest.raises(InvalidArgument, match="timeout=-1"):
        box.run("x = 1", timeout=-1)


def test_source_must_be_text() -> None:
    with open_sandbox(SandboxConfig(workers=1)) as box, pytest.raises(InvalidArgument, match="expected the source"):
        box.run(b"x = 1")  # type: ignore[arg-type]


def test_worker_count_defaults_to_the_usable_cores() -> None:
    assert SandboxConfig().worker_count == len(os.sched_getaffinity(0))
    assert SandboxConfig(workers=3).worker_count == 3


def test_the_subprocess_backend_gives_the_same_verdicts() -> None:
    with open_sandbox(SandboxConfig(backend="subprocess", workers=1, timeout_s=1)) as box:
        assert isinstance(box, SubprocessSandbox)
        assert box.run_tests(ADD, TEST, "add").passed
        assert box.run_tests("import sys\nsys.exit(0)\n" + ADD, TEST, "add").exception_type == "SystemExit"
        assert [o.value for o in box.call(ADD, "add", [(1, 2)]).outcomes] == [3]
        # A fresh worker for every program: the program's user id follows the worker's pid.
        uids = {box.run("import os\nprint(os.getuid())").stdout for _ in range(3)}
        assert len(uids) == 3


@pytest.mark.parametrize("isolation", ["userns", "plain"])
def test_weaker_isolation_modes_keep_the_verdict_rules(isolation: str) -> None:
    with open_sandbox(SandboxConfig(workers=1, isolation=isolation, timeout_s=1)) as box:
        assert box.run_tests(ADD, TEST, "add").passed
        assert box.run_tests("import os\nos._exit(0)\n", TEST, "add").exception_type == "SystemExit"
        lying = "class Yes:\n    def __eq__(self, other):\n        return True\ndef add(a, b):\n    return Yes()\n"
        assert box.run_tests(lying, TEST, "add").exception_type == "UncheckableResult"
        assert box.run("while True:\n    pass\n").status is Status.TIMEOUT
        killer = "import os, signal\nfor s in (2, 15, 9):\n    os.kill(os.getppid(), s)\n"
        if isolation == "userns":  # same user id as the worker, but it is PID 1: no signal reaches it
            assert box.run(killer).passed
        else:  # it can kill the worker; the job is retried once on a fresh one, then given up
            assert box.run(killer).status is Status.SANDBOX_ERROR
        assert box.run_tests(ADD, TEST, "add").passed
        assert box.run("import signal\nassert signal.getsignal(signal.SIGINT) is signal.default_int_handler\n").passed


def test_userns_mode_isolates_like_namespaces_and_says_what_differs() -> None:
    with open_sandbox(SandboxConfig(workers=1, isolation="userns")) as box:
        result = box.run("import socket\nprint(socket.gethostname())\nopen('/etc/recode-hostile', 'w')\n")
        assert (result.status, result.exception_type, result.stdout) == (Status.FAILED, "OSError", "sandbox\n")
        assert result.notes == ("programs run under your own user id (mapped to root inside a user namespace, "
                                "with no capabilities)",)
        assert box.run("import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=5)").exception_type == "OSError"


def test_plain_mode_says_which_protections_are_off() -> None:
    with open_sandbox(SandboxConfig(workers=1, isolation="plain")) as box:
        notes = box.run("x = 1").notes
    assert "no network namespace: programs can open network connections" in notes
    assert "no mount namespace: programs can write wherever this user can" in notes
    assert "no PID namespace: a process that leaves the program's process group may outlive it" in notes
    assert "programs run under the worker's user id: they can kill it (it is then replaced)" in notes


def test_namespaces_mode_has_no_notes_here() -> None:
    if os.geteuid() != 0:
        pytest.skip("the namespaces mode needs root")
    with open_sandbox(SandboxConfig(workers=1, isolation="namespaces")) as box:
        result = box.run("import os\nprint(os.getuid() >= 200000, os.getpid() < 16)")
    assert (result.stdout, result.notes) == ("True True\n", ())


def test_container_options_lock_the_container_down() -> None:
    options = container_options(SandboxConfig(memory_mb=512, max_processes=32))
    assert options["network_mode"] == "none"
    assert (options["mem_limit"], options["memswap_limit"], options["pids_limit"]) == ("768m", "768m", 48)
    assert options["read_only"] is True and options["user"] == "65534:65534"
    assert options["cap_drop"] == ["ALL"] and options["security_opt"] == ["no-new-privileges"]
    assert options["tmpfs"] == {"/tmp": "rw,nosuid,nodev,size=256m,mode=1777"}
    assert options["environment"]["PYTHONHASHSEED"] == "0"


@pytest.mark.docker
def test_a_dead_container_is_replaced() -> None:
    from sandbox_support import open_or_skip

    with open_or_skip(SandboxConfig(backend="docker", workers=1)) as box:
        assert box.run("x = 1").passed
        (worker,) = box._workers  # type: ignore[attr-defined]
        worker.transport.container.kill()
        assert box.run_tests(ADD, TEST, "add").passed
        (replacement,) = box._workers  # type: ignore[attr-defined]
        assert replacement is not worker


NOT_ROOT_SCRIPT = """
import os, sys
sys.path.insert(0, sys.argv[1])
from pytest_recode.execution import SandboxConfig, open_sandbox
with open_sandbox(SandboxConfig(workers=1, timeout_s=2)) as box:
    first = box.run("import os, socket\\nprint(os.getpid() < 16, socket.gethostname())")
    print(first.status.value, first.stdout.strip(), first.notes)
    print(box.run("import socket\\nsocket.create_connection(('1.1.1.1', 80), timeout=5)").exception_type)
    print(box.run("import os\\nwhile True:\\n    os.fork()", timeout=20).exception_type)
    print(box.run("import os\\nfor s in (2, 15, 9):\\n    os.kill(os.getppid(), s)").status.value)
"""


def test_as_an_ordinary_user_a_user_namespace_does_the_isolation() -> None:
    # A laptop: not root. Needs root here only to become someone else, and an interpreter they may run.
    import shutil
    import subprocess

    python = "/usr/bin/python3"
    if os.geteuid() != 0 or not shutil.which("setpriv") or not os.access(python, os.X_OK):
        pytest.skip("needs root, setpriv and /usr/bin/python3 to run a sandbox as an ordinary user")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    completed = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", python, "-c",
                                NOT_ROOT_SCRIPT, root], capture_output=True, text=True, timeout=120, cwd="/")
    if "No module named" in completed.stderr:
        pytest.skip(f"{python} cannot import the package: {completed.stderr.strip().splitlines()[-1]}")
    assert completed.stdout.splitlines() == [
        "passed True sandbox ('programs run under your own user id (mapped to root inside a user namespace, "
        "with no capabilities)',)",
        "OSError",
        "BlockingIOError",
        "passed",
    ], completed.stderr
