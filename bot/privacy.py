"""Forget a person, purge old sessions, back up the database: the data-protection chores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import BadInput
from bot.model import SLACK_USER_ID
from bot.people import Pseudonyms
from bot.schedule import iso
from storage import Store


@dataclass(frozen=True)
class Forgotten:
    replies: int
    votes: int
    bot_posts: list[tuple[str, str]]  # (channel, ts) of the bot's posts of this person's modal answers


def forget(store: Store, pseudonyms: Pseudonyms | None, user_id: str) -> Forgotten:
    """Remove everything stored about `user_id`, anonymous answers included when the key is at hand."""
    if not SLACK_USER_ID.match(user_id):
        raise BadInput(f"{user_id!r} is not a Slack user id (like U0123ABCD)")
    per_session, answers, posts = {}, [], []
    for session in store.sessions():
        mine = [r for r in store.replies(session.id) if r.user_id == user_id or pseudonyms and (
            r.author == pseudonyms.of_answer(session.id, user_id, r.id) if r.anonymous and r.source == "modal"
            else r.author == pseudonyms.of(session.id, user_id, "named"))]
        posts += [(r.channel, r.ts) for r in mine if r.source == "modal" and r.ts]
        answers += [r.id for r in mine]
        if pseudonyms:
            per_session[session.id] = pseudonyms.all_of(session.id, user_id)
    replies, votes = store.forget(user_id, per_session, answers)
    return Forgotten(replies, votes, posts)


def delete_bot_posts(client: WebClient, posts: list[tuple[str, str]]) -> int:
    """Delete the bot's posts of a forgotten person's answers; returns how many Slack deleted."""
    deleted = 0
    for channel, ts in posts:
        try:
            client.chat_delete(channel=channel, ts=ts)
            deleted += 1
        except SlackApiError as exc:
            if exc.response.get("error") == "message_not_found":
                deleted += 1  # already gone
    return deleted


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
