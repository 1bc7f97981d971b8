"""The records the store returns: plain dataclasses with no behaviour, shared by storage and the bot.

They live with storage (which imports nothing from `bot`); the bot's rules and services read them.
Times are ISO 8601 strings in UTC to the second (`bot.rules.schedule.iso`), so text order is time order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Session:
    """A theme day: a deck bound to a channel, a start time, a time zone, a language and an anonymity mode."""

    id: str
    team_id: str
    title: str
    channel: str
    deck: str
    language: str
    timezone: str
    anonymity: str
    state: str
    start_at: str
    created_at: str
    created_by: str | None = None
    closed_at: str | None = None
    anonymity_fixed: bool = False
    auto_close: bool = True
    channel_name: str = ""
    members: int | None = None  # human members of the channel, read when the session closes
    facilitators: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prompt:
    """One "Tænk nu, hvis…" question of a session, with its times (UTC) and where it was posted."""

    id: int
    session_id: str
    key: str
    position: int
    kind: str
    text: str
    due_at: str
    state: str = "pending"
    help: str = ""
    options: tuple[str, ...] = ()
    scale_labels: tuple[str, ...] = ()
    remind_at: str | None = None
    close_at: str | None = None
    posted_at: str | None = None
    message_ts: str | None = None
    error: str | None = None
    team_id: str = ""


@dataclass(frozen=True)
class Reply:
    """An answer: a thread reply or a modal submission. `user_id` is None when the answer is anonymous."""

    id: str
    session_id: str
    prompt_id: int
    channel: str
    source: str
    author: str
    anonymous: bool
    role: str
    text: str
    created_at: str
    updated_at: str
    ts: str | None = None
    user_id: str | None = None
    edited: bool = False
    edit_ts: str | None = None
    late: bool = False
    votes: int = 0
    team_id: str = ""


@dataclass(frozen=True)
class Post:
    """A bot message that must reach Slack exactly once (a prompt, an answer, a reminder, a wrap-up, a DM).

    `state` is queued → sending → sent, or failed; a post left `sending` has an unknown outcome
    until it is looked up in Slack by the metadata it carries.
    """

    key: str
    kind: str
    session_id: str
    channel: str
    state: str = "queued"
    thread_ts: str | None = None
    user_id: str | None = None
    ts: str | None = None
    attempts: int = 0
    started_at: str | None = None
    error: str | None = None
    team_id: str = ""


@dataclass(frozen=True)
class Person:
    """What the bot knows of a workspace member: read from Slack's user list, plus a role set by a facilitator."""

    user_id: str
    team_id: str = ""
    name: str = ""
    guest: bool = False
    bot: bool = False
    role: str | None = None  # set with `/hvis rolle`; None means "from configuration or the account"



@dataclass(frozen=True)
class Theme:
    """A theme of an open prompt's answers: a label and keywords from the answers, its replies and quotes
    (found by bot.rules.themes, kept by storage.themes when a session closes)."""

    label: str
    keywords: tuple[str, ...]
    reply_ids: tuple[str, ...]
    quotes: tuple[str, ...]
