"""Hostile completions, in every backend: each one's exact outcome, nothing left behind, the runner alive.

The forgery attempts are paired with a *wrong* solution, so any pass would be a forged pass.
"""

from __future__ import annotations

import os
import socket
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sandbox_support import CLEAN, LEFTOVERS_PROBE, assert_exact_types, host_sandbox_processes

from pytest_recode.execution import RunResult, Sandbox, Status

WRONG = "def add(a, b):\n    return a - b\n"
RIGHT = "def add(a, b):\n    return a + b\n"
TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(0, 0) == 0\n"


@dataclass(frozen=True)
class Hostile:
    program: str
    status: Status
    exception_type: str | None = None
    test: str | None = TEST  # None: run the program as a whole
    #: backend -> (status, exception_type) where a backend's outcome differs
    elsewhere: dict[str, tuple[Status, str | None]] = field(default_factory=dict)
    #: seconds, where the sandbox's 2 s could run out on a loaded machine before the expected failure comes
    timeout: float | None = None


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


FAILED, PASSED, TIMEOUT, CRASHED = Status.FAILED, Status.PASSED, Status.TIMEOUT, Status.CRASHED
HOSTILE = {
    # -- exiting before the asserts ------------------------------------------------------------------------
    "os._exit(0) at load": Hostile("import os\nos._exit(0)\n" + WRONG, FAILED, "SystemExit"),
    "sys.exit(0) at load": Hostile("import sys\nsys.exit(0)\n" + WRONG, FAILED, "SystemExit"),
    "raise SystemExit at load": Hostile("raise SystemExit\n" + WRONG, FAILED, "SystemExit"),
    "os._exit(0) in the candidate": Hostile("def add(a, b):\n    import os\n    os._exit(0)\n", FAILED, "SystemExit"),
    "sys.exit(0) in the candidate": Hostile("def add(a, b):\n    import sys\n    sys.exit(0)\n", FAILED, "SystemExit"),
    # -- replacing what the tests rely on ------------------------------------------------------------------
    "a check of its own": Hostile(WRONG + "def check(candidate):\n    pass\n", FAILED, "AssertionError"),
    "check in builtins": Hostile("import builtins\nbuiltins.check = lambda c: None\n" + WRONG, FAILED,
                                 "AssertionError"),
    "replaced AssertionError": Hostile(
        "import builtins\nclass Nope(Exception):\n    pass\nbuiltins.AssertionError = Nope\n" + WRONG,
        FAILED, "AssertionError"),
    "replaced abs": Hostile("import builtins\nbuiltins.abs = lambda x: 0\n" + WRONG, FAILED, "AssertionError",
                            test="def check(candidate):\n    assert abs(candidate(2, 3) - 5) < 1e-9\n"),
    "patched math.isclose": Hostile(
        "import math\nmath.isclose = lambda *a, **k: True\n" + WRONG, FAILED, "AssertionError",
        test="import math\ndef check(candidate):\n    assert math.isclose(candidate(2, 3), 5)\n"),
    "patched os.path.exists, imported from": Hostile(
        "import os.path\nos.path.exists = lambda path: True\n" + WRONG, FAILED, "AssertionError",
        test="from os.path import exists\ndef check(candidate):\n    assert exists('/nowhere') or candidate(2, 3) == 5\n"),
    "patched json.dumps, the verdict's encoder": Hostile(
        "import json\njson.dumps = lambda *a, **k: '{\"status\": \"passed\"}'\n" + WRONG, FAILED, "AssertionError"),
    "replaced sys.settrace": Hostile(dedent("""
        import sys
        def tracer(frame, event, arg):
            if frame.f_code.co_name == "check":
                raise SystemExit  # would look like an early exit, were the hook left in place
        sys.settrace(tracer)
        sys.settrace = lambda hook: None
        """) + RIGHT, PASSED),
    "replaced compile": Hostile(dedent("""
        import builtins
        real = builtins.compile
        builtins.compile = lambda s, f, m, *a, **k: real("def check(candidate):\\n    pass\\n", f, m)
        """) + WRONG, FAILED, "AssertionError"),
    "replaced exec": Hostile("import builtins\nbuiltins.exec = lambda *a, **k: None\n" + WRONG, FAILED,
                             "AssertionError"),
    "tracer jumping over the asserts": Hostile(dedent("""
        import sys
        def local(frame, event, arg):
            if event == "line" and frame.f_lineno == frame.f_code.co_firstlineno + 1:
                frame.f_lineno = frame.f_code.co_firstlineno + 2
            return local
        def tracer(frame, event, arg):
            return local if frame.f_code.co_name == "check" else None
        sys.settrace(tracer)
        """) + WRONG, FAILED, "AssertionError", test="def check(candidate):\n    assert candidate(2, 3) == 5\n    pass\n"),
    "__eq__ always True": Hostile(dedent("""
        class Yes:
            def __eq__(self, other):
                return True
        def add(a, b):
            return Yes()
        """), FAILED, "UncheckableResult"),
    "int subclass that lies": Hostile(dedent("""
        class Int(int):
            def __eq__(self, other):
                return True
            __hash__ = int.__hash__
        def add(a, b):
            return Int(a - b)
        """), FAILED, "UncheckableResult"),
    # -- forging the verdict -------------------------------------------------------------------------------
    "a verdict written to the result channel": Hostile(
        "import os\nos.write(3, b'\\x00\\x00\\x00\\x13{\"status\":\"passed\"}')\nos._exit(0)\n" + WRONG,
        FAILED, "SandboxTampering"),
    "a forked copy reports instead": Hostile("import os\nif os.fork():\n    os._exit(0)\n" + RIGHT, FAILED,
                                             "SystemExit"),
    # The copy's verdict surely arrives first: only the sender check can turn it away.
    "a forked copy reports first": Hostile(
        "import os\npid = os.fork()\nif pid:\n    os.waitpid(pid, 0)\n    os._exit(0)\n" + RIGHT, FAILED, "SystemExit"),
    # -- the worker, the judge and the runner ----------------------------------------------------------------
    # The program's parent is the worker (root, or PID 1 of the container, which ignores signals it has no
    # handler for). Its judge runs under a user id of its own where the worker is root: no signal reaches it
    # (kill(-1) still returns 0, having tried it); in a container it shares the programs' user id, and a
    # program that kills it crashes its own run, and only that.
    "os.kill(os.getppid(), 9)": Hostile("import os\nos.kill(os.getppid(), 9)\n" + RIGHT, FAILED, "PermissionError",
                                        elsewhere={"docker": (PASSED, None)}),
    "SIGINT to the worker": Hostile("import os, signal\nos.kill(os.getppid(), signal.SIGINT)\n" + RIGHT, FAILED,
                                    "PermissionError", elsewhere={"docker": (PASSED, None)}),
    # The worker leads its process group, 1: killpg(1) means kill(-1).
    "os.killpg of the worker's group": Hostile("import os\nos.killpg(os.getpgid(os.getppid()), 9)\n" + RIGHT,
                                               PASSED, elsewhere={"docker": (CRASHED, None)}),
    "os.kill(-1, SIGKILL)": Hostile("import os, signal\nos.kill(-1, signal.SIGKILL)\n" + RIGHT, PASSED,
                                    elsewhere={"docker": (CRASHED, None)}),
    "setuid(0)": Hostile("import os\nos.setuid(0)\n", FAILED, "PermissionError", test=None),
    "the worker's memory": Hostile("open('/proc/1/mem', 'rb').read(1)\n", FAILED, "PermissionError", test=None),
    "a new user namespace": Hostile(dedent("""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        assert libc.unshare(0x10000000) == -1 and ctypes.get_errno() == 1
        """), PASSED, test=None),
    "System V IPC objects, which would outlive it": Hostile(dedent("""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        IPC_PRIVATE, IPC_CREAT = 0, 0o1000
        for make in (lambda: libc.shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0o600),
                     lambda: libc.semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600),
                     lambda: libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o600)):
            assert make() == -1 and ctypes.get_errno() == 1
        """), PASSED, test=None),
    # -- resources ------------------------------------------------------------------------------------------
    "infinite loop": Hostile("while True:\n    pass\n", TIMEOUT, test=None),
    "ignoring and re-arming signals": Hostile(dedent("""
        import signal
        for number in (signal.SIGTERM, signal.SIGALRM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
            signal.signal(number, signal.SIG_IGN)
        signal.setitimer(signal.ITIMER_REAL, 0.1, 0.1)
        while True:
            pass
        """), TIMEOUT, test=None),
    "memory bomb": Hostile("x = bytearray(8 * 1024 ** 3)\n", FAILED, "MemoryError", test=None),
    "growing memory": Hostile("chunks = []\nwhile True:\n    chunks.append(bytearray(10 ** 7))\n", FAILED,
                              "MemoryError", test=None),
    # Reaching the 64-process limit takes 64 forks competing for the CPU: give it time on a loaded machine.
    "fork bomb": Hostile("import os\nwhile True:\n    os.fork()\n", FAILED, "BlockingIOError", test=None,
                         timeout=20.0),
    "deep recursion": Hostile("def f(n):\n    return f(n + 1)\nf(0)\n", FAILED, "RecursionError", test=None),
    "C stack overflow": Hostile(dedent("""
        import sys
        sys.setrecursionlimit(10 ** 9)
        class A:
            def __getattr__(self, name):
                return getattr(self, name)
        A().x
        """), CRASHED, test=None),
    "a file too large": Hostile("open('big', 'wb').write(b'x' * (64 << 20))\n", FAILED, "OSError", test=None),
    # -- files and network ----------------------------------------------------------------------------------
    "writing outside the work dir": Hostile("open('/etc/recode-hostile', 'w').write('x')\n", FAILED, "OSError",
                                            test=None),
    "deleting outside the work dir": Hostile("import os\nos.remove('/usr/lib/os-release')\n", FAILED, "OSError",
                                             test=None),
    "files in /tmp and /dev/shm": Hostile(
        "open('/tmp/leak', 'w').write('x')\nopen('/dev/shm/leak', 'w').write('x')\nopen('here', 'w').write('x')\n",
        PASSED, test=None),
    "files it made hard to delete": Hostile(dedent("""
        import os
        os.makedirs("a/b/c")
        open("a/b/c/f", "w").close()
        os.symlink("/etc", "a/etc")
        os.chmod("a/b/c", 0)
        os.chmod("a/b", 0o500)
        os.chmod(".", 0o500)
        """), PASSED, test=None),
    "a network connection": Hostile("import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=5)\n",
                                    FAILED, "OSError", test=None),
    "a name lookup": Hostile("import socket\nsocket.getaddrinfo('example.com', 80)\n", FAILED, "gaierror",
                             test=None),
    # -- leftovers ------------------------------------------------------------------------------------------
    "a thread that outlives the program": Hostile(dedent("""
        import threading
        def spin():
            while True:
                open("/tmp/spin", "w").close()
        threading.Thread(target=spin).start()
        """), PASSED, test=None),
    "a daemon that outlives the program": Hostile(dedent("""
        import os, subprocess, time
        subprocess.Popen(["sleep", "1000"], start_new_session=True)
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(1000)
            os._exit(0)
        """), PASSED, test=None),
    # -- standard streams and directory ----------------------------------------------------------------------
    "closed stdout and stderr": Hostile("import os, sys\nsys.stdout.close()\nos.close(1)\nos.close(2)\n" + RIGHT,
                                        PASSED),
    "a changed directory": Hostile("import os\nos.chdir('/')\n" + RIGHT, PASSED),
    "input()": Hostile("input()\n", FAILED, "EOFError", test=None),
}


