"""Making a process the forker: what it must keep, what it loads once for every child, and freezing it (part
of the worker).

Standard library only. :func:`secure` (not dumpable, no new privileges, the seccomp filter) survives the
forker's re-execution; :func:`warm` loads the modules most programs and tests import and runs the
judge's and the program's code once (see ``_warmup.py``); :func:`freeze` keeps the garbage collector from
touching, hence copying, any of it in each child.
"""

from __future__ import annotations

import gc
import signal
import sys

__all__ = ["PRELOAD", "freeze", "secure", "warm"]

#: Modules most HumanEval/MBPP programs and tests import, loaded once here so no child pays for them.
#: Only those: each module with a C library adds mappings every fork must copy (``bisect`` and ``heapq``,
#: used by under 2% of MBPP and no HumanEval problem, cost every child more than the import costs the few
#: that use them), and `random` and `threading` add after-fork hooks.
PRELOAD = ("re", "math", "collections", "typing", "itertools", "functools", "copy", "operator", "string")


def secure(notes: list[str]) -> None:
    """What this process and every child it forks must keep (it survives an exec): not dumpable (no ptrace,
    no /proc/<pid>/mem for programs of our user id), no new privileges, the seccomp filter."""
    from . import _isolation, _seccomp

    try:
        _isolation.prctl(_isolation.PR_SET_DUMPABLE, 0)
    except OSError:
        notes.append("programs may trace the worker (no prctl here)")
    # Shared by every child from here on: no privilege gained by exec, and no system call outside the
    # filter (this process needs none of them any more).
    program = _seccomp.filter_program()
    try:
        _isolation.prctl(_isolation.PR_SET_NO_NEW_PRIVS, 1)
        if program is None:
            notes.append("no seccomp filter (unknown system call numbers on this machine)")
        else:
            _seccomp.install(program)
    except OSError as exc:
        notes.append(f"no seccomp filter ({exc.strerror or exc})")


def warm() -> None:
    """Make this process the children's template: modules, signals, code paths run once."""
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # programs put Python's handler back; judges keep this
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    sys.argv = ["program.py"]
    from ._warmup import warm_up

    warm_up()


def freeze(*, trim: bool = True) -> None:
    """Everything loaded so far is shared with every child copy-on-write: keep the garbage collector from
    touching (hence copying) it in each child, and (``trim``) hand the C heap's free pages back."""
    gc.collect()
    gc.freeze()
    if trim:
        try:
            from ._isolation import malloc_trim

            malloc_trim()
        except OSError:
            pass
