"""Where programs may write, and emptying it after each one (part of the worker's manager).

Standard library only. With a private file system (namespaces, Docker) programs can write only to two
tmpfs, ``/tmp`` (or wherever the work root is) and ``/dev/shm``, private to the worker. Each program
starts in an empty ``<root>/work`` that nothing of an earlier program may reach. Deleting and making it
anew for every program costs a score of system calls; instead, after each program, :class:`WorkArea`
compares a fingerprint of those directories with the one taken when they were clean: entry counts (a
tmpfs directory's size grows by a fixed amount per entry, checked at start), identity, owner, mode, times
and extended attributes. Any difference, or a file system that does not count entries so, and everything
is wiped and made anew. Without a private file system (``plain``) each program gets a fresh temporary
directory, deleted after it.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["WorkArea"]


def _remove_at(dir_fd: int, name: str) -> None:
    """Delete entry ``name`` of the open directory ``dir_fd``: a file, a link, or a whole tree, whatever modes
    the program left on it. Never follows a symbolic link (unlink removes the link itself, directories are
    opened with O_NOFOLLOW and walked by descriptor), so a link cannot lead it outside: the manager may see
    the worker's files from the host, where a link's target would mean a host file. No shutil, whose import
    loads compression libraries (mappings every fork would copy)."""
    try:
        os.unlink(name, dir_fd=dir_fd)
        return
    except IsADirectoryError:
        pass
    except FileNotFoundError:
        return
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except PermissionError:  # a mode the program set (we own it): fix it through a path-only descriptor
        handle = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)
        try:
            os.chmod(f"/proc/self/fd/{handle}", 0o700)
        finally:
            os.close(handle)
        fd = os.open(name, flags, dir_fd=dir_fd)
    try:
        os.fchmod(fd, 0o700)
        for entry in list(os.scandir(fd)):
            _remove_at(fd, entry.name)
    finally:
        os.close(fd)
    os.rmdir(name, dir_fd=dir_fd)


def _empty(path: str) -> None:
    """Delete what directory ``path`` (a mount point: not a link) holds; what cannot go stays."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        for entry in list(os.scandir(fd)):
            try:
                _remove_at(fd, entry.name)
            except OSError:
                pass  # left for the tmpfs to vanish with the worker
    finally:
        os.close(fd)


def _xattrs(path: str | int) -> list[str]:
    try:
        return os.listxattr(path, follow_symlinks=False) if isinstance(path, str) else os.listxattr(path)
    except (OSError, AttributeError):  # no extended attributes here
        return []


class WorkArea:
    """The work directory of each program of one worker. ``private``: the roots are this worker's alone.

    ``view``: where this process sees the worker's file system (``/proc/self/fd/N`` for a manager outside
    the worker's mount namespace); paths handed to the worker (:meth:`enter`) are the worker's own.
    """

    def __init__(self, work_root: str, uid: int | None, *, private: bool, view: str = "") -> None:
        self.work_root = work_root
        self.uid = uid
        self.private = private
        self.view = view
        self.name = "work"
        # Where programs can write, hence what is emptied after each one (when private to this worker).
        self.roots = [view + root for root in dict.fromkeys([work_root, "/dev/shm"])
                      if os.path.isdir(view + root) and os.access(view + root, os.W_OK)] if private else []
        self.modes = {root: os.lstat(root).st_mode & 0o7777 for root in self.roots}
        # Open for good (mount points: their inodes stay), and the work directory while it lasts: the
        # fingerprint reads them by descriptor, with no path to walk (through /proc for a manager outside).
        self.root_fds = [os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW) for root in self.roots]
        self.work_fd = -1
        self.clean: Any = None  # the fingerprint of the clean state; None: wipe before the next program
        self.renewed = False  # made anew since the caller last cleared this
        self.counts_entries = private and self._counts_entries()
        self.workdir = os.path.join(self.work_root, self.name)

    @property
    def _here(self) -> str:
        return os.path.join(self.view + self.work_root, self.name)

    def _fingerprint(self) -> Any:
        marks: list[Any] = []
        for fd in (*self.root_fds, self.work_fd):
            st = os.fstat(fd)
            # Extended attributes only where programs might set them: a sticky directory of someone else's
            # takes none from them (nor an ACL, which is one).
            theirs = self.uid is None or st.st_uid == self.uid or not st.st_mode & 0o1000
            marks.append((st.st_ino, st.st_mode, st.st_uid, st.st_gid, st.st_nlink, st.st_size, st.st_atime_ns,
                          st.st_mtime_ns, _xattrs(fd) if theirs else None))
        # (Another directory renamed into its place would have to come from somewhere: one more entry, or
        # one less link of the one we hold.)
        return marks

    def _counts_entries(self) -> bool:
        """Whether a directory's size here says how many entries it holds (tmpfs: a fixed size per entry)."""
        try:
            self._renew()
            empty = os.lstat(self._here).st_size
            probe = os.path.join(self._here, "probe")
            os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o600))
            holding = os.lstat(self._here).st_size
            os.unlink(probe)
            counts = holding != empty and os.lstat(self._here).st_size == empty
        except OSError:
            counts = False
        self.clean = None
        return counts

    def _renew(self) -> None:
        """Wipe everything programs could have written and make the work directory afresh."""
        for root in self.roots:
            try:
                if os.lstat(root).st_mode & 0o7777 != self.modes[root]:
                    os.chmod(root, self.modes[root])  # a mount point: not a link
                for name in _xattrs(root):
                    os.removexattr(root, name, follow_symlinks=False)
            except OSError:
                pass
            _empty(root)
        base = os.open(self.view + self.work_root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            try:
                os.mkdir(self.name, 0o700, dir_fd=base)
            except FileExistsError:  # a previous program left something it made undeletable
                self.name = f"work-{os.urandom(4).hex()}"
                os.mkdir(self.name, 0o700, dir_fd=base)
            if self.uid is not None:
                os.chown(self.name, self.uid, self.uid, dir_fd=base, follow_symlinks=False)
            if self.work_fd >= 0:
                os.close(self.work_fd)
            self.work_fd = os.open(self.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=base)
        finally:
            os.close(base)
        self.workdir = os.path.join(self.work_root, self.name)
        self.clean = self._fingerprint()
        self.renewed = True

    def enter(self) -> str:
        """The (empty) work directory for the next program, as the worker names it."""
        if not self.private:
            import tempfile

            return tempfile.mkdtemp(prefix="recode-run-", dir=self.work_root)
        if self.clean is None:
            self._renew()
        return self.workdir

    def leave(self, path: str) -> None:
        """After a program, every process of which is gone: leave nothing of it for the next one."""
        if not self.private:
            parent, name = os.path.split(path)
            fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                _remove_at(fd, name)
            except OSError:
                pass
            finally:
                os.close(fd)
            return
        try:
            untouched = self.counts_entries and self._fingerprint() == self.clean
        except OSError:
            untouched = False
        if not untouched:
            self.clean = None
            self._renew()

    def close(self) -> None:
        for fd in (*self.root_fds, self.work_fd):
            if fd >= 0:
                os.close(fd)
        self.root_fds, self.work_fd = [], -1
