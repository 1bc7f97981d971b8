"""What the App Home shows a person: their sessions as a facilitator, and their own answers."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.blocks.home import Card, home
from bot.rules import anonymity, states
from bot.rules.schedule import iso
from bot.services import privacy
from bot.services.directory import Directory
from bot.services.linking import Linker
from storage import Store

RECENT = timedelta(days=30)  # closed sessions stay on the dashboard this long


def cards(store: Store, people: Directory, user_id: str, now: datetime) -> list[Card]:
    """The sessions `user_id` facilitates: live ones, then those closed in the last month."""
    found = []
    for session in store.sessions.list():
        if session.state == "closed" and (session.closed_at or "") < iso(now - RECENT):
            continue
        if not people.is_facilitator(user_id, session):
            continue
        prompts = store.prompts.of(session.id)
        replies = store.replies.of_session(session.id)
        upcoming = [p for p in prompts if p.state in states.UNSENT_PROMPT_STATES]
        found.append(Card(session, upcoming[0] if upcoming else None, len(replies),
                          anonymity.participants({r.user_id for r in replies if r.user_id},
                                                 sum(store.replies.turnout(session.id).values())),
                          len(prompts)))
    order = {"running": 0, "paused": 1, "scheduled": 2, "closed": 3}
    return sorted(found, key=lambda c: (order[c.session.state], c.session.start_at))


def view(store: Store, people: Directory, linker: Linker, user_id: str, language: str, now: datetime) -> dict:
    """The Home tab for `user_id`."""
    return home(language, cards(store, people, user_id, now), privacy.mine(store, linker, user_id),
                people.is_facilitator(user_id))
