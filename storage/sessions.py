"""Sessions and their prompts: planning, state moves (conditional updates), closing, purging."""

from __future__ import annotations

import json
from dataclasses import fields, replace

from storage.connection import Connection, placeholders
from storage.records import Prompt, Session

_SESSION_COLUMNS = [f.name for f in fields(Session) if f.name != "facilitators"]
_PROMPT_COLUMNS = [f.name for f in fields(Prompt)]
_PROMPT_SELECT = ", ".join(f"p.{c}" for c in _PROMPT_COLUMNS)
_SESSION_SELECT = ", ".join(f"s.{c}" for c in _SESSION_COLUMNS)
_SESSION_JOINED = ", ".join(f"s.{c} AS s_{c}" for c in _SESSION_COLUMNS)  # beside another table's columns
_FACILITATORS = ("(SELECT group_concat(user_id, ' ') FROM (SELECT user_id FROM session_facilitators f "
                 "WHERE f.session_id = s.id ORDER BY user_id))")


class Sessions:
    """Verbs over sessions and their facilitators."""

    def __init__(self, db: Connection) -> None:
        self.db = db

    def create(self, session: Session, prompts: list[Prompt]) -> tuple[Session, list[Prompt]]:
        """Store a session with its facilitators and prompts, all or nothing; returns them with prompt ids."""
        stored: list[Prompt] = []
        with self.db.write() as conn:
            row = {c: getattr(session, c) for c in _SESSION_COLUMNS}
            conn.execute(f"INSERT INTO sessions ({', '.join(row)}) VALUES ({placeholders(tuple(row))})",
                         list(row.values()))
            conn.executemany("INSERT INTO session_facilitators (team_id, session_id, user_id) VALUES (?, ?, ?)",
                             [(session.team_id, session.id, user) for user in session.facilitators])
            for prompt in prompts:
                stored.append(replace(prompt, id=_insert_prompt(conn, prompt)))
        return session, stored

    def get(self, session_id: str) -> Session | None:
        found = self._select("s.id = ?", [session_id])
        return found[0] if found else None

    def list(self, states: tuple[str, ...] = (), channel: str | None = None) -> list[Session]:
        """Sessions, oldest start first, optionally only in `states` and in `channel`."""
        where, params = ["1=1"], []
        if states:
            where.append(f"s.state IN ({placeholders(states)})")
            params += list(states)
        if channel:
            where.append("s.channel = ?")
            params.append(channel)
        return self._select(" AND ".join(where), params)

    def _select(self, where: str, params: list) -> list[Session]:
        rows = self.db.rows(f"SELECT {_SESSION_SELECT}, {_FACILITATORS} AS facilitators FROM sessions s "
                            f"WHERE {where} ORDER BY s.start_at, s.id", params)
        return [session_from(row) for row in rows]

    def unwrapped(self) -> list[Session]:
        """Closed sessions whose wrap-up is not yet queued."""
        return self._select("s.state = 'closed' AND NOT EXISTS (SELECT 1 FROM posts WHERE key = 'wrapup:' || s.id)", [])

    def move(self, session_id: str, to: str, sources: tuple[str, ...], at: str | None = None) -> bool:
        """Change the state only if it is still one of `sources`; closing records when. False if someone got there first."""
        closed_at = ", closed_at = ?" if to == "closed" else ""
        params = [to] + ([at] if to == "closed" else []) + [session_id, *sources]
        with self.db.write() as conn:
            return conn.execute(f"UPDATE sessions SET state = ?{closed_at} WHERE id = ? "
                                f"AND state IN ({placeholders(sources)})", params).rowcount == 1

    def fix_anonymity(self, session_id: str) -> None:
        """The first prompt is out: from now on the mode may only become stricter."""
        with self.db.write() as conn:
            conn.execute("UPDATE sessions SET anonymity_fixed = 1 WHERE id = ? AND anonymity_fixed = 0", [session_id])

    def set_anonymity(self, session_id: str, mode: str) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE sessions SET anonymity = ? WHERE id = ?", [mode, session_id])

    def set_channel(self, session_id: str, channel_name: str, members: int | None) -> None:
        """The channel's name and, at close, how many people are in it (for participation rates)."""
        with self.db.write() as conn:
            conn.execute("UPDATE sessions SET channel_name = ?, members = COALESCE(?, members) WHERE id = ?",
                         [channel_name, members, session_id])

    def set_narrative(self, session_id: str, narrative: str | None) -> None:
        """The machine-written summary (JSON), kept so every export shows the same one."""
        with self.db.write() as conn:
            conn.execute("UPDATE sessions SET narrative = ? WHERE id = ?", [narrative, session_id])

    def narrative(self, session_id: str) -> str | None:
        row = self.db.one("SELECT narrative FROM sessions WHERE id = ?", [session_id])
        return row[0] if row else None

    def forget_facilitator(self, user_id: str) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM session_facilitators WHERE user_id = ?", [user_id])
            conn.execute("UPDATE sessions SET created_by = NULL WHERE created_by = ?", [user_id])

    def delete(self, session_id: str, states: tuple[str, ...]) -> bool:
        """Remove a session with everything in it, only while it is in one of `states`."""
        with self.db.write() as conn:
            return conn.execute(f"DELETE FROM sessions WHERE id = ? AND state IN ({placeholders(states)})",
                                [session_id, *states]).rowcount == 1

    def adopt(self, team_id: str) -> int:
        """Give sessions created without a workspace (from the command line) the running bot's team id."""
        if not self.db.one("SELECT 1 FROM sessions WHERE team_id = '' LIMIT 1"):
            return 0
        with self.db.write() as conn:
            for table in ("session_facilitators", "prompts", "replies", "votes", "posts", "deleted_messages"):
                conn.execute(f"UPDATE {table} SET team_id = ? WHERE team_id = ''", [team_id])
            return conn.execute("UPDATE sessions SET team_id = ? WHERE team_id = ''", [team_id]).rowcount

    def purge(self, closed_before: str) -> int:
        """Delete sessions closed before the cutoff with everything in them."""
        with self.db.write() as conn:
            return conn.execute("DELETE FROM sessions WHERE state = 'closed' AND closed_at < ?",
                                [closed_before]).rowcount


