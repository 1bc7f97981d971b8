"""The private greeting for someone who joins a session channel."""

from __future__ import annotations

from bot.blocks import messages
from bot.services.directory import Directory
from storage import Store
from storage.records import Session

# Which session a newcomer hears about: the one under way first, then a paused one, then the next planned.
PREFERENCE = {"running": 0, "paused": 1, "scheduled": 2}


def session_to_greet(store: Store, channel: str) -> Session | None:
    live = store.sessions.list(states=tuple(PREFERENCE), channel=channel)
    return min(live, key=lambda s: (PREFERENCE[s.state], s.start_at), default=None)


def greeting(store: Store, people: Directory, channel: str, user_id: str) -> dict | None:
    """What to tell a newcomer privately (how to take part, the anonymity mode, a privacy line), if anything."""
    if not user_id or people.is_bot(user_id):
        return None
    session = session_to_greet(store, channel)
    return messages.greeting(session, people.is_guest(user_id)) if session else None
