"""The key store: secrets kept outside the database, never in it or in its backups.

It holds a master key (forget-me tombstones, tags of direct messages) and one linking secret per
session that is not closed. Pseudonyms of a session are keyed with its secret; when the session
closes the secret is deleted, and from then on nothing stored can be recomputed from a user id,
by the operator included. The file is JSON, readable by its owner only, replaced atomically.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

RECHECK = 0.05  # seconds between looks at the file for another process's changes (this process's are seen at once)


class KeyError_(Exception):
    """The key store cannot be read (damaged file)."""


class KeyStore:
    """The master key and the per-session linking secrets, shared safely between processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._data: dict = {}
        self._checked_at = float("-inf")

    def master(self) -> bytes:
        """The master key, created on first use."""
        key = self._read().get("master") or self._read(fresh=True).get("master")
        if key:
            return bytes.fromhex(key)
        with self._changing() as data:
            data.setdefault("master", secrets.token_hex(32))
            return bytes.fromhex(data["master"])

    def session(self, session_id: str, create: bool = False) -> bytes | None:
        """The linking secret of a session; None once the session is closed (the secret is gone). A secret
        another process dropped may be used for up to RECHECK seconds; one it made is found at once."""
        key = self._read().get("sessions", {}).get(session_id) or \
            self._read(fresh=True).get("sessions", {}).get(session_id)
        if key or not create:
            return bytes.fromhex(key) if key else None
        with self._changing() as data:
            sessions = data.setdefault("sessions", {})
            sessions.setdefault(session_id, secrets.token_hex(32))
            return bytes.fromhex(sessions[session_id])

    def drop(self, session_id: str) -> bool:
        """Destroy a session's linking secret (the session closed or was deleted); True if there was one."""
        if session_id not in self._read(fresh=True).get("sessions", {}):
            return False
        with self._changing() as data:
            return data.get("sessions", {}).pop(session_id, None) is not None

    def sessions(self) -> set[str]:
        return set(self._read(fresh=True).get("sessions", {}))

    def _read(self, fresh: bool = False) -> dict:
        """The file's content, re-read whenever another process changed it. Whether it did is looked up
        (a stat) at most every RECHECK seconds, unless `fresh`: the reply path asks for the master key on
        every reply."""
        now = time.monotonic()
        if not fresh and now - self._checked_at < RECHECK:
            return self._data
        with self._lock:
            try:
                stat = os.stat(self.path)
            except FileNotFoundError:
                self._seen, self._data = None, {}
                return {}
            seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            if seen != self._seen:
                self._data, self._seen = self._load(), seen
            self._checked_at = now
            return self._data

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise KeyError_(f"{self.path}: the key store is damaged (not JSON); restore it from your copy, "
                            "or move it away to start new ones (running sessions then lose their links)") from None
        if not isinstance(data, dict):
            raise KeyError_(f"{self.path}: the key store is damaged")
        return data

    @contextmanager
    def _changing(self) -> Iterator[dict]:
        """Read, change and atomically replace the file under an exclusive lock (other processes wait)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with self._lock, open(os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600), "r+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self._load() if self.path.exists() else {"version": 1}
            yield data
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
                json.dump(data, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
            folder = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
            self._seen, self._checked_at = None, float("-inf")  # re-read on next use
