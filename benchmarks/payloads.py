"""What the load generator sends: thread replies in Slack's wire format, with a share of Slack's retries mixed in."""

from __future__ import annotations

import json
import random
import time
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Sequence

from standin.delivery import envelope
from standin.workspace import rich_text

VERIFICATION_TOKEN = "benchmark-verification-token"


@dataclass(frozen=True)
class Thread:
    """Where the replies go: the prompt's message in the session channel, posted by the bot."""

    team_id: str
    app_id: str
    bot_user_id: str
    channel: str
    thread_ts: str


@dataclass(frozen=True)
class Request:
    """One delivery: an event_callback body, and 0 for a first delivery or Slack's X-Slack-Retry-Num."""

    body: str
    retry: int = 0

    @property
    def ts(self) -> str:
        return json.loads(self.body)["event"]["ts"]


def replies(thread: Thread, users: Sequence[str], count: int, tag: str, first: int = 0) -> list[Request]:
    """`count` distinct thread replies (event_id, ts and text differ), authors cycling over `users`."""
    # One second past now, so that no reply can share the prompt's ts (a reply whose ts is thread_ts is no reply).
    second = int(time.time()) + 1
    workspace = SimpleNamespace(team_id=thread.team_id, app_id=thread.app_id, bot_user_id=thread.bot_user_id)
    made = []
    for number in range(first, first + count):
        ts = f"{second}.{number:06d}"
        if ts == thread.thread_ts:
            raise ValueError("a reply's ts collides with the prompt's")
        user = users[number % len(users)]
        text = f"Tænk nu, hvis vi prøvede idé nr. {number} fra {user} – med flere hænder i hverdagen"
        event = {"client_msg_id": str(uuid.UUID(int=number)), "type": "message", "text": text, "user": user,
                 "ts": ts, "blocks": rich_text(text), "team": thread.team_id, "thread_ts": thread.thread_ts,
                 "parent_user_id": thread.bot_user_id, "channel": thread.channel, "event_ts": ts,
                 "channel_type": "channel"}
        wrapped = envelope(workspace, event, VERIFICATION_TOKEN, thread.channel)
        wrapped["event_id"] = f"Ev{tag}{number:08d}"  # unique per run and reproducible, unlike the stand-in's
        made.append(Request(json.dumps(wrapped)))
    return made


def with_retries(originals: list[Request], share: float, gap: int, seed: int) -> list[Request]:
    """The originals in order, plus Slack's first retry (the same body, X-Slack-Retry-Num: 1) of a `share` of
    them, each sent at least `gap` requests after its original (so most arrive after it was acknowledged,
    as Slack retries after a timeout; some may still overlap it, which must store nothing twice either)."""
    chosen = random.Random(seed).sample(range(len(originals)), round(len(originals) * share))
    order = [(float(n), request) for n, request in enumerate(originals)]
    spread = random.Random(seed + 1)
    order += [(n + gap + spread.uniform(0.5, 3 * gap), Request(originals[n].body, retry=1)) for n in chosen]
    return [request for _, request in sorted(order, key=lambda pair: pair[0])]
