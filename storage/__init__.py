"""The SQLite store: the only code that touches sqlite_utils. Verbs over the dataclasses of bot.model.

Durability: WAL with synchronous=NORMAL. A commit survives the process being killed (SIGKILL,
crash), which is what "an acknowledged reply is never lost" needs; only a power cut or OS crash
can lose the last few commits, and that trade buys ~10x the write rate of synchronous=FULL.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import asdict, fields
from pathlib import Path
from typing import Callable, Iterator

from sqlite_utils import Database

from bot.model import Prompt, Reply, Session
from storage.migrations import migrations

# A modal answer Slack keeps refusing (archived channel, bot removed) stays stored but stops being retried.
MAX_POST_ATTEMPTS = 5
_SESSION_COLUMNS = [f.name for f in fields(Session) if f.name != "facilitators"]
_PROMPT_COLUMNS = [f.name for f in fields(Prompt)]
_REPLY_COLUMNS = [f.name for f in fields(Reply) if f.name != "votes"]


class Store:
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

    def migrate(self) -> "Store":
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

    def holds_pseudonyms(self) -> bool:
        """True once any reply or vote is stored: from then on the pseudonym key must never change."""
        return self.db.execute("SELECT EXISTS (SELECT 1 FROM replies) OR EXISTS (SELECT 1 FROM votes)").fetchone()[0] == 1

    def healthy(self) -> bool:
        try:
            self.db.execute("SELECT 1").fetchone()
            return True
        except sqlite3.Error:
            return False

    # sessions -------------------------------------------------------------------------------

    def create_session(self, session: Session, prompts: list[Prompt]) -> None:
        """Store a session with its facilitators and prompts, all or nothing."""
        with self.write() as db:
            db["sessions"].insert({k: v for k, v in asdict(session).items() if k in _SESSION_COLUMNS})
            db["session_facilitators"].insert_all(
                {"team_id": session.team_id, "session_id": session.id, "user_id": user}
                for user in session.facilitators
            )
            for prompt in prompts:
                row = asdict(prompt)
                row.pop("id")
                row["options"], row["scale_labels"] = json.dumps(prompt.options), json.dumps(prompt.scale_labels)
                prompt.id = db["prompts"].insert(row).last_pk

    def session(self, session_id: str) -> Session | None:
        found = self.sessions(session_id=session_id)
        return found[0] if found else None

    def sessions(self, states: tuple[str, ...] | None = None, channel: str | None = None,
                 session_id: str | None = None) -> list[Session]:
        sql, params = "SELECT * FROM sessions WHERE 1=1", []
        if session_id:
            sql += " AND id = ?"
            params.append(session_id)
        if states:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            params += list(states)
        if channel:
            sql += " AND channel = ?"
            params.append(channel)
        return [self._session(row) for row in self.db.query(sql + " ORDER BY start_at, id", params)]

    def _session(self, data: dict) -> Session:
        data["anonymity_fixed"] = bool(data["anonymity_fixed"])
        users = self.db.execute(
            "SELECT user_id FROM session_facilitators WHERE session_id = ? ORDER BY user_id", [data["id"]]
        ).fetchall()
        return Session(**data, facilitators=tuple(u[0] for u in users))

    def sessions_to_wrap_up(self) -> list[Session]:
        """Closed sessions whose wrap-up post or facilitator exports are still to be sent."""
        return [self._session(row) for row in self.db.query(
            "SELECT * FROM sessions WHERE state = 'closed' AND (wrapped_up_at IS NULL OR exported_at IS NULL)")]

    def count_wrapup_attempt(self, session_id: str) -> int:
        with self.write() as db:
            db.execute("UPDATE sessions SET wrapup_attempts = wrapup_attempts + 1 WHERE id = ?", [session_id])
            return db.execute("SELECT wrapup_attempts FROM sessions WHERE id = ?", [session_id]).fetchone()[0]

    def has_notice(self, session_id: str, person: str, kind: str) -> bool:
        return self.db.execute("SELECT 1 FROM notices WHERE session_id = ? AND person = ? AND kind = ?",
                               [session_id, person, kind]).fetchone() is not None

    def update_session(self, session_id: str, **changes: object) -> None:
        with self.write() as db:
            db["sessions"].update(session_id, changes)

    # prompts --------------------------------------------------------------------------------

    def prompts(self, session_id: str) -> list[Prompt]:
        return self._prompts("session_id = ? ORDER BY position", [session_id])

    def prompt(self, prompt_id: int) -> Prompt | None:
        found = self._prompts("id = ?", [prompt_id])
        return found[0] if found else None

    def prompt_by_message(self, channel: str, ts: str) -> Prompt | None:
        found = self._prompts(
            "message_ts = ? AND session_id IN (SELECT id FROM sessions WHERE channel = ?)", [ts, channel]
        )
        return found[0] if found else None

    def prompts_to_post(self, now: str) -> list[Prompt]:
        """Prompts of scheduled or running sessions that are due and not yet out (or caught mid-post)."""
        return self._prompts(
            "state IN ('pending', 'posting') AND due_at <= ? AND session_id IN "
            "(SELECT id FROM sessions WHERE state IN ('scheduled', 'running')) ORDER BY due_at, position",
            [now],
        )

    def prompts_to_remind(self, now: str) -> list[Prompt]:
        """Posted prompts of running sessions whose reminder time has come and not yet been used."""
        return self._prompts(
            "state = 'posted' AND remind_at <= ? AND reminded_at IS NULL AND session_id IN "
            "(SELECT id FROM sessions WHERE state = 'running')", [now])

    def prompts_to_close(self, now: str) -> list[Prompt]:
        """Posted prompts past their close time, and every posted prompt of a closed session."""
        return self._prompts(
            "state = 'posted' AND (close_at <= ? OR session_id IN (SELECT id FROM sessions WHERE state = 'closed'))",
            [now])

    def _prompts(self, where: str, params: list) -> list[Prompt]:
        rows = self.db.query(f"SELECT {', '.join(_PROMPT_COLUMNS)} FROM prompts WHERE {where}", params)
        prompts = []
        for row in rows:
            row["options"], row["scale_labels"] = json.loads(row["options"]), json.loads(row["scale_labels"])
            prompts.append(Prompt(**row))
        return prompts

    def claim_prompt(self, prompt_id: int) -> bool:
        """Mark a prompt as being posted; False if another tick already holds or finished it."""
        with self.write() as db:
            cursor = db.execute(
                "UPDATE prompts SET state = 'posting', attempts = attempts + 1 "
                "WHERE id = ? AND state IN ('pending', 'posting')", [prompt_id])
            return cursor.rowcount == 1

    def move_prompt(self, prompt_id: int, to: str, from_states: tuple[str, ...], **changes: object) -> bool:
        """Change a prompt's state only if it is still in one of `from_states`; False if someone got there first."""
        sets = ", ".join(f"{column} = ?" for column in ["state", *changes])
        with self.write() as db:
            cursor = db.execute(
                f"UPDATE prompts SET {sets} WHERE id = ? AND state IN ({','.join('?' * len(from_states))})",
                [to, *changes.values(), prompt_id, *from_states])
            return cursor.rowcount == 1

    def mark_session_running(self, session_id: str) -> None:
        """The first prompt is out: a scheduled session runs, and its anonymity mode is fixed (never looser)."""
        with self.write() as db:
            db.execute("UPDATE sessions SET state = 'running' WHERE id = ? AND state = 'scheduled'", [session_id])
            db.execute("UPDATE sessions SET anonymity_fixed = 1 WHERE id = ?", [session_id])

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

    def update_prompt(self, prompt_id: int, **changes: object) -> None:
        with self.write() as db:
            db["prompts"].update(prompt_id, changes)

    # replies --------------------------------------------------------------------------------

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

    # votes ----------------------------------------------------------------------------------

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

    # people and notices ---------------------------------------------------------------------

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

    def adopt_sessions(self, team_id: str) -> int:
        """Give sessions created without a workspace (from the command line) the running bot's team id."""
        if not self.db.execute("SELECT 1 FROM sessions WHERE team_id = '' LIMIT 1").fetchone():
            return 0
        with self.write() as db:
            for table in ("session_facilitators", "prompts", "replies", "votes", "participants", "notices",
                          "deleted_messages"):
                db.execute(f"UPDATE {table} SET team_id = ? WHERE team_id = ''", [team_id])
            return db.execute("UPDATE sessions SET team_id = ? WHERE team_id = ''", [team_id]).rowcount

    # privacy and upkeep ---------------------------------------------------------------------

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

    def scrub(self) -> None:
        """Fold the write-ahead log into the file and empty it, so old copies of deleted rows are gone too."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def purge(self, closed_before: str) -> int:
        """Delete sessions closed before the cutoff with everything in them, and old event ids."""
        with self.write() as db:
            count = db.execute("DELETE FROM sessions WHERE state = 'closed' AND closed_at < ?", [closed_before]).rowcount
            db.execute("DELETE FROM events WHERE received_at < ?", [closed_before])
        self.scrub()
        return count

    def backup(self, target: Path) -> None:
        """A consistent copy of the live database (SQLite's online backup; safe while the bot runs),
        readable by its owner only: it holds what people wrote."""
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        destination = sqlite3.connect(str(target))
        try:
            self.db.conn.backup(destination)
        finally:
            destination.close()
