"""Replies and votes: stored once however often Slack delivers them, in as few statements as possible.

Slack's retries are caught by unique keys, not by a ledger of event ids: a thread reply by its
(channel, ts), a modal answer by its id (made from the view id), an edit by Slack's edit time, a
vote by the time of the reaction or click. Deletions leave a (channel, ts) marker so that a late
retry of the original cannot bring a deleted reply back.
"""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter

from storage.connection import Connection
from storage.records import Reply, Session
from storage.sessions import _SESSION_JOINED, joined_session

_COLUMNS = [f.name for f in fields(Reply) if f.name != "votes"]
_VOTES = "(SELECT COUNT(DISTINCT voter) FROM votes v WHERE v.reply_id = r.id AND v.active = 1)"
_SELECT = ", ".join(f"r.{c}" for c in _COLUMNS) + f", {_VOTES} AS votes"
_VALUES = attrgetter(*_COLUMNS)
# One statement: the reply, unless its message was deleted or its author forgotten meanwhile.
_ADD = (f"INSERT OR IGNORE INTO replies ({', '.join(_COLUMNS)}) SELECT {', '.join('?' * len(_COLUMNS))} "
        "WHERE NOT EXISTS (SELECT 1 FROM deleted_messages WHERE channel = ? AND ts = ?) "
        "AND NOT EXISTS (SELECT 1 FROM forgotten WHERE person = ?)")


class Replies:
    """Verbs over replies and the anonymous turnout counted beside them."""

    def __init__(self, db: Connection) -> None:
        self.db = db

    def add(self, reply: Reply, anonymous_person: tuple[str, str] | None = None, forgotten: str | None = None) -> bool:
        """Store a reply unless it was deleted or its author forgotten meanwhile; False for a duplicate.

        `anonymous_person` (pseudonym, role) is counted in a table of its own, unlinkable to the reply.
        A named reply is one statement, committed on its own or with the HTTP loop's batch."""
        params = (*_VALUES(reply), reply.channel, reply.ts, forgotten)
        if not anonymous_person:
            return self.db.write_one(_ADD, params, keep_remembered=True) == 1
        with self.db.write(keep_remembered=True) as conn:
            added = conn.execute(_ADD, params).rowcount == 1
            if added:
                conn.execute("INSERT OR IGNORE INTO anonymous_people (session_id, person, role) VALUES (?, ?, ?)",
                             [reply.session_id, *anonymous_person])
        return added

    def edit(self, channel: str, ts: str, text: str, edit_ts: str, now: str) -> bool:
        """Apply an edit unless a later one is already applied (Slack may deliver edits out of order)."""
        return self.db.write_one(
            "UPDATE replies SET text = ?, edited = 1, edit_ts = ?, updated_at = ? WHERE channel = ? AND ts = ? "
            "AND text != ? AND (edit_ts IS NULL OR CAST(edit_ts AS REAL) < CAST(? AS REAL))",
            [text, edit_ts, now, channel, ts, text, edit_ts], keep_remembered=True) == 1

    def exists(self, channel: str, ts: str) -> bool:
        return self.db.one("SELECT 1 FROM replies WHERE channel = ? AND ts = ?", [channel, ts]) is not None

    def delete_message(self, team_id: str, channel: str, ts: str) -> str | None:
        """A deleted Slack message: its reply goes (its session's id is returned), and a marker keeps a late
        retry of the original out."""
        with self.db.write(keep_remembered=True) as conn:
            conn.execute("INSERT OR IGNORE INTO deleted_messages (team_id, channel, ts) VALUES (?, ?, ?)",
                         [team_id, channel, ts])
            gone = conn.execute("DELETE FROM replies WHERE channel = ? AND ts = ? RETURNING session_id",
                                [channel, ts]).fetchone()
            return gone[0] if gone else None

    def delete(self, reply_id: str) -> bool:
        with self.db.write() as conn:
            return conn.execute("DELETE FROM replies WHERE id = ?", [reply_id]).rowcount == 1

    def get(self, reply_id: str) -> Reply | None:
        found = self._select("r.id = ?", [reply_id])
        return found[0] if found else None

    def by_message(self, channel: str, ts: str) -> tuple[Reply, Session] | None:
        """The reply shown as message `ts` (a thread reply, or the bot's post of a modal answer), with its session."""
        rows = self.db.rows(f"SELECT {_SELECT}, {_SESSION_JOINED} FROM replies r JOIN sessions s "
                            "ON s.id = r.session_id WHERE r.channel = ? AND r.ts = ?", [channel, ts])
        if not rows:
            return None
        row = rows[0]
        session = joined_session(row)
        return _reply(row), session

    def of_session(self, session_id: str) -> list[Reply]:
        return self._select("r.session_id = ? ORDER BY r.created_at, r.rowid", [session_id])

    def of_user(self, user_id: str) -> list[Reply]:
        """Named replies of a person, in every session."""
        return self._select("r.user_id = ? ORDER BY r.created_at", [user_id])

    def anonymous_of_session(self, session_id: str) -> list[Reply]:
        return self._select("r.session_id = ? AND r.user_id IS NULL", [session_id])

    def count(self, prompt_id: int) -> int:
        """Answers to a prompt (reminders count answers, never people: counts must not link)."""
        return self.db.one("SELECT COUNT(*) FROM replies WHERE prompt_id = ?", [prompt_id])[0]

    def values(self, prompt_id: int) -> list[str]:
        """The texts of a prompt's modal answers (the values of a vote or scale prompt)."""
        return [row[0] for row in self.db.all("SELECT text FROM replies WHERE prompt_id = ? AND source = 'modal'",
                                              [prompt_id])]

    def set_ts(self, reply_id: str, ts: str) -> None:
        """The bot posted a modal answer into the thread as message `ts` (reactions on it are votes)."""
        with self.db.write() as conn:
            conn.execute("UPDATE replies SET ts = ? WHERE id = ?", [ts, reply_id])

    def turnout(self, session_id: str) -> dict[str, int]:
        """Anonymous people per role (distinct within the session, unlinkable to their answers)."""
        return dict(self.db.all("SELECT role, COUNT(*) FROM anonymous_people WHERE session_id = ? GROUP BY role",
                                [session_id]))

    def forget_person(self, session_id: str, person: str | None) -> None:
        """Stop counting a forgotten person among the session's anonymous participants."""
        with self.db.write() as conn:
            conn.execute("DELETE FROM anonymous_people WHERE session_id = ? AND person = ?", [session_id, person])

    def without_embedding(self, limit: int = 64, session_id: str | None = None) -> list[tuple[str, str]]:
        """(id, text) of replies not yet embedded (of one session, if given), oldest first."""
        return self.db.all("SELECT id, text FROM replies WHERE embedding IS NULL AND (? IS NULL OR session_id = ?) "
                           "ORDER BY created_at LIMIT ?", [session_id, session_id, limit])

    def newest(self) -> int:
        """A number that grows with every reply stored (the scheduler embeds only when it stands still)."""
        return self.db.one("SELECT COALESCE(MAX(rowid), 0) FROM replies")[0]

    def set_embeddings(self, vectors: dict[str, bytes]) -> None:
        with self.db.write() as conn:
            conn.executemany("UPDATE replies SET embedding = ? WHERE id = ?", [(v, k) for k, v in vectors.items()])

    def embeddings(self, session_id: str) -> dict[str, bytes]:
        return dict(self.db.all("SELECT id, embedding FROM replies WHERE session_id = ? AND length(embedding) > 0",
                                [session_id]))

    def _select(self, where: str, params: list) -> list[Reply]:
        return [_reply(row) for row in self.db.rows(f"SELECT {_SELECT} FROM replies r WHERE {where}", params)]


