"""The workspace directory (names, guests, roles set by facilitators) and the tombstones of forgotten people."""

from __future__ import annotations

from dataclasses import fields
from typing import Iterable

from storage.connection import Connection
from storage.records import Person

_COLUMNS = [f.name for f in fields(Person)]


class People:
    """What the bot knows of workspace members, read from Slack's user list in the background."""

    def __init__(self, db: Connection) -> None:
        self.db = db

    def save(self, people: Iterable[Person]) -> int:
        """Insert or refresh people from Slack; a role set by a facilitator is kept."""
        rows = [(p.team_id, p.user_id, p.name, int(p.guest), int(p.bot)) for p in people]
        with self.db.write() as conn:
            conn.executemany(
                "INSERT INTO people (team_id, user_id, name, guest, bot) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (team_id, user_id) DO UPDATE SET name = excluded.name, guest = excluded.guest, "
                "bot = excluded.bot", rows)
        return len(rows)

    def get(self, team_id: str, user_id: str) -> Person | None:
        rows = self.db.rows(f"SELECT {', '.join(_COLUMNS)} FROM people WHERE team_id = ? AND user_id = ?",
                            [team_id, user_id])
        return _person(rows[0]) if rows else None

    def of_team(self, team_id: str) -> list[Person]:
        return [_person(row) for row in self.db.rows(f"SELECT {', '.join(_COLUMNS)} FROM people WHERE team_id = ?",
                                                      [team_id])]

    def set_role(self, team_id: str, user_id: str, role: str | None) -> None:
        """A facilitator's `/hvis rolle`: the role this person's future replies are tagged with."""
        with self.db.write() as conn:
            conn.execute("INSERT INTO people (team_id, user_id, role) VALUES (?, ?, ?) "
                         "ON CONFLICT (team_id, user_id) DO UPDATE SET role = excluded.role", [team_id, user_id, role])

    def forget(self, user_id: str) -> int:
        with self.db.write() as conn:
            return conn.execute("DELETE FROM people WHERE user_id = ?", [user_id]).rowcount


class Forgotten:
    """Tombstones of people who asked to be forgotten, keyed so they cannot be read back into an id."""

    def __init__(self, db: Connection) -> None:
        self.db = db

    def add(self, person: str) -> None:
        with self.db.write() as conn:
            conn.execute("INSERT OR IGNORE INTO forgotten (person) VALUES (?)", [person])


class Leases:
    """Named leases with an owner and an expiry (exactly one process schedules)."""

    def __init__(self, db: Connection) -> None:
        self.db = db

    def hold(self, name: str, owner: str, now: float, ttl: float, holder_is_gone=lambda holder: False) -> bool:
        """Take or renew a lease; True while `owner` holds it. Another owner's lease is taken over once it
        has expired or `holder_is_gone` says its process is dead."""
        with self.db.write() as conn:
            row = conn.execute("SELECT owner, expires_at FROM leases WHERE name = ?", [name]).fetchone()
            if row and row[0] != owner and row[1] >= now and not holder_is_gone(row[0]):
                return False
            conn.execute("INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE "
                         "SET owner = excluded.owner, expires_at = excluded.expires_at", [name, owner, now + ttl])
            return True

    def holder(self, name: str, now: float) -> str | None:
        row = self.db.one("SELECT owner FROM leases WHERE name = ? AND expires_at >= ?", [name, now])
        return row[0] if row else None

    def release(self, name: str, owner: str) -> None:
        with self.db.write() as conn:
            conn.execute("DELETE FROM leases WHERE name = ? AND owner = ?", [name, owner])


def _person(row: dict) -> Person:
    for flag in ("guest", "bot"):
        row[flag] = bool(row[flag])
    return Person(**row)
