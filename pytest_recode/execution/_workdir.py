"""Where programs may write, and emptying it after each one (part of the worker's forker).

Standard library only. With a private file system (namespaces, Docker) programs can write only to two
tmpfs, ``/tmp`` (or wherever the work root is) and ``/dev/shm``, private to the worker. Each program
starts in an empty ``<root>/work`` that nothing of an earlier program may reach. Deleting and making it
anew for every program costs a score of system calls; instead, after each program, :class:`WorkArea`
compares a fingerprint of those directories with the one taken when they were clean: entry counts (a
tmpfs directory's size grows by a fixed amount per entry, checked at start), identity, owner, mode and
times (the change time included, which every change to the inode moves). Any difference, or a file
system that does not count entries so, and everything is wiped and made anew. Without a private file
system (``plain``) each program gets a fresh directory, deleted after it.

Wiping happens in a child process (the forker itself never reads a name a program chose: whatever it
reads stays in its memory, which every later program inherits), one directory level at a time with one
descriptor (a nest thousands of directories deep costs neither recursion nor descriptors). Where the
wipe fails, :meth:`WorkArea.leave` says so, and the worker is replaced.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["WorkArea", "remove_tree"]

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


def _open_directory(parent: int, name: str) -> int:
    """Open directory ``name`` of ``parent`` for emptying, whatever mode the program left on it (we own it,
    or are root)."""
    try:
        fd = os.open(name, _DIRECTORY, dir_fd=parent)
    except PermissionError:
        handle = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent)
        try:
            os.chmod(f"/proc/self/fd/{handle}", 0o700)
        finally:
            os.close(handle)
        fd = os.open(name, _DIRECTORY, dir_fd=parent)
    os.fchmod(fd, 0o700)
    return fd


def _first_entry(fd: int) -> str | None:
    with os.scandir(fd) as entries:
        for entry in entries:
            return entry.name
    return None


def _unlink(parent: int, name: str) -> bool:
    """Delete ``name`` unless it is a directory (True: gone). A link is deleted itself, never followed."""
    try:
        os.unlink(name, dir_fd=parent)
    except IsADirectoryError:
        return False
    except FileNotFoundError:
        pass
    return True


def remove_tree(parent: int, name: str) -> None:
    """Delete entry ``name`` of the open directory ``parent``, a whole tree if it is one: depth first, one
    level at a time (down by name, back up by ``..``), holding one descriptor. OSError where it cannot."""
    if _unlink(parent, name):
        return
    current = _open_directory(parent, name)
    path = [name]  # the names from ``parent`` down to ``current``
    try:
        while path:
            entry = _first_entry(current)
            if entry is None:  # empty: go up and delete it
                up = os.open("..", _DIRECTORY, dir_fd=current)
                os.close(current)
                current = up
                os.rmdir(path.pop(), dir_fd=current)
            elif not _unlink(current, entry):
                down = _open_directory(current, entry)
                os.close(current)
                current = down
                path.append(entry)
    finally:
        os.close(current)


def _empty(path: str) -> None:
    """Delete everything directory ``path`` (a mount point, or our own directory) holds."""
    fd = os.open(path, _DIRECTORY)
    try:
        for name in os.listdir(fd):
            remove_tree(fd, name)
    finally:
        os.close(fd)


def _xattrs(path: str | int) -> list[str]:
    try:
        return os.listxattr(path, follow_symlinks=False) if isinstance(path, str) else os.listxattr(path)
    except (OSError, AttributeError):  # no extended attributes here
        return []


def _in_a_child(work: Any) -> bool:
    """Run ``work()`` in a child process; whether it succeeded."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            work()
            code = 0
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0


