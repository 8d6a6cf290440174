"""Linux isolation for the sandbox worker: namespaces, a read-only filesystem, and dropping privileges.

Standard library only (the worker loads it inside a bare Docker image). The worker calls :func:`isolate`
once at start; every mode below degrades to the next when the kernel refuses, and says what was lost in
``Isolation.notes``:

- ``namespaces`` (running as root): new mount, network, IPC, UTS and PID namespaces. The worker splits in
  two (see ``_worker.py``): the launcher stays outside the PID namespace and its child, PID 1 of the
  namespace, is the *forker* (``_forker.py``), so killing every process the forker can see but its judge
  ends all leftovers of a program and never the host (outside), and the namespace's ``/proc`` shows
  nothing of the host; every mount is re-bound read-only; fresh size-limited tmpfs on ``/tmp`` and
  ``/dev/shm``, and a ``/dev/null`` of the worker's own (a lock on it reaches no other worker, nor the
  host); each program runs as an unprivileged user id private to this worker (``uid_base + launcher
  pid``), so ``RLIMIT_NPROC`` bounds fork bombs and it cannot signal or trace root, nor its judge (a user
  id of its own, see ``_forker.py``).
- ``userns`` (not root, user namespaces allowed): the same namespaces, and split, inside a user namespace;
  programs keep the caller's user id (mapped to 0 inside) with every capability dropped.
- ``plain``: resource limits and a process group only; the worker is the forker itself, with no launcher
  (it still forks a judge, and each program). Inside a container where the worker is PID 1 it still kills
  every leftover process after each program (the container provides the rest).
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
from typing import Any

__all__ = ["Isolation", "drop_capabilities", "isolate", "prctl"]

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = 32, 1024, 2048, 4096, 16384
MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 1 << 18, 1 << 21, 1 << 24
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_SECUREBITS = 1, 4, 24, 28
PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 47, 4
# SECBIT_NOROOT | its lock | SECBIT_NO_SETUID_FIXUP | its lock: uid 0 gains nothing on execve.
_SECUREBITS = 0x01 | 0x02 | 0x04 | 0x08
_CAPSET = {"x86_64": 126, "aarch64": 91}
_MOUNT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
                "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}

#: Where programs' temporary directories go when ``/tmp`` cannot be replaced.
_FALLBACK_WORK_ROOT = "/dev/shm"


class Isolation:
    """What :func:`isolate` achieved. ``child_uid`` is None when programs keep the worker's user id.

    ``role`` is "worker" (one process: it forks the programs itself), or, where the worker split in two,
    "launcher" (outside the PID namespace) or "forker" (PID 1 inside it, the launcher's child).
    ``pid1``: the process forking programs is PID 1 of a PID namespace (or of a container), so it can kill
    every leftover process.

    (A plain class: the worker avoids importing ``dataclasses``, which pulls in ``inspect``.)
    """

    def __init__(self, mode: str, work_root: str, child_uid: int | None = None, pid1: bool = False,
                 notes: list[str] | None = None, role: str = "worker") -> None:
        self.mode = mode
        self.work_root = work_root
        self.child_uid = child_uid
        self.pid1 = pid1
        self.notes = notes if notes is not None else []
        self.role = role


@functools.lru_cache(maxsize=None)
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _function(name: str) -> Any:
    """A C library function; OSError (as for any refusal) where this system has none (not Linux)."""
    try:
        return getattr(_libc(), name)
    except AttributeError:
        raise OSError(0, f"{name}: not available on this system") from None


def _check(result: int, what: str) -> int:
    if result == -1:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
    return result


def prctl(option: int, arg: int = 0) -> None:
    _check(_function("prctl")(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0),
                              ctypes.c_ulong(0)), f"prctl({option})")


def malloc_trim() -> None:
    """Give the C heap's free pages back to the system."""
    _function("malloc_trim")(ctypes.c_size_t(0))


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = (lambda s: None if s is None else s.encode())  # noqa: E731
    _check(_function("mount")(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


def _unshare(flags: int) -> None:
    _check(_function("unshare")(ctypes.c_int(flags)), "unshare")


def drop_capabilities() -> None:
    """Empty the bounding, ambient, effective, permitted and inheritable sets, and lock uid 0 out of them."""
    libc = _libc()
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0) == -1:
            break  # EINVAL past the last capability this kernel knows
    try:
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    except OSError:
        pass
    prctl(PR_SET_SECUREBITS, _SECUREBITS)
    machine = os.uname().machine
    number = _CAPSET.get(machine)
    if number is None:
        raise OSError(0, f"capset: unknown syscall number on {machine}")
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)
    data = (ctypes.c_uint32 * 6)()
    _check(libc.syscall(ctypes.c_long(number), header, data), "capset")


def _unescape(path: str) -> str:
    # mountinfo writes space, tab, newline and backslash as octal escapes.
    for code in ("\\040", "\\011", "\\012", "\\134"):
        path = path.replace(code, chr(int(code[1:], 8)))
    return path


def _mounts() -> list[tuple[str, int]]:
    """(mount point, flags to keep) of every mount, parents first."""
    result = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            fields = line.split()
            options = fields[5].split(",")
            flags = 0
            for option in options:
                flags |= _MOUNT_FLAGS.get(option, 0)
            if not flags & (MS_NOATIME | MS_RELATIME):
                flags |= MS_STRICTATIME
            result.append((_unescape(fields[4]), flags))
    return result


def _read_only_everywhere(notes: list[str]) -> None:
    for target, flags in _mounts():
        if target == "/proc" or target.startswith("/proc/"):
            continue
        try:
            # MS_BIND makes this change only our copy of the mount, never the file system itself.
            _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags)
        except OSError as exc:
            if target == "/":
                notes.append(f"the file system is writable: remounting / read-only failed ({exc.strerror})")


