"""The outbox: every bot message that must reach Slack exactly once, and the one-time notices to people."""

from __future__ import annotations

from dataclasses import fields

from storage.connection import Connection, placeholders
from storage.records import Post

_COLUMNS = [f.name for f in fields(Post)]


class Posts:
    """Verbs over the outbox. A post is queued once (its key is unique) and moved by conditional updates."""

    def __init__(self, db: Connection) -> None:
        self.db = db

    def queue(self, post: Post) -> bool:
        """Queue a post; False if one with the same key exists (it is never queued twice)."""
        row = {c: getattr(post, c) for c in _COLUMNS}
        with self.db.write() as conn:
            return conn.execute(f"INSERT OR IGNORE INTO posts ({', '.join(row)}) VALUES ({placeholders(tuple(row))})",
                                list(row.values())).rowcount == 1

    def get(self, key: str) -> Post | None:
        found = self._select("key = ?", [key])
        return found[0] if found else None

    def open(self) -> list[Post]:
        """Posts queued or in flight, oldest first, file uploads (slow) after the messages."""
        return self._select("state IN ('queued', 'sending') ORDER BY kind = 'export', rowid", [])

    def of_session(self, session_id: str, kind: str | None = None) -> list[Post]:
        return self._select("session_id = ? AND (? IS NULL OR kind = ?) ORDER BY rowid", [session_id, kind, kind])

    def of_user(self, user_id: str) -> list[Post]:
        return self._select("user_id = ?", [user_id])

    def exports_of(self, session_ids: list[str]) -> list[Post]:
        """The export files sent to facilitators of these sessions."""
        return self._select(f"kind = 'export' AND session_id IN ({placeholders(tuple(session_ids))})", session_ids) \
            if session_ids else []

    def _select(self, where: str, params: list) -> list[Post]:
        return [Post(**row) for row in self.db.rows(f"SELECT {', '.join(_COLUMNS)} FROM posts WHERE {where}", params)]

    def move(self, key: str, to: str, sources: tuple[str, ...], *, ts: str | None = None, error: str | None = None,
             started_at: str | None = None, attempt: bool = False) -> bool:
        """Change a post's state only if it is still one of `sources` (an attempt is counted when `attempt`)."""
        with self.db.write() as conn:
            return conn.execute(
                f"UPDATE posts SET state = ?, ts = COALESCE(?, ts), error = ?, started_at = COALESCE(?, started_at), "
                f"attempts = attempts + ? WHERE key = ? AND state IN ({placeholders(sources)})",
                [to, ts, error, started_at, int(attempt), key, *sources]).rowcount == 1

    def requeue(self, key: str, sources: tuple[str, ...]) -> bool:
        """Queue a post again with a fresh budget of attempts (a facilitator asked for it)."""
        with self.db.write() as conn:
            return conn.execute(f"UPDATE posts SET state = 'queued', attempts = 0, error = NULL, started_at = NULL "
                                f"WHERE key = ? AND state IN ({placeholders(sources)})", [key, *sources]).rowcount == 1

    def note(self, key: str, ts: str) -> None:
        """Record what identifies a post in flight before its outcome is known (the file ids of an upload)."""
        with self.db.write() as conn:
            conn.execute("UPDATE posts SET ts = ? WHERE key = ?", [ts, key])

    def set_channel(self, key: str, channel: str) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE posts SET channel = ? WHERE key = ?", [channel, key])

    def set_thread(self, key: str, thread_ts: str) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE posts SET thread_ts = ? WHERE key = ?", [thread_ts, key])

    def forget_user(self, user_id: str) -> int:
        """Remove the user id from sent posts (their DMs) and drop unsent ones."""
        with self.db.write() as conn:
            dropped = conn.execute("DELETE FROM posts WHERE user_id = ? AND state != 'sent'", [user_id]).rowcount
            conn.execute("UPDATE posts SET user_id = NULL WHERE user_id = ?", [user_id])
            return dropped


class Notices:
    """Things a person is told once per session (keyed by a pseudonym, never by the user id)."""

    def __init__(self, db: Connection) -> None:
        self.db = db

    def first(self, session_id: str, person: str, kind: str) -> bool:
        """Record that `person` was told `kind` in this session; True only the first time."""
        with self.db.write() as conn:
            return conn.execute("INSERT OR IGNORE INTO notices (session_id, person, kind) VALUES (?, ?, ?)",
                                [session_id, person, kind]).rowcount == 1

    def forget(self, session_id: str, person: str) -> int:
        with self.db.write() as conn:
            return conn.execute("DELETE FROM notices WHERE session_id = ? AND person = ?",
                                [session_id, person]).rowcount


class WrittenFiles:
    """Export files hvis wrote (path and content digest), so it overwrites only its own, unchanged files."""

    def __init__(self, db: Connection) -> None:
        self.db = db

    def record(self, path: str, digest: str) -> None:
        with self.db.write() as conn:
            conn.execute("INSERT INTO written_files (path, digest) VALUES (?, ?) ON CONFLICT (path) "
                         "DO UPDATE SET digest = excluded.digest", [path, digest])

    def digest(self, path: str) -> str | None:
        row = self.db.one("SELECT digest FROM written_files WHERE path = ?", [path])
        return row[0] if row else None
