"""The connection: one SQLite file, one connection per thread, write transactions, leases, backups.

Durability: WAL with synchronous=NORMAL. A commit survives the process being killed (SIGKILL,
crash), which is what "an acknowledged reply is never lost" needs; only a power cut or OS crash
can lose the last few commits, and that trade buys ~10x the write rate of synchronous=FULL.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Self

from sqlite_utils import Database

from storage.migrations import migrations


class Connection:
    """One database file; one connection per thread (Bolt's listener threads and the scheduler's differ)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        # Writers in this process queue here rather than in SQLite's busy handler, which sleeps in
        # steps of up to 100 ms and made the slowest acknowledgements ~10x slower under load.
        self._write_lock = threading.Lock()

    @property
    def db(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(str(self.path), timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            # Deleted rows (forget-me, purge, deleted replies) are zeroed, not left readable in free pages.
            conn.execute("PRAGMA secure_delete=ON")
            db = self._local.db = Database(conn, execute_plugins=False)
        return db

    def migrate(self) -> Self:
        """Create or upgrade the schema; safe to call from several processes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.write():
            migrations.apply(self.db)
        return self

    @contextmanager
    def write(self) -> Iterator[Database]:
        """A write transaction that takes the write lock up front, so concurrent writers queue instead of failing."""
        db = self.db
        if db.conn.in_transaction:
            with db.atomic():
                yield db
            return
        with self._write_lock:
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.conn.rollback()
                raise
            db.conn.commit()

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    def healthy(self) -> bool:
        try:
            self.db.execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    def scrub(self) -> None:
        """Fold the write-ahead log into the file and empty it, so old copies of deleted rows are gone too."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def backup(self, target: Path) -> None:
        """A consistent copy of the live database (SQLite's online backup; safe while the bot runs),
        readable by its owner only: it holds what people wrote."""
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        destination = sqlite3.connect(str(target))
        try:
            self.db.conn.backup(destination)
        finally:
            destination.close()

    def hold_lease(self, name: str, owner: str, now: float, ttl: float,
                   holder_is_gone: Callable[[str], bool] = lambda holder: False) -> bool:
        """Take or renew a lease; True while `owner` holds it. Another owner's lease is taken over once it
        has expired or `holder_is_gone` says its process is dead."""
        with self.write() as db:
            row = db.execute("SELECT owner, expires_at FROM leases WHERE name = ?", [name]).fetchone()
            if row and row[0] != owner and row[1] >= now and not holder_is_gone(row[0]):
                return False
            db.execute("INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE "
                       "SET owner = excluded.owner, expires_at = excluded.expires_at", [name, owner, now + ttl])
            return True

    def lease_holder(self, name: str, now: float) -> str | None:
        row = self.db.execute("SELECT owner FROM leases WHERE name = ? AND expires_at >= ?", [name, now]).fetchone()
        return row[0] if row else None

    def release_lease(self, name: str, owner: str) -> None:
        with self.write() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", [name, owner])
