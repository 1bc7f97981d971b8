"""The connection: one SQLite file, one connection per thread, short write transactions, backups.

Durability: WAL with synchronous=NORMAL. A commit survives the process being killed (SIGKILL,
crash), which is what "an acknowledged reply is never lost" needs; only a power cut or OS crash
can lose the last few commits, and that trade buys ~10x the write rate of synchronous=FULL.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Hashable, Iterator, Sequence, TypeVar

from sqlite_utils import Database

from storage.migrations import migrations

T = TypeVar("T")
REMEMBERED = 1000  # reads a thread keeps in memory at most (posted prompts: a day has a dozen)


class StorageError(Exception):
    """The database cannot be used as asked (missing file, not a hvis database)."""


class Connection:
    """One database file; one connection per thread (the request loop, Bolt's listener threads and the
    scheduler's differ). Reads are plain statements; writes go through `write()`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        # Writers in this process queue here rather than in SQLite's busy handler, which sleeps in
        # steps of up to 100 ms and made the slowest acknowledgements ~10x slower under load.
        self._write_lock = threading.Lock()
        self.write_failed_at: float | None = None  # set while writes fail (disk full), for /healthz

    @property
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            _create_private(self.path)
            conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None, check_same_thread=True)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            # Deleted rows (forget-me, purge, deleted replies) are zeroed, not left readable in free pages.
            conn.execute("PRAGMA secure_delete=ON")
            self._local.conn = conn
            self._local.remembered, self._local.version = {}, None
        return conn

    def migrate(self) -> "Connection":
        """Create or upgrade the schema; safe to call from several processes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self.conn
        # Rebuilding tables must not cascade deletes, and the pragma only works outside a transaction.
        conn.execute("PRAGMA foreign_keys=OFF")
        try:
            with self.write():
                db = Database(conn, execute_plugins=False)
                if migrations.pending(db):
                    migrations.apply(db)
                    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StorageError(f"{self.path}: the migration left {len(broken)} broken references")
        finally:
            conn.execute("PRAGMA foreign_keys=ON")
        return self

    def check_exists(self) -> "Connection":
        """Refuse a database file that does not exist: a mistyped HVIS_DB must not start an empty database."""
        if not self.path.is_file():
            raise StorageError(f"{self.path}: no such database (check HVIS_DB; `hvis run` or "
                               "`hvis session create` creates it)")
        return self

    @contextmanager
    def write(self, keep_remembered: bool = False) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the write lock up front, so concurrent writers queue instead of failing.

        It forgets this thread's remembered reads, unless the caller vouches (`keep_remembered`) that it
        changes neither sessions nor prompts (replies, edits, deletions and votes)."""
        conn = self.conn
        if conn.in_transaction:
            yield conn
            return
        with self._write_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                self._failed(exc)
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                if not keep_remembered:
                    self._local.remembered.clear()  # data_version does not count this connection's own writes
        self.write_failed_at = None

    def write_one(self, sql: str, params: Sequence[Any] = (), keep_remembered: bool = False) -> int:
        """One statement committed on its own (SQLite makes a single statement atomic: no BEGIN and COMMIT
        to send), under the write lock; the number of rows it changed. `keep_remembered` as for `write()`."""
        conn = self.conn
        if conn.in_transaction:
            return conn.execute(sql, params).rowcount
        with self._write_lock:
            try:
                changed = conn.execute(sql, params).rowcount
            except sqlite3.OperationalError as exc:
                self._failed(exc)
                raise
            finally:
                if not keep_remembered:
                    self._local.remembered.clear()
        self.write_failed_at = None
        return changed

    def _failed(self, exc: sqlite3.OperationalError) -> None:
        if "full" in str(exc) or "disk I/O" in str(exc):
            self.write_failed_at = time.time()

    def remembered(self, key: Hashable, read: Callable[[], T]) -> T:
        """`read()`, remembered by this thread until the database changes: a commit by any other connection
        (SQLite's data_version, which also sees other processes) or a `write()` on this one. Inside a
        transaction it reads afresh (what it sees may yet be rolled back)."""
        conn, local = self.conn, self._local
        if conn.in_transaction:
            return read()
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version != local.version or len(local.remembered) >= REMEMBERED:
            local.remembered.clear()
            local.version = version
        try:
            return local.remembered[key]
        except KeyError:
            value = local.remembered[key] = read()
            return value

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        """The first row of a read, or None."""
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.conn.execute(sql, params).fetchall()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        """Rows as dicts keyed by column name."""
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def healthy(self) -> bool:
        """The database answers and the last write (if any failed) has since succeeded."""
        try:
            self.conn.execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return self.write_failed_at is None

    def scrub(self) -> bool:
        """Fold the write-ahead log into the file and empty it, so old copies of deleted rows are gone too.

        False when another connection's open read kept part of the log (the caller reports it). The
        checkpoint waits for readers through the busy handler, so it gets a short wait of its own."""
        conn = self.conn
        conn.execute("PRAGMA busy_timeout = 300")
        try:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            conn.execute("PRAGMA busy_timeout = 30000")
        return busy == 0

    def backup(self, target: Path) -> None:
        """A consistent copy of the live database (SQLite's online backup; safe while the bot runs),
        readable by its owner only: it holds what people wrote. No partial file is left on failure."""
        partial = target.with_name(f".{target.name}.partial")
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        try:
            destination = sqlite3.connect(str(partial))
            try:
                self.conn.backup(destination)
            finally:
                destination.close()
            os.link(partial, target)  # fails if the target appeared meanwhile: never overwrite a backup
        finally:
            partial.unlink(missing_ok=True)


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only; SQLite gives the WAL and SHM files the same mode."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
