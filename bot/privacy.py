"""Forget a person, purge old sessions, back up the database: the data-protection chores."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.errors import BadInput
from bot.model import SLACK_USER_ID
from bot.people import Pseudonyms
from bot.schedule import iso
from storage import Store

def forget(store: Store, pseudonyms: Pseudonyms | None, user_id: str) -> tuple[int, int]:
    """Remove everything stored about `user_id`, anonymous answers included when the key is at hand."""
    if not SLACK_USER_ID.match(user_id):
        raise BadInput(f"{user_id!r} is not a Slack user id (like U0123ABCD)")
    per_session = {s.id: pseudonyms.all_of(s.id, user_id) for s in store.sessions()} if pseudonyms else {}
    return store.forget(user_id, per_session)


def purge(store: Store, older_than_days: int, now: datetime) -> int:
    """Delete sessions closed more than `older_than_days` days ago."""
    if older_than_days < 0:
        raise BadInput(f"--older-than {older_than_days} must be 0 or more days")
    return store.purge(iso(now - timedelta(days=older_than_days)))


def backup(store: Store, target: Path) -> None:
    if target.exists():
        raise BadInput(f"{target} already exists; choose a new file name so no backup is overwritten")
    if not target.parent.is_dir():
        raise BadInput(f"{target.parent} is not a folder")
    store.backup(target)
