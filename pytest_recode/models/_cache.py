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
    repairs a cache whose file is damaged, which :meth:`CompletionCache.clear` cannot open.
    """
    base = Path(directory) / CACHE_FILENAME
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(f"{base}{suffix}")
        except FileNotFoundError:
            pass


class CompletionCache:
    """Completions on disk, keyed by :func:`cache_key`. One instance per process; safe across processes.

    The connection is opened lazily and re-opened after a ``fork`` (a SQLite connection must not cross one).
    """

    def __init__(self, directory: str | os.PathLike[str], *, timeout_s: float = 60.0) -> None:
        self.directory = Path(directory)
        self.path = self.directory / CACHE_FILENAME
        self.timeout_s = timeout_s
        self._conn: sqlite3.Connection | None = None
        self._pid = 0

    def __repr__(self) -> str:
        return f"CompletionCache({str(self.directory)!r})"

    # -- connection ---------------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN ourselves, so each write is exactly one transaction.
            conn = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None, check_same_thread=False)
            self._setup(conn)
        except (OSError, sqlite3.Error) as exc:
            raise ModelError(
                f"the completion cache {self.path} cannot be opened ({exc}); pass --recode-clear-cache to "
                "start it afresh, --recode-cache-dir to put it elsewhere, or --recode-no-cache."
            ) from exc
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _setup(self, conn: sqlite3.Connection) -> None:
        deadline = time.monotonic() + self.timeout_s
        while True:
            # Switching to WAL needs a moment of exclusive access, which the busy handler does not always
            # wait for when several workers open a new cache at once: retry until the timeout.
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")  # in WAL mode, safe against a killed process
                conn.execute(_SCHEMA)
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version == 0:
                    conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
                elif version != _SCHEMA_VERSION:
                    raise sqlite3.DatabaseError(f"schema version {version}, this version reads {_SCHEMA_VERSION}")
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
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(f"SELECT key, completions FROM completions WHERE key IN ({marks})", chunk)
            for key, text in rows:
                found[key] = json.loads(text)
        return found

    def put_many(self, model: str, config_key: str, entries: Mapping[str, Sequence[str]]) -> None:
        """Store ``{prompt: completions}`` for one model fingerprint and config, in one transaction."""
        if not entries:
            return
        conn = self._connect()
        now = time.time()
        rows = [
            (cache_key(model, config_key, prompt), model, config_key, prompt, json.dumps(list(done)), now)
            for prompt, done in entries.items()
        ]
        # BEGIN IMMEDIATE takes the write lock up front, so the busy timeout applies to it.
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("INSERT OR REPLACE INTO completions VALUES (?, ?, ?, ?, ?, ?)", rows)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

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