class Votes:
    """One vote per person per reply and source; the latest event wins, so retries and reordering are harmless."""

    def __init__(self, db: Connection) -> None:
        self.db = db

    def set(self, team_id: str, reply_id: str, voter: str, source: str, active: bool, event_ts: str,
            forgotten: str | None = None) -> bool:
        """Record a vote (or its withdrawal) made at `event_ts`; False when a later event already decided, or
        when the voter asked to be forgotten."""
        return self.db.write_one(
            "INSERT INTO votes (team_id, reply_id, voter, source, active, event_ts) SELECT ?, ?, ?, ?, ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM forgotten WHERE person = ?) "
            "ON CONFLICT (reply_id, voter, source) DO UPDATE SET active = excluded.active, "
            "event_ts = excluded.event_ts WHERE CAST(excluded.event_ts AS REAL) > CAST(votes.event_ts AS REAL)",
            [team_id, reply_id, voter, source, int(active), event_ts, forgotten], keep_remembered=True) == 1

    def forget(self, voter: str, session_id: str) -> int:
        """Delete a voter's votes on the replies of one session."""
        with self.db.write() as conn:
            return conn.execute("DELETE FROM votes WHERE voter = ? AND reply_id IN "
                                "(SELECT id FROM replies WHERE session_id = ?)", [voter, session_id]).rowcount

    def active(self, reply_id: str, voter: str) -> set[str]:
        """The sources through which `voter` supports the reply now."""
        return {row[0] for row in self.db.all("SELECT source FROM votes WHERE reply_id = ? AND voter = ? AND active = 1",
                                              [reply_id, voter])}


def _reply(row: dict) -> Reply:
    for flag in ("anonymous", "edited", "late"):
        row[flag] = bool(row[flag])
    return Reply(**row)