def run(sandbox: Sandbox, hostile: Hostile) -> RunResult:
    if hostile.test is None:
        return sandbox.run(hostile.program, timeout=hostile.timeout)
    return sandbox.run_tests(hostile.program, hostile.test, "add", timeout=hostile.timeout)


def assert_nothing_left(sandbox: Sandbox) -> None:
    probe = sandbox.run(LEFTOVERS_PROBE)
    assert (probe.status, probe.stdout) == (Status.PASSED, CLEAN)
    if sandbox.config.backend == "local":
        # White-box: the program user ids of this sandbox's workers (200000 + launcher pid).
        uids = {200000 + worker.transport.process.pid for worker in sandbox._workers}  # type: ignore[attr-defined]
        assert [p for p in host_sandbox_processes() if p[1] in uids] == []


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_program(sandbox: Sandbox, backend: str, name: str) -> None:
    hostile = HOSTILE[name]
    result = run(sandbox, hostile)
    expected = hostile.elsewhere.get(backend, (hostile.status, hostile.exception_type))
    assert (result.status, result.exception_type) == expected, result
    assert_exact_types(result)  # and describe_run works on it
    assert_nothing_left(sandbox)
    assert sandbox.run_tests(RIGHT, TEST, "add").passed  # the runner survived


def test_at_least_25_hostile_programs() -> None:
    assert len(HOSTILE) >= 25