class WorkArea:
    """The work directory of each program of one worker, and the process's current directory during it.
    ``private``: the roots are this worker's alone. ``uid``: the programs' user id (None: ours)."""

    def __init__(self, work_root: str, uid: int | None, *, private: bool) -> None:
        self.work_root = work_root
        self.uid = uid
        self.private = private
        self.name = "work"
        # Where programs can write, hence what is emptied after each one (when private to this worker).
        self.roots = [root for root in dict.fromkeys([work_root, "/dev/shm"])
                      if os.path.isdir(root) and os.access(root, os.W_OK)] if private else []
        self.modes = {root: os.lstat(root).st_mode & 0o7777 for root in self.roots}
        self.root_fds = [os.open(root, _DIRECTORY) for root in self.roots]
        self.work_fd = -1
        self.clean: Any = None  # the fingerprint of the clean state; None: wipe before the next program
        self.counts_entries = private and self._counts_entries()

    @property
    def path(self) -> str:
        return os.path.join(self.work_root, self.name)

    def _fingerprint(self) -> Any:
        # The change time moves with every change to a directory's inode a program can make (its mode, owner,
        # extended attributes, times, entries), and no one can set it back. (Another directory renamed into
        # its place would have to come from somewhere: one more entry, or one less link of the one we hold.)
        marks: list[Any] = []
        for fd in (*self.root_fds, self.work_fd):
            st = os.fstat(fd)
            marks.append((st.st_ino, st.st_mode, st.st_uid, st.st_gid, st.st_nlink, st.st_size, st.st_atime_ns,
                          st.st_mtime_ns, st.st_ctime_ns))
        return marks

    def _counts_entries(self) -> bool:
        """Whether a directory's size here says how many entries it holds (tmpfs: a fixed size per entry)."""
        try:
            self._renew()
            empty = os.fstat(self.work_fd).st_size
            os.close(os.open("probe", os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600, dir_fd=self.work_fd))
            holding = os.fstat(self.work_fd).st_size
            os.unlink("probe", dir_fd=self.work_fd)
            counts = holding != empty and os.fstat(self.work_fd).st_size == empty
        except OSError:
            counts = False
        self.clean = None
        return counts

    def _wipe(self) -> None:
        """In a child: everything programs could have written, gone."""
        for root in self.roots:
            try:
                if os.lstat(root).st_mode & 0o7777 != self.modes[root]:
                    os.chmod(root, self.modes[root])  # a mount point: not a link
                for name in _xattrs(root):
                    os.removexattr(root, name, follow_symlinks=False)
            except OSError:
                pass
            _empty(root)

    def _renew(self) -> bool:
        """Wipe what programs could have written and make the work directory afresh; False if the wipe
        failed (what is left cannot be trusted to stay out of the next program's way)."""
        wiped = _in_a_child(self._wipe)
        base = os.open(self.work_root, _DIRECTORY)
        try:
            try:
                os.mkdir(self.name, 0o700, dir_fd=base)
            except FileExistsError:  # left over by a wipe that failed
                self.name = f"work-{os.urandom(4).hex()}"
                os.mkdir(self.name, 0o700, dir_fd=base)
            if self.uid is not None:
                os.chown(self.name, self.uid, self.uid, dir_fd=base, follow_symlinks=False)
            if self.work_fd >= 0:
                os.close(self.work_fd)
            self.work_fd = os.open(self.name, _DIRECTORY, dir_fd=base)
        finally:
            os.close(base)
        os.fchdir(self.work_fd)
        os.environ.update(HOME=self.path, TMPDIR=self.path)
        self.clean = self._fingerprint()
        return wiped

    def enter(self) -> None:
        """Make the (empty) work directory for the next program this process's current directory."""
        if not self.private:
            self.name = f"recode-run-{os.urandom(6).hex()}"
            os.mkdir(self.path, 0o700)
            os.chdir(self.path)
            os.environ.update(HOME=self.path, TMPDIR=self.path)
        elif self.clean is None:
            self._renew()

    def leave(self) -> bool:
        """After a program, every process of which is gone: leave nothing of it for the next one. False
        where that failed (the worker should then be replaced)."""
        if not self.private:
            os.chdir("/")
            try:
                os.rmdir(self.path)  # the common case: the program wrote nothing
                return True
            except OSError:
                pass
            parent = os.open(self.work_root, _DIRECTORY)
            try:
                return _in_a_child(lambda: remove_tree(parent, self.name))
            finally:
                os.close(parent)
        try:
            untouched = self.counts_entries and self._fingerprint() == self.clean
        except OSError:
            untouched = False
        return untouched or self._renew()

    def close(self) -> None:
        for fd in (*self.root_fds, self.work_fd):
            if fd >= 0:
                os.close(fd)
        self.root_fds, self.work_fd = [], -1
