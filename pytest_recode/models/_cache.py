"""The on-disk completion cache: SQLite in WAL mode, shared by every xdist worker of a run and by later runs.

A completion is stored under a key made of the model's fingerprint, the generation config and the prompt,
so a re-run, a Hypothesis replay or a shrink step costs nothing. SQLite gives the two guarantees the cache
needs: several processes may write at once (WAL mode: readers never wait, writers queue on a lock with a
busy timeout), and a process killed mid-write leaves no partial entry (each write is one transaction,
rolled back on the next open).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from .._errors import ModelError

__all__ = ["CACHE_FILENAME", "CompletionCache", "cache_key", "clear_cache"]

#: The database file inside the cache directory.
CACHE_FILENAME = "completions.sqlite3"
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS completions (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    config TEXT NOT NULL,
    prompt TEXT NOT NULL,
    completions TEXT NOT NULL,
    created REAL NOT NULL
) WITHOUT ROWID
"""
#: SQLite limits the parameters of one statement (999 in old builds).
_CHUNK = 500


def cache_key(fingerprint: str, config_key: str, prompt: str) -> str:
    """The key of one (model, config, prompt) entry: a SHA-256 over the three, NUL-separated."""
    return hashlib.sha256(f"{fingerprint}\0{config_key}\0{prompt}".encode()).hexdigest()


def clear_cache(directory: str | os.PathLike[str]) -> None:
    """Delete the cache in ``directory`` (the database and its WAL files).

    Call it before any worker opens the cache (the xdist controller does, in ``pytest_configure``); it also
    repairs a cache whose file is damaged, which :meth:`CompletionCache.clear` cannot open. Raises
    :class:`~pytest_recode.ModelError` when the files are there but cannot be deleted.
    """
    base = Path(directory) / CACHE_FILENAME
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(f"{base}{suffix}")
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise ModelError(
                f"cannot clear the completion cache in {directory}: {exc.strerror or exc} ({base}{suffix}); "
                "make the directory writable, or choose another with --recode-cache-dir."
            ) from exc


class CompletionCache:
    """Completions on disk, keyed by :func:`cache_key`. One instance per process; safe across processes.

    The connection is opened lazily and re-opened after a ``fork`` (a SQLite connection must not cross one).
    A cache whose directory cannot be written is opened read-only (``read_only``): lookups work and writes
    are skipped. Every failure of the database itself is raised as :class:`~pytest_recode.ModelError`.
    """

    def __init__(self, directory: str | os.PathLike[str], *, timeout_s: float = 60.0) -> None:
        self.directory = Path(directory)
        self.path = self.directory / CACHE_FILENAME
        self.timeout_s = timeout_s
        self.read_only = False
        self._conn: sqlite3.Connection | None = None
        self._pid = 0

    def __repr__(self) -> str:
        return f"CompletionCache({str(self.directory)!r})"

    # -- connection ---------------------------------------------------------------------------------
    def _failure(self, exc: BaseException) -> ModelError:
        return ModelError(
            f"the completion cache {self.path} cannot be used ({type(exc).__name__}: {exc}); pass "
            "--recode-clear-cache to start it afresh, --recode-cache-dir to put it elsewhere, or --recode-no-cache."
        )

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        try:
            conn = self._open_writable() if self._writable() else self._open_read_only()
        except (OSError, sqlite3.Error) as exc:
            raise self._failure(exc) from exc
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _writable(self) -> bool:
        """Whether the cache can be written here: its directory exists (or can be made) and takes files."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            if not self.path.is_file():
                raise
            return False
        return os.access(self.directory, os.W_OK) and (not self.path.exists() or os.access(self.path, os.W_OK))

    def _open_writable(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN ourselves, so each write is exactly one transaction.
        conn = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None, check_same_thread=False)
        try:
            self._setup(conn)
        except BaseException:
            conn.close()
            raise
        self.read_only = False
        return conn

    def _open_read_only(self) -> sqlite3.Connection:
        """A directory that cannot be written (a CI cache mounted read-only): read the entries there."""
        if not self.path.is_file():
            raise OSError(f"the directory {self.directory} cannot be written and holds no cache")
        uri = self.path.resolve().as_uri()
        last: sqlite3.Error | None = None
        # mode=ro sees the latest state but needs the WAL index; immutable=1 reads the file as it is.
        for query in ("?mode=ro", "?immutable=1"):
            conn = sqlite3.connect(uri + query, uri=True, timeout=self.timeout_s, isolation_level=None,
                                   check_same_thread=False)
            try:
                self._check_version(conn)
            except sqlite3.Error as exc:
                conn.close()
                last = exc
                continue
            self.read_only = True
            return conn
        assert last is not None
        raise last

    @staticmethod
    def _check_version(conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, _SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"schema version {version}, this version reads {_SCHEMA_VERSION}")
        conn.execute("SELECT COUNT(*) FROM completions WHERE key = ''").fetchone()

    def _setup(self, conn: sqlite3.Connection) -> None:
        deadline = time.monotonic() + self.timeout_s
        while True:
            # Switching to WAL needs a moment of exclusive access, which the busy handler does not always
            # wait for when several workers open a new cache at once: retry until the timeout.
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")  # in WAL mode, safe against a killed process
                conn.execute(_SCHEMA)
                if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
                    conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
                self._check_version(conn)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None

    def __enter__(self) -> CompletionCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads and writes ---------------------------------------------------------------------------
    def get_many(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """The stored completions of those ``keys`` that are in the cache."""
        conn = self._connect()
        keys = list(dict.fromkeys(keys))
        found: dict[str, list[str]] = {}
        try:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(f"SELECT key, completions FROM completions WHERE key IN ({marks})", chunk)
                for key, text in rows:
                    found[key] = _completions(text)
        except (sqlite3.Error, ValueError) as exc:
            raise self._failure(exc) from exc
        return found

    def put_many(self, model: str, config_key: str, entries: Mapping[str, Sequence[str]]) -> None:
        """Store ``{prompt: completions}`` for one model fingerprint and config, in one transaction
        (nothing, for a read-only cache)."""
        if not entries:
            return
        conn = self._connect()
        if self.read_only:
            return
        now = time.time()
        rows = [
            (cache_key(model, config_key, prompt), model, config_key, prompt, json.dumps(list(done)), now)
            for prompt, done in entries.items()
        ]
        try:
            # BEGIN IMMEDIATE takes the write lock up front, so the busy timeout applies to it.
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany("INSERT OR REPLACE INTO completions VALUES (?, ?, ?, ?, ?, ?)", rows)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            raise self._failure(exc) from exc

    def clear(self) -> int:
        """Delete every entry; returns how many there were."""
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        count = conn.execute("SELECT COUNT(*) FROM completions").fetchone()[0]
        conn.execute("DELETE FROM completions")
        conn.execute("COMMIT")
        return int(count)

    def __len__(self) -> int:
        return int(self._connect().execute("SELECT COUNT(*) FROM completions").fetchone()[0])

    def check(self) -> str:
        """SQLite's integrity check: ``"ok"`` for a sound database."""
        return str(self._connect().execute("PRAGMA integrity_check").fetchone()[0])


def _completions(text: str) -> list[str]:
    """A stored entry, checked: a damaged page can decode to valid text that is not a list of strings."""
    value = json.loads(text)
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ValueError(f"an entry is not a list of strings: {text[:80]!r}")
    return value
