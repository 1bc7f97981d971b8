"""Shared fixtures: the Slack stand-in on loopback, a real SQLite file, the real bot over HTTP."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from bot import sessions  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.decks import load_deck  # noqa: E402
from bot.runtime import Bot, build  # noqa: E402
from standin import SlackStandIn  # noqa: E402
from tests.support import CHANNEL, FACILITATOR, GUEST, POLITICIAN, SECRET, TEAM, USERS, wait_until  # noqa: E402

START = datetime(2026, 3, 12, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def stub():
    """A Slack workspace: ten employees, a politician, a guest and a facilitator in one channel."""
    slack = SlackStandIn(signing_secret=SECRET, team_id=TEAM).start()
    for user in USERS:
        slack.add_user(user, name=user.lower(), real_name=f"Person {user}")
    slack.add_user(POLITICIAN, name="karen", real_name="Karen Holm")
    slack.add_user(GUEST, name="gitte", real_name="Gitte Gæst", is_restricted=True)
    slack.add_user(FACILITATOR, name="fie", real_name="Fie Facilitator")
    slack.add_channel(CHANNEL, name="temadag", members=[*USERS, POLITICIAN, GUEST, FACILITATOR])
    yield slack
    slack.stop()


@pytest.fixture
def settings(tmp_path, stub) -> Settings:
    return Settings(bot_token=stub.bot_token, signing_secret=SECRET, api_url=stub.api_url,
                    db_path=tmp_path / "hvis.db", facilitators=frozenset({FACILITATOR}),
                    politicians=frozenset({POLITICIAN}), threads=8)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def bot(settings, clock, stub):
    """The real bot (Bolt behind waitress, APScheduler ticking) in this process, on an injectable clock."""
    running = Bot(build(settings, clock), tick_seconds=0.05)
    port = running.start_http("127.0.0.1", 0)
    stub.request_url = f"http://127.0.0.1:{port}/slack/events"
    running.url = f"http://127.0.0.1:{port}"
    yield running
    running.stop()


@pytest.fixture
def live_session(bot, clock, stub):
    """A session whose first prompt is out: returns (session, prompt)."""
    return start_session(bot, clock, stub)


def start_session(bot, clock, stub, anonymity: str = "choice", deck: str = "velfaerd"):
    session = sessions.create_session(
        bot.h.store, load_deck(deck), title="Temadag", channel=CHANNEL, start=clock.now(),
        timezone="Europe/Copenhagen", language="da", anonymity=anonymity, facilitators=[FACILITATOR],
        now=clock.now(), team_id=TEAM)
    first = bot.h.store.prompts(session.id)[0]
    wait_until(lambda: bot.h.store.prompt(first.id).state == "posted", f"prompt {first.key} posted")
    return bot.h.store.session(session.id), bot.h.store.prompt(first.id)
