"""Writing files so that nothing is ever half-written: a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .._errors import ReportError

__all__ = ["check_writable_dir", "write_text_atomic"]


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same directory and ``os.replace``: a reader
    sees the old file or the new one, and a process killed midway leaves no partial file behind."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ReportError(f"{path}: cannot be written: {exc.strerror or exc}.") from None
    try:
        os.fchmod(handle, 0o644)  # mkstemp's 0600 would make reports unreadable to others
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return path


def check_writable_dir(directory: str | os.PathLike[str], option: str) -> Path:
    """Create ``directory`` if needed and check that files can be created in it, before any work is done."""
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise ReportError(f"{option} {path}: exists and is not a directory.")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ReportError(f"{option} {path}: cannot write there: {exc.strerror or exc}.") from None
    return path