def test_exit_messages_say_what_happened(sandbox: Sandbox) -> None:
    assert run(sandbox, HOSTILE["os._exit(0) at load"]).message == "the program exited (status 0) before its end"
    assert run(sandbox, HOSTILE["sys.exit(0) at load"]).message == "the program called exit(0) before the end"
    crash = run(sandbox, HOSTILE["C stack overflow"])
    assert crash.message.startswith("killed by SIGSEGV (11)")


def test_gigabytes_of_output_are_capped(sandbox: Sandbox) -> None:
    result = sandbox.run("import sys\nwhile True:\n    sys.stdout.write('x' * 1000000)\n")
    assert result.status is Status.TIMEOUT
    assert result.stdout == "x" * 65536
    assert any(note.startswith("stdout truncated to its first 65536 of ") for note in result.notes)
    assert_nothing_left(sandbox)


WORKDIR_PROBE = """\
import os
st = os.stat(".")
print(os.listxattr("."), st.st_atime_ns == 123, st.st_mtime_ns == 456, oct(st.st_mode & 0o777), os.listdir("."))
"""


@pytest.mark.parametrize("mark", [
    "os.setxattr('.', 'user.leak', b'1')",
    "os.utime('.', ns=(123, 456))",
    "os.chmod('.', 0o500)",
    "os.mkdir('d')\nos.rmdir('d')\nos.utime('.', ns=(123, 456))",
])
def test_nothing_left_on_the_work_directory_reaches_the_next_program(sandbox: Sandbox, mark: str) -> None:
    # Not files only: what a program sets on the work directory itself stays with it.
    marked = sandbox.run(f"import os\n{mark}\n")
    assert marked.passed or marked.exception_type == "OSError"  # extended attributes: where the kernel has them
    result = sandbox.run(WORKDIR_PROBE)
    assert (result.status, result.stdout) == (Status.PASSED, "[] False False 0o700 []\n")


