"""Replies, votes and the people behind them (as pseudonyms): stored once per Slack event."""

from __future__ import annotations

from dataclasses import asdict, fields

from sqlite_utils import Database

from bot.model import Reply
from storage.connection import Connection

# A modal answer Slack keeps refusing (archived channel, bot removed) stays stored but stops being retried.
MAX_POST_ATTEMPTS = 5
_REPLY_COLUMNS = [f.name for f in fields(Reply) if f.name != "votes"]


class ReplyRows(Connection):
    """Verbs over replies, votes, participants and notices."""

    def holds_pseudonyms(self) -> bool:
        """True once any reply or vote is stored: from then on the pseudonym key must never change."""
        return self.db.execute("SELECT EXISTS (SELECT 1 FROM replies) OR EXISTS (SELECT 1 FROM votes)").fetchone()[0] == 1

    def has_notice(self, session_id: str, person: str, kind: str) -> bool:
        return self.db.execute("SELECT 1 FROM notices WHERE session_id = ? AND person = ? AND kind = ?",
                               [session_id, person, kind]).fetchone() is not None

    def seen_event(self, db: Database, event_id: str | None, team_id: str, now: str) -> bool:
        """Inside a write: record `event_id`, or return True if it was already handled (a Slack retry)."""
        if not event_id:
            return False
        cursor = db.execute(
            "INSERT OR IGNORE INTO events (event_id, team_id, received_at) VALUES (?, ?, ?)",
            [event_id, team_id, now])
        return cursor.rowcount == 0

    def add_reply(self, reply: Reply, participant: str, event_id: str | None, now: str) -> bool:
        """Store a reply once per event (and once per message or modal view); False for a duplicate.

        `participant` is counted in a table of its own, so counting people never links their replies.
        """
        with self.write() as db:
            if self.seen_event(db, event_id, reply.team_id, now):
                return False
            if reply.ts and db.execute("SELECT 1 FROM deleted_messages WHERE channel = ? AND ts = ?",
                                       [reply.channel, reply.ts]).fetchone():
                return False  # deleted before Slack's retry of the original reached us
            row = {k: v for k, v in asdict(reply).items() if k in _REPLY_COLUMNS}
            cursor = db.execute(
                f"INSERT OR IGNORE INTO replies ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()))
            if cursor.rowcount != 1:
                return False
            db.execute("INSERT OR IGNORE INTO participants (team_id, session_id, prompt_id, person) VALUES (?, ?, ?, ?)",
                       [reply.team_id, reply.session_id, reply.prompt_id, participant])
            return True

    def participant_counts(self, session_id: str) -> tuple[int, dict[int, int]]:
        """How many people took part in the session, and in each prompt."""
        total = self.db.execute("SELECT COUNT(DISTINCT person) FROM participants WHERE session_id = ?",
                                [session_id]).fetchone()[0]
        per_prompt = dict(self.db.execute("SELECT prompt_id, COUNT(*) FROM participants WHERE session_id = ? "
                                          "GROUP BY prompt_id", [session_id]).fetchall())
        return total, per_prompt

    def edit_reply(self, team_id: str, channel: str, ts: str, text: str, edit_ts: str, event_id: str | None,
                   now: str) -> bool:
        """Apply an edit unless a later one is already applied (Slack may deliver edits out of order)."""
        with self.write() as db:
            if self.seen_event(db, event_id, team_id, now):
                return False
            cursor = db.execute(
                "UPDATE replies SET text = ?, edited = 1, edit_ts = ?, updated_at = ? WHERE channel = ? AND ts = ? "
                "AND text != ? AND (edit_ts IS NULL OR CAST(edit_ts AS REAL) < CAST(? AS REAL))",
                [text, edit_ts, now, channel, ts, text, edit_ts])
            return cursor.rowcount == 1

    def delete_reply(self, team_id: str, channel: str, ts: str, event_id: str | None, now: str) -> bool:
        with self.write() as db:
            if self.seen_event(db, event_id, team_id, now):
                return False
            db.execute("INSERT OR IGNORE INTO deleted_messages (team_id, channel, ts) VALUES (?, ?, ?)",
                       [team_id, channel, ts])
            return db.execute("DELETE FROM replies WHERE channel = ? AND ts = ?", [channel, ts]).rowcount == 1

    def reply(self, reply_id: str) -> Reply | None:
        found = self._replies("r.id = ?", [reply_id])
        return found[0] if found else None

    def reply_by_message(self, channel: str, ts: str) -> Reply | None:
        found = self._replies("r.channel = ? AND r.ts = ?", [channel, ts])
        return found[0] if found else None

    def replies(self, session_id: str) -> list[Reply]:
        return self._replies("r.session_id = ? ORDER BY r.created_at, r.rowid", [session_id])

    def replies_to_post(self) -> list[Reply]:
        """Modal answers stored but not yet posted into their prompt's thread."""
        return self._replies("r.source = 'modal' AND r.ts IS NULL AND r.post_attempts < ? ORDER BY r.created_at",
                             [MAX_POST_ATTEMPTS])

    def set_reply_ts(self, reply_id: str, ts: str) -> None:
        with self.write() as db:
            db.execute("UPDATE replies SET ts = ? WHERE id = ?", [ts, reply_id])

    def _replies(self, where: str, params: list) -> list[Reply]:
        columns = ", ".join(f"r.{c}" for c in _REPLY_COLUMNS)
        rows = self.db.query(
            f"SELECT {columns}, (SELECT COUNT(*) FROM votes v WHERE v.reply_id = r.id) AS votes "
            f"FROM replies r WHERE {where}", params)
        replies = []
        for row in rows:
            row["anonymous"], row["edited"] = bool(row["anonymous"]), bool(row["edited"])
            replies.append(Reply(**row))
        return replies

    def add_vote(self, team_id: str, reply_id: str, voter: str, source: str, event_id: str | None, now: str) -> bool:
        with self.write() as db:
            if self.seen_event(db, event_id, team_id, now):
                return False
            cursor = db.execute(
                "INSERT OR IGNORE INTO votes (team_id, reply_id, voter, source, created_at) VALUES (?, ?, ?, ?, ?)",
                [team_id, reply_id, voter, source, now])
            return cursor.rowcount == 1

    def remove_vote(self, team_id: str, reply_id: str, voter: str, event_id: str | None, now: str) -> bool:
        with self.write() as db:
            if self.seen_event(db, event_id, team_id, now):
                return False
            return db.execute("DELETE FROM votes WHERE reply_id = ? AND voter = ?", [reply_id, voter]).rowcount == 1

    def role_of(self, team_id: str, user_id: str) -> str | None:
        row = self.db.execute("SELECT role FROM people WHERE team_id = ? AND user_id = ?", [team_id, user_id]).fetchone()
        return row[0] if row else None

    def first_notice(self, team_id: str, session_id: str, person: str, kind: str) -> bool:
        """Record that `person` was told `kind` in this session; True only the first time."""
        with self.write() as db:
            return db.execute(
                "INSERT OR IGNORE INTO notices (team_id, session_id, person, kind) VALUES (?, ?, ?, ?)",
                [team_id, session_id, person, kind]).rowcount == 1

    def count_reply_post(self, reply_id: str) -> None:
        """Note an attempt to post a modal answer, so a restart looks for it before posting again."""
        with self.write() as db:
            db.execute("UPDATE replies SET post_attempts = post_attempts + 1 WHERE id = ?", [reply_id])

    def forget(self, user_id: str, pseudonyms: dict[str, dict[str, str]], reply_ids: list[str]) -> tuple[int, int]:
        """Delete a person's replies (`reply_ids`, found by the caller), votes and traces: by user id, and by
        their pseudonyms in each session (`pseudonyms` maps session id → purpose → pseudonym)."""
        with self.write() as db:
            replies = db.execute("DELETE FROM replies WHERE user_id = ?", [user_id]).rowcount
            for reply_id in reply_ids:
                replies += db.execute("DELETE FROM replies WHERE id = ?", [reply_id]).rowcount
            votes = 0
            for session_id, person in pseudonyms.items():
                votes += db.execute("DELETE FROM votes WHERE voter = ? AND reply_id IN "
                                    "(SELECT id FROM replies WHERE session_id = ?)",
                                    [person["vote"], session_id]).rowcount
                db.execute("DELETE FROM participants WHERE session_id = ? AND person = ?",
                           [session_id, person["participant"]])
                db.execute("DELETE FROM notices WHERE session_id = ? AND person = ?", [session_id, person["named"]])
            db.execute("DELETE FROM people WHERE user_id = ?", [user_id])
            db.execute("DELETE FROM session_facilitators WHERE user_id = ?", [user_id])
            db.execute("UPDATE sessions SET created_by = NULL WHERE created_by = ?", [user_id])
        self.scrub()
        return replies, votes
