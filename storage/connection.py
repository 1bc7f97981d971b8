"""The connection: one SQLite file, one connection per thread, short write transactions, backups.

Durability: WAL with synchronous=NORMAL. A commit survives the process being killed (SIGKILL,
crash), which is what "an acknowledged reply is never lost" needs; only a power cut or OS crash
can lose the last few commits, and that trade buys ~10x the write rate of synchronous=FULL.

Group commit: the HTTP loop holds its commits (`hold_commits`), so the requests it took in together
share one transaction (`Batch`), committed before any of them is answered. A reply's own statement
still runs at once (it knows whether it was a duplicate); only the COMMIT is shared.
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
_held = threading.local()  # .on: this thread holds its commits; .batch: the open Batch, if any


def hold_commits() -> None:
    """From now on this thread's writes go into a Batch that someone commits with `held().commit()` (the
    HTTP loop, after dispatching the requests it took in at once, and before answering any of them)."""
    _held.on = True


def held() -> "Batch | None":
    """This thread's open batch of writes, if any: commit it before answering whoever wrote or read in it."""
    return getattr(_held, "batch", None)


class Batch:
    """Writes of one thread in one open transaction per database, each under its write lock, until `commit()`.
    Each `write()` in it is a savepoint, so a failing one is undone alone; a failure that takes the whole
    transaction with it (disk full) ends the batch at once, and all its writers are answered as failed."""

    def __init__(self) -> None:
        self.databases: list[Connection] = []
        self.failed = False

    def commit(self) -> bool:
        """Commit and release the write locks (never raises); True when everything written in it is stored."""
        if held() is self:
            _held.batch = None
        for db in self.databases:
            db._end(self)
        self.databases = []
        return not self.failed

    def abandon(self) -> None:
        """Roll back what is left and release the locks: the transaction was lost."""
        self.failed = True
        self.commit()


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
        On a thread that holds its commits it is a savepoint in the thread's batch instead.

        It forgets this thread's remembered reads, unless the caller vouches (`keep_remembered`) that it
        changes neither sessions nor prompts (replies, edits, deletions and votes)."""
        if getattr(_held, "on", False):
            conn, batch = self._join()
            conn.execute("SAVEPOINT write")
            try:
                yield conn
                conn.execute("RELEASE write")
            except BaseException as exc:
                self._failed(exc)
                if conn.in_transaction:  # undo this write alone; the batch goes on
                    conn.execute("ROLLBACK TO write")
                    conn.execute("RELEASE write")
                else:
                    batch.abandon()
                raise
            finally:
                if not keep_remembered:
                    self._local.remembered.clear()
            return
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
        to send), under the write lock, or in this thread's batch; the number of rows it changed.
        `keep_remembered` as for `write()`."""
        if getattr(_held, "on", False):
            conn, batch = self._join()
            try:
                return conn.execute(sql, params).rowcount
            except BaseException as exc:
                self._failed(exc)
                if not conn.in_transaction:  # not just the statement (SQLite undid that): the whole batch is lost
                    batch.abandon()
                raise
            finally:
                if not keep_remembered:
                    self._local.remembered.clear()
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

    def _join(self) -> tuple[sqlite3.Connection, Batch]:
        """This thread's batch, opened if need be, with a write transaction on this database in it."""
        conn = self.conn
        batch = held()
        if batch is None:
            batch = _held.batch = Batch()
        if self not in batch.databases:
            self._write_lock.acquire()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                self._write_lock.release()
                raise
            batch.databases.append(self)
        return conn, batch

    def _end(self, batch: Batch) -> None:
        """Commit this database's part of a batch (roll it back if the batch failed); release the write lock."""
        conn = self.conn
        try:
            if not batch.failed:
                conn.execute("COMMIT")
                self.write_failed_at = None
        except sqlite3.Error as exc:
            batch.failed = True
            self._failed(exc)
        finally:
            try:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the connection is unusable; the next statement says so
            if batch.failed:
                self._local.remembered.clear()  # what was read inside the batch was never stored
            self._write_lock.release()

    def _failed(self, exc: BaseException) -> None:
        """Note a write that failed for want of disk (for /healthz)."""
        if isinstance(exc, sqlite3.OperationalError) and ("full" in str(exc) or "disk I/O" in str(exc)):
            self.write_failed_at = time.time()

    def remembered(self, key: Hashable, read: Callable[[], T]) -> T:
        """`read()`, remembered by this thread until the database changes: a commit by any other connection
        (SQLite's data_version, which also sees other processes) or a `write()` on this one. Inside a
        transaction it reads afresh (what it sees may yet be rolled back), except in this thread's batch,
        which holds the write lock (nobody else can change anything) and forgets it all if it fails."""
        conn, local = self.conn, self._local
        if conn.in_transaction and self not in getattr(held(), "databases", ()):
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


def placeholders(values: Sequence[Any]) -> str:
    """The placeholders of an `IN (...)` or `VALUES (...)` list for `values`."""
    return ",".join("?" * len(values))


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only; SQLite gives the WAL and SHM files the same mode."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
