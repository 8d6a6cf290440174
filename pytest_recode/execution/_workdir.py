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


def _remove(path: str) -> None:
    """Delete a file, link or whole tree, whatever modes the program left on it. Follows no symbolic link
    (unlink removes the link itself), and uses no shutil, whose import loads compression libraries."""
    try:
        os.unlink(path)
        return
    except IsADirectoryError:
        pass
    try:
        os.chmod(path, 0o700)  # a real directory: unlink would have removed a link to one
        for entry in os.scandir(path):
            _remove(entry.path)
        os.rmdir(path)
    except OSError:
        pass  # left for the tmpfs to vanish with the worker; the next work directory is a fresh one


def _empty(path: str) -> None:
    """Delete what ``path`` holds."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for entry in entries:
        try:
            _remove(entry.path)
        except OSError:
            pass


def _xattrs(path: str) -> list[str]:
    try:
        return os.listxattr(path, follow_symlinks=False)
    except (OSError, AttributeError):  # no extended attributes here
        return []


class WorkArea:
    """The work directory of each program of one worker. ``private``: ``roots`` are this worker's alone."""

    def __init__(self, work_root: str, uid: int | None, *, private: bool) -> None:
        self.work_root = work_root
        self.uid = uid
        self.private = private
        self.path = os.path.join(work_root, "work")
        # Where programs can write, hence what is emptied after each one (when private to this worker).
        self.roots = [root for root in dict.fromkeys([work_root, "/dev/shm"])
                      if os.path.isdir(root) and os.access(root, os.W_OK)] if private else []
        self.modes = {root: os.lstat(root).st_mode & 0o7777 for root in self.roots}
        self.clean: Any = None  # the fingerprint of the clean state; None: wipe before the next program
        self.renewed = False  # made anew since the caller last cleared this
        self.counts_entries = private and self._counts_entries()

    def _fingerprint(self) -> Any:
        marks: list[Any] = []
        for path in (*self.roots, self.path):
            st = os.lstat(path)
            marks.append((st.st_ino, st.st_mode, st.st_uid, st.st_gid, st.st_nlink, st.st_size, st.st_atime_ns,
                          st.st_mtime_ns, _xattrs(path)))
        return marks

    def _counts_entries(self) -> bool:
        """Whether a directory's size here says how many entries it holds (tmpfs: a fixed size per entry)."""
        try:
            self._renew()
            empty = os.lstat(self.path).st_size
            probe = os.path.join(self.path, "probe")
            os.close(os.open(probe, os.O_CREAT | os.O_WRONLY, 0o600))
            holding = os.lstat(self.path).st_size
            os.unlink(probe)
            counts = holding != empty and os.lstat(self.path).st_size == empty
        except OSError:
            counts = False
        self.clean = None
        return counts

    def _renew(self) -> None:
        """Wipe everything programs could have written and make the work directory afresh."""
        for root in self.roots:
            try:
                if os.lstat(root).st_mode & 0o7777 != self.modes[root]:
                    os.chmod(root, self.modes[root])
                for name in _xattrs(root):
                    os.removexattr(root, name, follow_symlinks=False)
            except OSError:
                pass
            _empty(root)
        try:
            os.mkdir(self.path, 0o700)
        except FileExistsError:  # a previous program left something it made undeletable
            _remove(self.path)
            self.path = os.path.join(self.work_root, f"work-{os.urandom(4).hex()}")
            os.mkdir(self.path, 0o700)
        if self.uid is not None:
            os.chown(self.path, self.uid, self.uid)
        self.clean = self._fingerprint()
        self.renewed = True

    def enter(self) -> str:
        """The (empty) work directory for the next program."""
        if not self.private:
            import tempfile

            return tempfile.mkdtemp(prefix="recode-run-", dir=self.work_root)
        if self.clean is None:
            self._renew()
        return self.path

    def leave(self, path: str) -> None:
        """After a program, every process of which is gone: leave nothing of it for the next one."""
        if not self.private:
            _remove(path)
            return
        try:
            untouched = self.counts_entries and self._fingerprint() == self.clean
        except OSError:
            untouched = False
        if not untouched:
            self.clean = None
            self._renew()
