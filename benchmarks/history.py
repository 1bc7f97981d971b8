"""Databases with a past: many theme days planned, held and closed, made through the bot's own services and
store verbs (in one transaction, so thousands of sessions take seconds), for the start-up and tick figures."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from benchmarks.workspace import CHANNEL, DECK, FACILITATOR, PARTICIPANTS, TEAM
from bot.rules import states
from bot.rules.decks import load_deck
from bot.rules.schedule import iso
from bot.services import sessions
from bot.services.linking import Linker
from storage import Store
from storage.records import Post, Reply

GRACE = timedelta(minutes=15)


class ClosedLinker:
    """A linker for sessions that are closed by the time the bot starts: their secrets would be destroyed at
    close anyway, so they are never written to the key store (which syncs every change to disk)."""

    def open(self, session_id: str) -> None:
        pass

    def close(self, session_id: str) -> bool:
        return True


@dataclass(frozen=True)
class History:
    """What a seeded database holds."""

    prompts: int
    sessions: dict[str, int]  # state -> sessions
    replies: int


def seed(store: Store, linker: Linker, now: datetime, *, planned: int, held: int = 0, running: bool = False,
         replies_per_prompt: int = 0) -> History:
    """`planned` sessions ahead of `now`, `held` closed ones before it (each prompt posted and closed, its
    replies already embedded, the wrap-up sent) and optionally one running with its first prompt out."""
    deck = load_deck(DECK)
    counts = {"scheduled": 0, "running": 0, "closed": 0}
    prompts = replies = 0
    with store.db.write():  # one transaction: the verbs below join it
        for n in range(planned):
            made = _plan(store, linker, deck, now + timedelta(days=1 + n % 300, hours=n // 300), f"C0PLAN{n:05d}", now)
            prompts += len(made)
            counts["scheduled"] += 1
        for n in range(held):
            start = now - timedelta(days=2 + n, hours=n % 5)
            channel = f"C0PAST{n:05d}"
            replies += _hold(store, _plan(store, ClosedLinker(), deck, start, channel, start), channel, start,
                             replies_per_prompt)
            prompts += len(deck.prompts)
            counts["closed"] += 1
        if running:
            made = _plan(store, linker, deck, now - timedelta(minutes=1), CHANNEL, now - timedelta(minutes=1))
            _post(store, made[0], now)
            store.sessions.move(made[0].session_id, "running", states.session_sources("running"))
            prompts += len(made)
            counts["running"] += 1
    return History(prompts, counts, replies)


def _plan(store: Store, linker, deck, start: datetime, channel: str, now: datetime) -> list:
    _, prompts = sessions.create_session(
        store, linker, deck, title=f"Temadag {channel}", channel=channel, start=start, timezone="Europe/Copenhagen",
        anonymity_mode="choice", facilitators=[FACILITATOR], now=now, grace=GRACE, team_id=TEAM)
    return prompts


def _post(store: Store, prompt, at: datetime) -> None:
    ts = f"{at.timestamp():.0f}.{prompt.id % 1_000_000:06d}"
    store.prompts.move(prompt.id, "posting", states.prompt_sources("posting"))
    store.prompts.move(prompt.id, "posted", states.prompt_sources("posted"), message_ts=ts, posted_at=iso(at))


def _hold(store: Store, prompts: list, channel: str, start: datetime, replies_per_prompt: int) -> int:
    """A theme day as it ends: every prompt posted, answered and closed, the session closed and wrapped up."""
    session_id = prompts[0].session_id
    store.sessions.move(session_id, "running", states.session_sources("running"))
    vectors = {}
    for prompt in prompts:
        _post(store, prompt, start)
        for k in range(replies_per_prompt):
            user = PARTICIPANTS[k % len(PARTICIPANTS)]
            reply = Reply(id=secrets.token_hex(6), team_id=TEAM, session_id=session_id, prompt_id=prompt.id,
                          channel=channel, ts=f"{int(start.timestamp()) + 60 + k}.{prompt.id % 1_000_000:06d}",
                          source="thread", user_id=user,
                          author="", anonymous=False, role="employee", text=f"Svar {k} på {prompt.key}",
                          created_at=iso(start), updated_at=iso(start))
            store.replies.add(reply)
            vectors[reply.id] = b""  # embedded long ago (an empty vector: themes from words alone)
        store.prompts.move(prompt.id, "closed", states.prompt_sources("closed"))
    store.replies.set_embeddings(vectors)
    session = store.sessions.get(session_id)
    sessions.close_session(store, ClosedLinker(), session, start + timedelta(hours=8))
    store.posts.queue(Post(key=f"wrapup:{session_id}", kind="wrapup", session_id=session_id, channel=channel,
                           state="sent", ts=f"{start.timestamp() + 8 * 3600:.0f}.000100", team_id=TEAM))
    return len(vectors)