def _closed_ancestor(path: str) -> str | None:
    """The outermost directory on the way to ``path`` that other users may not enter, if any."""
    current = "/"
    for part in path.strip("/").split("/")[:-1]:
        current = os.path.join(current, part)
        try:
            if not os.stat(current).st_mode & 0o001:
                return current
        except OSError:
            return None
    return None


def _expose_interpreter() -> None:
    """Let unprivileged programs read the interpreter's libraries where they sit under a private directory
    (pyenv under /root): cover that directory with a tmpfs holding read-only binds of just those paths,
    so programs see the interpreter and nothing else of it."""
    import sys

    wanted = {os.path.realpath(p) for p in [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                                            *sys.path] if p and os.path.exists(p)}
    outermost = [p for p in wanted if not any(p.startswith(q + "/") for q in wanted)]
    blocked: dict[str, list[str]] = {}
    for path in outermost:
        closed = _closed_ancestor(path)
        if closed is not None:
            blocked.setdefault(closed, []).append(path)
    for closed, paths in sorted(blocked.items()):
        handles = [(path, os.open(path, os.O_PATH)) for path in paths]  # still reachable once covered
        try:
            _mount("tmpfs", closed, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
            for path, handle in handles:
                if os.path.isdir(f"/proc/self/fd/{handle}"):
                    os.makedirs(path, exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    open(path, "a").close()
                _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
        finally:
            for _, handle in handles:
                os.close(handle)


def _private_filesystem(notes: list[str], tmpfs_mb: int, child_uid: int | None) -> str:
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    try:
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError as exc:
        notes.append(f"the host's processes are visible in /proc (mounting a private /proc failed: {exc.strerror})")
    if child_uid is not None:
        _expose_interpreter()
    _read_only_everywhere(notes)
    import sys

    # A tmpfs over /tmp hides whatever lives there. The worker needs only the standard library once it runs
    # (its own code arrived on the command line), so a virtual environment or checkout under /tmp (a CI
    # clone, say) costs programs only its third-party packages; a standard library under /tmp is kept.
    def under_tmp(path: str) -> bool:
        return path == "/tmp" or path.startswith("/tmp/")

    stdlib_under_tmp = any(under_tmp(p) for p in (sys.base_prefix, sys.base_exec_prefix))
    if not stdlib_under_tmp:
        sys.path[:] = [p for p in sys.path if not under_tmp(p)]
    if child_uid is not None:
        _private_devnull(notes)
    work_root = "/tmp"
    for target in ("/tmp", "/dev/shm"):
        if target == "/tmp" and stdlib_under_tmp:
            notes.append("/tmp stays read-only (the interpreter lives under it); programs write under /dev/shm")
            work_root = _FALLBACK_WORK_ROOT
            continue
        if os.path.isdir(target):
            _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmpfs_mb}m,mode=1777")
    return work_root


def _private_devnull(notes: list[str]) -> None:
    """A /dev/null of the worker's own: a device node on a tmpfs of its own, bound over the shared one, so
    that a lock a program takes on it is seen by no other worker and not by the host. (The tmpfs is mounted
    on /dev/shm for the moment it takes; the worker's own /dev/shm is mounted over it afterwards.)"""
    import stat

    node = "/dev/shm/null"
    try:
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=4k,mode=755")
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.chmod(node, 0o666)
        _mount(node, "/dev/null", None, MS_BIND)
    except OSError as exc:
        notes.append(f"programs share /dev/null with the host (a private one failed: {exc.strerror or exc})")


def _set_hostname() -> None:
    name = b"sandbox"  # in the new UTS namespace: programs neither learn nor change the host's name
    _check(_function("sethostname")(name, ctypes.c_size_t(len(name))), "sethostname")


def _split() -> int:
    """Fork the forker, PID 1 of the new PID namespace: 0 in it, its pid in the launcher."""
    pid = os.fork()
    if pid == 0:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the whole namespace dies with the launcher
    return pid


def isolate(requested: str, *, in_container: bool, uid_base: int, tmpfs_mb: int) -> Isolation:
    """Isolate the calling worker as far as ``requested`` ("auto", "namespaces", "userns", "plain") allows.

    With namespaces the worker splits: this returns in both the launcher and the forker (see ``role``)."""
    notes: list[str] = []
    launcher = os.getpid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID
    if requested in ("auto", "namespaces") and not in_container and os.geteuid() == 0:
        try:
            _unshare(flags)
        except OSError as exc:
            if requested == "namespaces":
                raise
            notes.append(f"no namespaces as root ({exc.strerror})")
        else:
            _set_hostname()
            pid = _split()
            if pid:
                return Isolation("namespaces", "", uid_base + launcher, True, notes, "launcher")
            work_root = _private_filesystem(notes, tmpfs_mb, uid_base + launcher)
            return Isolation("namespaces", work_root, uid_base + launcher, True, notes, "forker")
    if requested in ("auto", "userns", "namespaces") and not in_container:
        uid, gid = os.geteuid(), os.getegid()
        try:
            _unshare(flags | CLONE_NEWUSER)
        except OSError as exc:
            if requested == "userns":
                raise
            notes.append(f"no user namespace ({exc.strerror})")
        else:
            with open("/proc/self/setgroups", "w") as handle:
                handle.write("deny")
            with open("/proc/self/uid_map", "w") as handle:
                handle.write(f"0 {uid} 1")
            with open("/proc/self/gid_map", "w") as handle:
                handle.write(f"0 {gid} 1")
            _set_hostname()
            notes.append("programs run under your own user id (mapped to root inside a user namespace, "
                         "with no capabilities)")
            pid = _split()
            if pid:
                return Isolation("userns", "", None, True, notes, "launcher")
            work_root = _private_filesystem(notes, tmpfs_mb, None)
            drop_capabilities()
            return Isolation("userns", work_root, None, True, notes, "forker")
    pid1 = os.getpid() == 1
    if not in_container:
        if os.geteuid() == 0:
            notes.append("programs run as root: without namespaces nothing keeps them from changing this machine")
        notes.extend([
            "no network namespace: programs can open network connections",
            "no mount namespace: programs can write wherever this user can",
            "no PID namespace: a process that leaves the program's process group may outlive it",
            "programs run under the worker's user id: they can kill it (it is then replaced)",
        ])
    import tempfile

    return Isolation("plain", tempfile.gettempdir(), None, pid1, notes)
