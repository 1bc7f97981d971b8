"""The workshop's nouns as plain dataclasses, shared by storage, services and exports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
ANONYMITY_MODES = ("named", "confidential", "anonymous", "choice")
# From loosest to strictest: a mode may only move right once the first prompt is out.
STRICTNESS = {"named": 0, "choice": 1, "confidential": 2, "anonymous": 3}
SESSION_STATES = ("draft", "scheduled", "running", "paused", "closed")
PROMPT_STATES = ("pending", "posting", "posted", "missed", "failed", "closed")
ROLES = ("employee", "politician", "guest", "facilitator")


@dataclass
class Session:
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
    wrapped_up_at: str | None = None
    wrapup_attempts: int = 0
    exported_at: str | None = None
    anonymity_fixed: bool = False
    facilitators: tuple[str, ...] = ()


@dataclass
class Prompt:
    id: int
    session_id: str
    key: str
    position: int
    kind: str
    text: str
    due_at: str
    state: str = "pending"
    help: str = ""
    options: list[str] = field(default_factory=list)
    scale_labels: list[str] = field(default_factory=list)
    remind_at: str | None = None
    close_at: str | None = None
    posted_at: str | None = None
    message_ts: str | None = None
    reminded_at: str | None = None
    attempts: int = 0
    error: str | None = None
    team_id: str = ""


@dataclass
class Reply:
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
    origin: str | None = None
    post_attempts: int = 0
    votes: int = 0
    team_id: str = ""
