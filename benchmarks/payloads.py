"""Signed-request bodies: thread-reply `message` events shaped like the ones Slack delivers."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Thread:
    """Where the replies go: the prompt's message in the session channel."""

    team_id: str
    app_id: str
    channel: str
    thread_ts: str
    parent_user: str  # the bot, which posted the prompt


def reply_events(thread: Thread, users: Sequence[str], count: int, first: int, tag: str) -> list[bytes]:
    """`count` distinct replies (event_id, ts and text differ) numbered from `first`, authors cycling over `users`."""
    # One second past now, so no reply can share the prompt's ts (a reply whose ts equals thread_ts is no reply).
    second = int(time.time()) + 1
    bodies = []
    for number in range(first, first + count):
        ts = f"{second}.{number:06d}"
        if ts == thread.thread_ts:
            raise ValueError("a reply's ts collides with the prompt's")
        user = users[number % len(users)]
        event = {"type": "message", "channel": thread.channel, "user": user, "team": thread.team_id,
                 "text": f"Tænk nu, hvis vi prøvede idé nr. {number} fra {user}", "ts": ts,
                 "thread_ts": thread.thread_ts, "parent_user_id": thread.parent_user,
                 "event_ts": ts, "channel_type": "channel"}
        envelope = {"token": "benchmark-verification-token", "team_id": thread.team_id,
                    "context_team_id": thread.team_id, "api_app_id": thread.app_id, "event": event,
                    "type": "event_callback", "event_id": f"Ev{tag}{number:07d}", "event_time": second,
                    "authorizations": [{"enterprise_id": None, "team_id": thread.team_id,
                                        "user_id": thread.parent_user, "is_bot": True,
                                        "is_enterprise_install": False}],
                    "is_ext_shared_channel": False}
        bodies.append(json.dumps(envelope).encode("utf-8"))
    return bodies