def test_stdin_reads_as_empty(sandbox: Sandbox) -> None:
    assert sandbox.run("import sys\nassert sys.stdin.read() == ''\n").passed


def test_files_written_outside_never_reach_the_host(sandbox: Sandbox) -> None:
    assert run(sandbox, HOSTILE["files in /tmp and /dev/shm"]).passed
    assert not os.path.exists("/tmp/leak") or os.path.getsize("/tmp/leak") != 1
    assert not os.path.exists("/etc/recode-hostile")
    assert os.path.exists("/usr/lib/os-release")


def test_host_files_stay(sandbox: Sandbox, backend: str) -> None:
    # Not under /tmp: the local worker has a tmpfs of its own there.
    with tempfile.TemporaryDirectory(dir="/var/tmp") as directory:
        os.chmod(directory, 0o755)
        sentinel = Path(directory, "keep")
        sentinel.write_text("x")
        result = sandbox.run(f"import os\nos.remove({str(sentinel)!r})\n")
        assert sentinel.read_text() == "x"
    expected = "FileNotFoundError" if backend == "docker" else "OSError"  # EROFS; the container cannot see it
    assert (result.status, result.exception_type) == (Status.FAILED, expected)


def test_the_environment_is_not_the_callers(sandbox: Sandbox) -> None:
    result = sandbox.run(dedent(f"""
        import os
        seen = [repr(dict(os.environ))]
        for pid in ["self", "1", "{os.getpid()}", "{os.getppid()}"]:
            for part in ("environ", "cmdline"):
                try:
                    seen.append(open(f"/proc/{{pid}}/{{part}}", "rb").read().decode(errors="replace"))
                except OSError as exc:
                    seen.append(type(exc).__name__)
        print(seen)
        """))
    assert result.passed
    assert os.environ["PATH"] not in result.stdout and "pytest" not in result.stdout
    assert "'PYTHONHASHSEED': '0'" in result.stdout


def test_the_host_loopback_is_out_of_reach(sandbox: Sandbox, backend: str) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        result = sandbox.run(f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5)\n")
        with pytest.raises(BlockingIOError):
            listener.accept()
    # The container has its own loopback (nothing listens there); the local worker has none up.
    expected = "ConnectionRefusedError" if backend == "docker" else "OSError"
    assert (result.status, result.exception_type) == (Status.FAILED, expected)