class Prompts:
    """Verbs over the prompts of sessions."""

    def __init__(self, db: Connection) -> None:
        self.db = db

    def of(self, session_id: str) -> list[Prompt]:
        return self._select("p.session_id = ? ORDER BY p.position", [session_id])

    def get(self, prompt_id: int) -> Prompt | None:
        found = self._select("p.id = ?", [prompt_id])
        return found[0] if found else None

    def with_session(self, prompt_id: int) -> tuple[Prompt, Session] | None:
        """A prompt and its session in one read."""
        return self._joined("p.id = ?", [prompt_id])

    def by_message(self, channel: str, ts: str) -> tuple[Prompt, Session] | None:
        """The prompt posted as message `ts` in `channel`, with its session, in one read (a reply's hot path:
        the session comes without its facilitators, which storing a reply never needs). Remembered until the
        database changes, so a burst of replies to one prompt reads it once."""
        return self.db.remembered(("prompt_by_message", channel, ts), lambda: self._joined(
            "p.message_ts = ? AND s.channel = ?", [ts, channel], facilitators=False))

    def being_posted(self, channel: str) -> str | None:
        """When the earliest post still unsettled of a prompt in `channel` began (its message may be in Slack
        already, its ts not yet known here), or None. Remembered like `by_message`, on the same hot path."""
        return self.db.remembered(("prompt_being_posted", channel), lambda: self.db.one(
            "SELECT MIN(po.started_at) FROM prompts p JOIN sessions s ON s.id = p.session_id "
            "JOIN posts po ON po.key = 'prompt:' || p.id AND po.state = 'sending' WHERE p.state = 'posting' "
            "AND s.channel = ?",
            [channel])[0])

    def _joined(self, where: str, params: list, facilitators: bool = True) -> tuple[Prompt, Session] | None:
        extra = f", {_FACILITATORS} AS s_facilitators" if facilitators else ""
        rows = self.db.rows(f"SELECT {_PROMPT_SELECT}, {_SESSION_JOINED}{extra} FROM prompts p "
                            f"JOIN sessions s ON s.id = p.session_id WHERE {where} LIMIT 1", params)
        if not rows:
            return None
        row = rows[0]
        session = joined_session(row)
        return prompt_from(row), session

    def due(self, now: str) -> list[Prompt]:
        """Pending prompts whose time has come, in sessions that are not paused or closed."""
        return self._select("p.state = 'pending' AND p.due_at <= ? AND p.session_id IN "
                            "(SELECT id FROM sessions WHERE state IN ('scheduled', 'running')) "
                            "ORDER BY p.due_at, p.position", [now])

    def orphaned(self) -> list[Prompt]:
        """Prompts marked as being posted whose post was never queued (the process stopped in between)."""
        return self._select("p.state = 'posting' AND NOT EXISTS (SELECT 1 FROM posts WHERE key = 'prompt:' || p.id)",
                            [])

    def overdue(self, session_id: str, now: str) -> list[Prompt]:
        """A paused session's pending prompts whose time passed meanwhile."""
        return self._select("p.session_id = ? AND p.state = 'pending' AND p.due_at <= ? ORDER BY p.position",
                            [session_id, now])

    def to_remind(self, now: str) -> list[Prompt]:
        """Posted prompts of running sessions whose reminder is due and not yet queued."""
        return self._select("p.state = 'posted' AND p.remind_at <= ? AND (p.close_at IS NULL OR p.close_at > ?) "
                            "AND NOT EXISTS (SELECT 1 FROM posts WHERE key = 'reminder:' || p.id) "
                            "AND p.session_id IN (SELECT id FROM sessions WHERE state = 'running')", [now, now])

    def to_close(self, now: str) -> list[Prompt]:
        """Posted prompts past their close time in running sessions (a pause holds the round open), and every
        posted prompt of a closed session."""
        return self._select("p.state = 'posted' AND ((p.close_at <= ? AND p.session_id IN "
                            "(SELECT id FROM sessions WHERE state = 'running')) OR p.session_id IN "
                            "(SELECT id FROM sessions WHERE state = 'closed'))", [now])

    def _select(self, where: str, params: list) -> list[Prompt]:
        return [prompt_from(row) for row in self.db.rows(f"SELECT {_PROMPT_SELECT} FROM prompts p WHERE {where}", params)]

    def move(self, prompt_id: int, to: str, sources: tuple[str, ...], *, message_ts: str | None = None,
             posted_at: str | None = None, error: str | None = None, due_at: str | None = None) -> bool:
        """Change a prompt's state only if it is still one of `sources`; False if someone got there first.

        The given fields are recorded with the move (`due_at` when a facilitator sends a prompt now)."""
        with self.db.write() as conn:
            return conn.execute(
                f"UPDATE prompts SET state = ?, message_ts = COALESCE(?, message_ts), "
                f"posted_at = COALESCE(?, posted_at), error = ?, due_at = COALESCE(?, due_at) "
                f"WHERE id = ? AND state IN ({placeholders(sources)})",
                [to, message_ts, posted_at, error, due_at, prompt_id, *sources]).rowcount == 1

    def set_times(self, prompt_id: int, due_at: str, remind_at: str | None, close_at: str | None,
                  sources: tuple[str, ...] = ("pending",)) -> bool:
        """Move a prompt that is not yet out to new times."""
        with self.db.write() as conn:
            return conn.execute(f"UPDATE prompts SET due_at = ?, remind_at = ?, close_at = ?, state = 'pending' "
                                f"WHERE id = ? AND state IN ({placeholders(sources)})",
                                [due_at, remind_at, close_at, prompt_id, *sources]).rowcount == 1

    def edit(self, prompt_id: int, editable: tuple[str, ...], *, text: str, due_at: str, remind_at: str | None,
             close_at: str | None) -> bool:
        """Change a prompt's text and times while it is still editable (not yet posted)."""
        with self.db.write() as conn:
            return conn.execute(
                f"UPDATE prompts SET text = ?, due_at = ?, remind_at = ?, close_at = ?, state = 'pending' "
                f"WHERE id = ? AND state IN ({placeholders(editable)})",
                [text, due_at, remind_at, close_at, prompt_id, *editable]).rowcount == 1

    def add(self, prompt: Prompt) -> Prompt:
        """Add a prompt to a session's plan, at the end of its positions."""
        with self.db.write() as conn:
            position = conn.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM prompts WHERE session_id = ?",
                                    [prompt.session_id]).fetchone()[0]
            prompt = replace(prompt, position=position)
            return replace(prompt, id=_insert_prompt(conn, prompt))

    def remove(self, prompt_id: int, editable: tuple[str, ...]) -> bool:
        with self.db.write() as conn:
            return conn.execute(f"DELETE FROM prompts WHERE id = ? AND state IN ({placeholders(editable)})",
                                [prompt_id, *editable]).rowcount == 1


def _insert_prompt(conn, prompt: Prompt) -> int:
    row = {c: getattr(prompt, c) for c in _PROMPT_COLUMNS if c != "id"}
    row["options"], row["scale_labels"] = json.dumps(list(prompt.options)), json.dumps(list(prompt.scale_labels))
    return conn.execute(f"INSERT INTO prompts ({', '.join(row)}) VALUES ({placeholders(tuple(row))})",
                        list(row.values())).lastrowid


def session_from(row: dict) -> Session:
    row = dict(row)
    row["anonymity_fixed"], row["auto_close"] = bool(row["anonymity_fixed"]), bool(row["auto_close"])
    row["facilitators"] = tuple((row.get("facilitators") or "").split())
    return Session(**row)


def joined_session(row: dict) -> Session:
    """The session of a row selected with `_SESSION_JOINED` (its columns are taken out of the row)."""
    return session_from({c: row.pop(f"s_{c}") for c in _SESSION_COLUMNS} |
                        {"facilitators": row.pop("s_facilitators", "")})


def prompt_from(row: dict) -> Prompt:
    row = dict(row)
    row["options"], row["scale_labels"] = tuple(json.loads(row["options"])), tuple(json.loads(row["scale_labels"]))
    return Prompt(**row)
