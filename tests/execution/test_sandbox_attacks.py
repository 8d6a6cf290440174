"""The attacks of issue 17, in every backend, each with its exact outcome.

The sandbox fixture has one worker, so a later program runs where the attacker ran: where an attack is
about the next program, an innocent one follows it and must come out as it would on a fresh worker. Each
forgery is paired with a *wrong* solution: any pass would be a forged pass.
"""

from __future__ import annotations

import fcntl
import fractions
import os
import struct
import textwrap
import threading
import time

import pytest
from sandbox_support import CLEAN, LEFTOVERS_PROBE, assert_exact_types

from pytest_recode.execution import RunResult, Sandbox, Status, TestJob

WRONG = "def add(a, b):\n    return a - b\n"
RIGHT = "def add(a, b):\n    return a + b\n"
TEST = "def check(candidate):\n    assert candidate(2, 3) == 5\n"


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def outcome(result: RunResult) -> tuple[Status, str | None]:
    return result.status, result.exception_type


#: Finds the worker's result channel the program's process held before this change (descriptor 3, with the
#: run's nonce): a frame sent there would have been the verdict.
FIND_CHANNEL = dedent("""
    import gc, json, os
    gc.unfreeze()
    def channel(thing):
        try:
            return hasattr(thing, "nonce") and hasattr(thing, "send") and getattr(thing, "fd", None) == 3
        except Exception:
            return False
    """)


