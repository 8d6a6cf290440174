"""A seccomp filter for sandboxed programs: refuse the system calls no completion needs and that widen the
kernel's attack surface (namespaces, mounts, tracing, kernel keyrings, BPF, modules, io_uring), or that
make state outliving the program: System V message queues, semaphores and shared memory, and POSIX message
queues, live in the worker's IPC namespace, not in any file the sandbox wipes, so one program's would still
be there for the next (no stdlib module uses them: ``multiprocessing`` takes POSIX semaphores and shared
memory, files in /dev/shm); ``memfd_create`` makes memory no limit counts.

Standard library only (part of the worker). Refused calls fail with EPERM, so a program sees an ordinary
``PermissionError``; ``clone3`` fails with ENOSYS, which makes the C library fall back to ``clone``, whose
flags the filter can inspect (a ``clone`` asking for a new namespace is refused). Docker's default profile
does the same; inside a container this filter simply stacks on it.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

__all__ = ["filter_program", "install"]

_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_W_ABS, _JEQ_K, _JSET_K, _JGE_K, _RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
_CLONE_NEW_FLAGS = 0x00020000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x02000000
_X32_BIT = 0x40000000

# name: (x86_64, aarch64) numbers; None where the call does not exist on that architecture.
_DENIED = {
    "unshare": (272, 97), "setns": (308, 268), "mount": (165, 40), "umount2": (166, 39),
    "pivot_root": (155, 41), "chroot": (161, 51), "ptrace": (101, 117), "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271), "keyctl": (250, 219), "add_key": (248, 217), "request_key": (249, 218),
    "bpf": (321, 280), "perf_event_open": (298, 241), "userfaultfd": (323, 282), "kexec_load": (246, 104),
    "kexec_file_load": (320, 294), "init_module": (175, 105), "finit_module": (313, 273),
    "delete_module": (176, 106), "reboot": (169, 142), "swapon": (167, 224), "swapoff": (168, 225),
    "acct": (163, 89), "open_tree": (428, 428), "move_mount": (429, 429), "fsopen": (430, 430),
    "fsconfig": (431, 431), "fsmount": (432, 432), "fspick": (433, 433), "mount_setattr": (442, 442),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    "open_by_handle_at": (304, 265), "name_to_handle_at": (303, 264), "quotactl": (179, 60),
    "syslog": (103, 116), "settimeofday": (164, 170), "clock_settime": (227, 112), "adjtimex": (159, 171),
    "shmget": (29, 194), "semget": (64, 190), "msgget": (68, 186),
    # POSIX message queues live in the IPC namespace too; memory-backed files count against neither the
    # address-space limit nor the size of the work area's tmpfs.
    "mq_open": (240, 180), "mq_unlink": (241, 181), "mq_timedsend": (242, 182), "mq_timedreceive": (243, 183),
    "mq_notify": (244, 184), "mq_getsetattr": (245, 185), "memfd_create": (319, 279), "memfd_secret": (447, 447),
    # Reaching into other processes (each also needs ptrace rights, which programs lack: refused outright).
    "pidfd_getfd": (438, 438), "kcmp": (312, 272), "process_madvise": (440, 440), "process_mrelease": (448, 448),
    "lookup_dcookie": (212, 18), "fanotify_init": (300, 262), "vhangup": (153, 58),
    "iopl": (172, None), "ioperm": (173, None), "modify_ldt": (154, None), "uselib": (134, None),
}
_ARCHES = {"x86_64": (0xC000003E, 0, 56, 435), "aarch64": (0xC00000B7, 1, 220, 435)}


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def filter_program(machine: str | None = None) -> bytes | None:
    """The filter's BPF instructions for this machine, or None where its system call numbers are unknown."""
    arch = _ARCHES.get(machine or os.uname().machine)
    if arch is None:
        return None
    audit_arch, column, clone, clone3 = arch
    denied = sorted({numbers[column] for numbers in _DENIED.values() if numbers[column] is not None})
    eperm = _insn(_RET_K, _RET_ERRNO | errno.EPERM)
    body = [
        _insn(_LD_W_ABS, 4),  # seccomp_data.arch
        _insn(_JEQ_K, audit_arch, jt=1),
        eperm,  # a foreign ABI (e.g. 32-bit calls on a 64-bit kernel): refuse everything
        _insn(_LD_W_ABS, 0),  # seccomp_data.nr
    ]
    if column == 0:
        body += [_insn(_JGE_K, _X32_BIT, jf=1), eperm]  # x32 calls alias the x86_64 ones
    for number in denied:
        body += [_insn(_JEQ_K, number, jf=1), eperm]
    body += [
        _insn(_JEQ_K, clone3, jf=1),
        _insn(_RET_K, _RET_ERRNO | errno.ENOSYS),
        _insn(_JEQ_K, clone, jf=3),
        _insn(_LD_W_ABS, 16),  # the low half of args[0]: clone's flags
        _insn(_JSET_K, _CLONE_NEW_FLAGS, jf=1),
        eperm,
        _insn(_RET_K, _RET_ALLOW),
    ]
    return b"".join(body)


def install(program: bytes) -> None:
    """Install ``program`` on the calling process (and every child it forks). Needs no_new_privs set."""

    class _Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    prog = _Fprog(len(program) // 8, program)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_SECCOMP, ctypes.c_ulong(_SECCOMP_MODE_FILTER), ctypes.byref(prog), 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"seccomp: {errno.errorcode.get(code, code)}")
