"""Shared fixtures: the Slack stand-in on loopback, a real SQLite file, the real bot over HTTP on uvicorn."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")

from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.rules.decks import load_deck  # noqa: E402
from bot.services import sessions  # noqa: E402
from standin import SlackStandIn  # noqa: E402
from tests.support import (  # noqa: E402
    CHANNEL,
    FACILITATOR,
    GUEST,
    POLITICIAN,
    SECRET,
    TEAM,
    USERS,
    running_bot,
    wait_until,
)

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
    """The bot's settings for a test: its own database and key store, short Slack timeouts."""
    return Settings(bot_token=stub.bot_token, signing_secret=SECRET, api_url=stub.api_url,
                    db_path=tmp_path / "hvis.db", key_file=tmp_path / "keys" / "hvis.json",
                    facilitators=frozenset({FACILITATOR}), politicians=frozenset({POLITICIAN}), threads=4,
                    slack_timeout=2.0, settle_seconds=0.5)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def bot(settings, clock, stub):
    """The real bot (Bolt behind uvicorn, APScheduler ticking) in this process, on an injectable clock."""
    with running_bot(settings, clock, stub) as running:
        yield running


@pytest.fixture
def live_session(bot, clock, stub):
    """A session whose first prompt is out: returns (session, prompt)."""
    return start_session(bot, clock)


def start_session(bot, clock, anonymity: str = "choice", deck: str = "velfaerd", facilitators=(FACILITATOR,)):
    """Plan a session starting now and wait until its first prompt is posted; returns (session, prompt)."""
    session, prompts = sessions.create_session(
        bot.store, bot.linker, load_deck(deck), title="Temadag", channel=CHANNEL, start=clock.now(),
        timezone="Europe/Copenhagen", anonymity_mode=anonymity, facilitators=list(facilitators), now=clock.now(),
        grace=timedelta(minutes=15), team_id=TEAM)
    first = prompts[0]
    wait_until(lambda: bot.store.prompts.get(first.id).state == "posted", f"prompt {first.key} posted")
    return bot.store.sessions.get(session.id), bot.store.prompts.get(first.id)