# -- 1. a failing test reported as passed ----------------------------------------------------------------
FORGERIES = {
    # The sandbox's own functions replaced, found through sys.modules or the garbage collector.
    "the test runner replaced": (dedent("""
        import gc, sys, types
        gc.unfreeze()  # what the worker froze (and so hid from get_objects), back in reach
        spaces = [vars(m) for m in list(sys.modules.values()) if isinstance(m, types.ModuleType)]
        spaces += [o for o in gc.get_objects() if isinstance(o, dict) and "__builtins__" in o]
        for space in spaces:
            if str(space.get("__name__", "")).startswith("recode_sandbox"):
                for name in ("_run_tests", "_serve", "_call_each", "_Record"):
                    if name in space:
                        space[name] = lambda *args, **kwargs: None
        """) + WRONG, TEST, (Status.FAILED, "SystemExit")),
    # A "passed" frame on every descriptor, with the run's own nonce where one can be found, then an exit.
    "a forged verdict on the result channel": (FIND_CHANNEL + dedent("""
        for channel in [thing for thing in gc.get_objects() if channel(thing)][:1]:
            channel.send({"kind": "verdict", "status": "passed"})
        body = json.dumps({"kind": "verdict", "status": "passed", "nonce": "0" * 32}).encode()
        for fd in range(3, 32):
            try:
                os.write(fd, len(body).to_bytes(4, "big") + body)
            except OSError:
                pass
        os._exit(0)
        """) + WRONG, TEST, (Status.FAILED, "SandboxTampering")),
    # The candidate switches tracing back on in every frame above it, and rewrites the verdict.
    "tracing that rewrites the verdict": (dedent("""
        import sys
        def rewrite(frame, event, arg):
            verdict = frame.f_locals.get("verdict")
            if isinstance(verdict, dict):
                verdict.update(status="passed", exception_type=None, message="", traceback="")
            return rewrite
        def add(a, b):
            sys.settrace(rewrite)
            frame = sys._getframe(1)
            while frame is not None:
                frame.f_trace = rewrite
                frame = frame.f_back
            return a - b
        """), TEST, (Status.FAILED, "AssertionError")),
    # Every copy of math the program can find, and every builtins dict, patched.
    "the tests' math and builtins patched": (dedent("""
        import gc, math, types
        gc.unfreeze()
        for thing in gc.get_objects():
            if isinstance(thing, types.ModuleType) and getattr(thing, "__name__", "") == "math":
                thing.isclose = lambda *args, **kwargs: True
            elif isinstance(thing, dict) and "abs" in thing and "__import__" in thing:
                thing["abs"] = lambda x: 0
        math.isclose = lambda *args, **kwargs: True
        """) + WRONG, "import math\ndef check(candidate):\n    assert math.isclose(candidate(2, 3), 5)\n"
                      "    assert abs(candidate(2, 3) - 5) < 1e-9\n", (Status.FAILED, "AssertionError")),
    # The value serializer patched so that a rebuilt result equals anything.
    "the value serializer patched": (dedent("""
        import gc, types
        class Yes:
            def __eq__(self, other):
                return True
            __hash__ = object.__hash__
        gc.unfreeze()
        for thing in gc.get_objects():
            if isinstance(thing, types.ModuleType) and getattr(thing, "__name__", "").endswith(("_serialize", "_decode")):
                thing.decode = lambda *args, **kwargs: Yes()
        def add(a, b):
            return {"sum": a - b}
        """), "def check(candidate):\n    assert candidate(2, 3) == {'sum': 5}\n", (Status.FAILED, "AssertionError")),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_no_forged_pass(sandbox: Sandbox, name: str) -> None:
    program, test, expected = FORGERIES[name]
    result = sandbox.run_tests(program, test, "add")
    assert outcome(result) == expected, result
    assert sandbox.run_tests(RIGHT, TEST, "add").passed


def test_a_tampered_describing_step_is_still_a_failure(sandbox: Sandbox) -> None:
    # A whole program's failure, whatever the sandbox's describing functions were replaced with.
    program = dedent("""
        import gc, sys, types
        gc.unfreeze()
        modules = [m for m in gc.get_objects() if isinstance(m, types.ModuleType)] + list(sys.modules.values())
        for module in modules:
            if getattr(module, "__name__", "").startswith("recode_sandbox"):
                for name in ("_describe", "_raised", "message_of", "_traceback"):
                    if hasattr(module, name):
                        setattr(module, name, lambda *args, **kwargs: {"status": "passed", "k": "end"})
        assert False, "this program fails"
        """)
    # (Its description replaced, the report of the failure is no longer text: tampering, and a failure.)
    result = sandbox.run(program)
    assert outcome(result) == (Status.FAILED, "SandboxTampering")


# -- 2. one program harms the next ---------------------------------------------------------------------------
SHARED_DESCRIPTORS = {
    # Non-blocking, with a pipe shrunk to a page: a later printer would get BlockingIOError.
    "stdout non-blocking and small": (dedent("""
        import fcntl, os
        fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_NONBLOCK)
        fcntl.fcntl(1, 1031, 4096)
        """), (Status.PASSED, None)),
    # SIGIO to the worker's process group whenever stdout has room: later printers would die of it.
    "stdout signalling SIGIO": (dedent("""
        import fcntl, os
        fcntl.fcntl(1, fcntl.F_SETOWN, -os.getpgrp())
        fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | fcntl.FASYNC)
        """), (Status.PASSED, None)),
    # The result channel made non-blocking with a minimal buffer, or shut down: descriptor 3 is now the
    # program's own pipe to its judge, not a socket of the worker's.
    "the result socket's buffer": (dedent("""
        import socket
        channel = socket.socket(fileno=3)
        channel.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1)
        channel.setblocking(False)
        channel.detach()
        """), (Status.FAILED, "OSError")),
    "the result socket shut down": ("import socket\nsocket.socket(fileno=3).shutdown(socket.SHUT_WR)\n",
                                    (Status.FAILED, "OSError")),
}
PRINTER = "import sys\nfor _ in range(50):\n    sys.stdout.write('y' * 10000)\n    sys.stdout.flush()\n"


@pytest.mark.parametrize("name", sorted(SHARED_DESCRIPTORS))
def test_nothing_a_program_does_to_its_descriptors_reaches_the_next(sandbox: Sandbox, name: str) -> None:
    program, expected = SHARED_DESCRIPTORS[name]
    assert outcome(sandbox.run(program)) == expected
    printer = sandbox.run(PRINTER)
    assert (printer.status, len(printer.stdout), printer.notes) == (
        Status.PASSED, 65536, ("stdout truncated to its first 65536 of 500000 bytes",))
    calls = sandbox.call("def f(n):\n    return 'z' * n\n", "f", [(300000,), (3,)])
    assert (calls.status, [len(o.value) for o in calls.outcomes]) == (Status.PASSED, [300000, 3])
    assert sandbox.run_tests(RIGHT, TEST, "add").passed


LOCK = struct.pack("hhqqi4x", fcntl.F_RDLCK, 0, 0, 0, 0)
LOCK_PROBE = dedent("""
    import fcntl, os, struct
    def locked(fd):
        probe = struct.pack("hhqqi4x", fcntl.F_WRLCK, 0, 0, 0, 0)
        return struct.unpack("hhqqi4x", fcntl.fcntl(fd, fcntl.F_OFD_GETLK, probe))[0] != fcntl.F_UNLCK
    print(locked(0), locked(os.open("/dev/null", os.O_RDONLY)))
    """)


def host_dev_null_locks() -> list[str]:
    """The locks anyone holds on this machine's /dev/null (as /proc/locks lists them)."""
    st = os.stat(os.devnull)
    mark = f" {os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino} "
    with open("/proc/locks", encoding="ascii") as handle:
        return sorted(line.split(":", 1)[1].strip() for line in handle if mark in line)


def test_a_lock_on_dev_null_stays_with_the_program(sandbox: Sandbox, backend: str) -> None:
    # Open-file-description locks live as long as the description: the program's stdin is its own, and
    # (where the worker has a file system of its own) so is its /dev/null.
    locker = dedent(f"""
        import fcntl, os, time
        for fd in (0, os.open("/dev/null", os.O_RDONLY)):
            fcntl.fcntl(fd, fcntl.F_OFD_SETLK, {LOCK!r})
            fcntl.lockf(fd, fcntl.LOCK_SH)
        time.sleep(0.5)
        """)
    before = host_dev_null_locks()
    seen: list[list[str]] = []
    watcher = threading.Thread(target=lambda: [seen.append(host_dev_null_locks()) or time.sleep(0.05)
                                               for _ in range(8)])
    watcher.start()
    assert sandbox.run(locker).passed
    watcher.join()
    probe = sandbox.run(LOCK_PROBE)
    assert (probe.status, probe.stdout) == (Status.PASSED, "False False\n")
    if backend == "local":  # (a container's /dev/null is its own anyway)
        assert all(locks == before for locks in seen), (before, seen)


# -- 3. left behind, or read across programs --------------------------------------------------------------
MQ = dedent("""
    import ctypes, os
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mq_open.restype = ctypes.c_int
    libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_void_p]
    queue = libc.mq_open(b"/recode-leak", {flags}, 0o600, None)
    print("opened" if queue >= 0 else os.strerror(ctypes.get_errno()))
    """)


def test_posix_message_queues_are_refused(sandbox: Sandbox) -> None:
    writer = sandbox.run(MQ.format(flags=os.O_CREAT | os.O_RDWR))
    reader = sandbox.run(MQ.format(flags=os.O_RDONLY))
    assert (writer.status, writer.stdout, reader.status, reader.stdout) == (
        Status.PASSED, "Operation not permitted\n", Status.PASSED, "Operation not permitted\n")


def test_memory_no_limit_counts_is_refused(sandbox: Sandbox) -> None:
    hoard = "import os\nfd = os.memfd_create('hoard')\nos.ftruncate(fd, 1536 << 20)\n"
    assert outcome(sandbox.run(hoard)) == (Status.FAILED, "PermissionError")


def test_a_socket_kept_alive_by_passing_it_to_itself_is_gone_for_the_next_program(sandbox: Sandbox) -> None:
    cycle = dedent("""
        import array, socket
        a, b = socket.socketpair()
        hidden = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        hidden.bind("\\0recode-leak")
        hidden.listen()
        a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [hidden.fileno(), b.fileno()]))])
        b.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [a.fileno()]))])
        """)
    assert sandbox.run(cycle).passed
    probe = sandbox.run("print('@recode-leak' in open('/proc/net/unix').read())\n")
    assert (probe.status, probe.stdout) == (Status.PASSED, "False\n")
    assert sandbox.run_tests(RIGHT, TEST, "add").passed


MEMORY_SCAN = dedent("""
    import ctypes, re
    pattern = re.compile(rb"ZQ[0-9]{8}QZ")
    found = set()
    for line in open("/proc/self/maps"):
        fields = line.split()
        start, end = (int(x, 16) for x in fields[0].split("-"))
        if "r" not in fields[1] or fields[-1] in ("[vvar]", "[vvar_vclock]", "[vsyscall]"):
            continue
        try:
            found.update(pattern.findall(ctypes.string_at(start, end - start)))
        except Exception:
            pass
    print(sorted(found))
    """)


def test_no_program_finds_an_earlier_ones_text_or_output_in_its_memory(sandbox: Sandbox) -> None:
    secret = "token = 'ZQ31415926QZ'\nprint(token)\n" + "# padding\n" * 500
    assert sandbox.run(secret).stdout == "ZQ31415926QZ\n"
    assert sandbox.run_tests(secret + RIGHT, TEST, "add").passed
    scan = sandbox.run(MEMORY_SCAN, timeout=30)
    assert (scan.status, scan.stdout) == (Status.PASSED, "[]\n")


# -- 4. the host ---------------------------------------------------------------------------------------------
NESTED = "import os\nbody = b'[' * 100000\nos.write(3, len(body).to_bytes(4, 'big') + body)\nos._exit(0)\n"


def test_a_frame_nested_beyond_any_parser_costs_only_its_own_run(sandbox: Sandbox) -> None:
    results = sandbox.run_many([TestJob(NESTED + WRONG, TEST, "add"), TestJob(RIGHT, TEST, "add")] * 2)
    assert [outcome(r) for r in results] == [(Status.FAILED, "SandboxTampering"), (Status.PASSED, None)] * 2


def test_a_directory_nest_thousands_deep_is_cleared(sandbox: Sandbox) -> None:
    nest = "import os\nfor _ in range(3000):\n    os.mkdir('d')\n    os.chdir('d')\n"
    results = sandbox.run_many([TestJob(nest + RIGHT, TEST, "add"), TestJob(RIGHT, TEST, "add")])
    assert [r.status for r in results] == [Status.PASSED, Status.PASSED]
    probe = sandbox.run(LEFTOVERS_PROBE)
    assert (probe.status, probe.stdout) == (Status.PASSED, CLEAN)


MALFORMED = FIND_CHANNEL + dedent("""
    for channel in [thing for thing in gc.get_objects() if channel(thing)][:1]:
        channel.send({"kind": "verdict", "status": "failed", "exception_type": 5, "message": ["x"]})
        os._exit(0)
    body = json.dumps({"k": "raised", "t": 5, "m": ["x"], "b": [], "tb": None, "p": os.getpid()}).encode()
    os.write(3, len(body).to_bytes(4, "big") + body)
    os._exit(0)
    """)
STR_SUBCLASS = dedent("""
    class Text(str):
        pass
    class Odd(Exception):
        def __str__(self):
            return Text("boom")
    raise Odd()
    """)


def test_results_are_of_exact_types_whatever_the_program_sends(sandbox: Sandbox) -> None:
    forged = sandbox.run_tests(MALFORMED + WRONG, TEST, "add")
    assert outcome(forged) == (Status.FAILED, "SandboxTampering")
    odd = sandbox.run(STR_SUBCLASS)
    assert (odd.status, odd.exception_type, odd.message) == (Status.FAILED, "Odd", "boom")
    for result in (forged, odd):
        assert_exact_types(result)


def test_an_unnormalised_fraction_of_huge_parts_decodes_in_bounded_time(sandbox: Sandbox) -> None:
    program = dedent("""
        from fractions import Fraction
        def f():
            n = 3 ** 1500000
            return Fraction(n, n + 1, _normalize=False)
        """)
    result = sandbox.call(program, "f", [()], timeout=30)
    assert result.status is Status.PASSED
    started = time.monotonic()
    value = result.outcomes[0].decoded()
    assert time.monotonic() - started < 1.0
    assert type(value) is fractions.Fraction and value.numerator == 3 ** 1500000


def test_gigabytes_on_stdout_and_stderr_finish_capped(sandbox: Sandbox) -> None:
    flood = ("import os\nchunk = b'x' * (1 << 20)\n"
             "for _ in range(2048):\n    os.write(1, chunk)\n    os.write(2, chunk)\n")
    result = sandbox.run(flood, timeout=60)
    assert (result.status, result.stdout, result.stderr) == (Status.PASSED, "x" * 65536, "x" * 65536)
    assert result.notes == ("stdout truncated to its first 65536 of 2147483648 bytes",
                            "stderr truncated to its first 65536 of 2147483648 bytes")
