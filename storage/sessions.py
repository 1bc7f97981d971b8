"""Sessions and their prompts: planning, posting states, closing, purging."""

from __future__ import annotations

import json
from dataclasses import asdict, fields

from bot.model import Prompt, Session
from storage.connection import Connection

_SESSION_COLUMNS = [f.name for f in fields(Session) if f.name != "facilitators"]
_PROMPT_COLUMNS = [f.name for f in fields(Prompt)]


class SessionRows(Connection):
    """Verbs over sessions and prompts."""

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

    def update_session(self, session_id: str, **changes: object) -> None:
        with self.write() as db:
            db["sessions"].update(session_id, changes)

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

    def update_prompt(self, prompt_id: int, **changes: object) -> None:
        with self.write() as db:
            db["prompts"].update(prompt_id, changes)

    def adopt_sessions(self, team_id: str) -> int:
        """Give sessions created without a workspace (from the command line) the running bot's team id."""
        if not self.db.execute("SELECT 1 FROM sessions WHERE team_id = '' LIMIT 1").fetchone():
            return 0
        with self.write() as db:
            for table in ("session_facilitators", "prompts", "replies", "votes", "participants", "notices",
                          "deleted_messages"):
                db.execute(f"UPDATE {table} SET team_id = ? WHERE team_id = ''", [team_id])
            return db.execute("UPDATE sessions SET team_id = ? WHERE team_id = ''", [team_id]).rowcount

    def purge(self, closed_before: str) -> int:
        """Delete sessions closed before the cutoff with everything in them, and old event ids."""
        with self.write() as db:
            count = db.execute("DELETE FROM sessions WHERE state = 'closed' AND closed_at < ?", [closed_before]).rowcount
            db.execute("DELETE FROM events WHERE received_at < ?", [closed_before])
        self.scrub()
        return count
