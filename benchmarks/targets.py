"""The servers under test: an ack-only Bolt baseline and the real bot, both behind the bot's WSGI wrapper on waitress."""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Sequence

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import sessions
from bot.clock import FixedClock
from bot.config import Settings
from bot.decks import load_deck
from bot.model import Prompt
from bot.runtime import Bot, build
from bot.server import Server, SlackWsgi
from standin import SlackStandIn

TEAM = "T0BENCH"
CHANNEL = "C0BENCHDAY"
FACILITATOR = "U0BENCHFAC"
DECK = "velfaerd"


def participants(count: int) -> list[str]:
    """User ids of the people who reply."""
    return [f"U0BENCH{n:03d}" for n in range(1, count + 1)]


@contextmanager
def slack_standin(secret: str, users: Sequence[str]) -> Iterator[SlackStandIn]:
    """The loopback Slack the bot talks to, with the participants and the facilitator in the session channel."""
    slack = SlackStandIn(signing_secret=secret, team_id=TEAM).start()
    try:
        for user in [*users, FACILITATOR]:
            slack.add_user(user, name=user.lower(), real_name=f"Deltager {user}")
        slack.add_channel(CHANNEL, name="temadag-benchmark", members=[*users, FACILITATOR])
        yield slack
    finally:
        slack.stop()


@contextmanager
def baseline_server(slack: SlackStandIn, threads: int) -> Iterator[int]:
    """A minimal sync Bolt app whose one `message` listener only acknowledges; yields its port."""
    # Bolt still calls auth.test once, lazily, on the first request: point its client at the stand-in so
    # that call stays on loopback, exactly as the bot's does.
    app = App(client=WebClient(token=slack.bot_token, base_url=slack.api_url), signing_secret=slack.signing_secret,
              process_before_response=True, token_verification_enabled=False)

    @app.event("message")
    def acknowledge(ack: Ack) -> None:
        ack()

    served = Server(SlackWsgi(app, health=lambda: {"ok": True}), "127.0.0.1", 0, threads)
    try:
        yield served.port
    finally:
        served.close()


@dataclass
class LiveBot:
    """The running bot with a session whose first prompt is out."""

    bot: Bot
    port: int
    session_id: str
    prompt: Prompt

    def reply_ts(self) -> list[str]:
        """The ts of every reply stored for the session, sorted (a reply stored twice shows up twice)."""
        return sorted(reply.ts for reply in self.bot.h.store.replies(self.session_id))


@contextmanager
def hvis_bot(slack: SlackStandIn, db_path: Path, threads: int, post_timeout: float = 20.0) -> Iterator[LiveBot]:
    """The real bot in HTTP mode against the stand-in, with the shipped deck's first prompt posted."""
    # A clock that never moves: the first prompt falls due at once and nothing else (later prompts, closing)
    # happens during the run, so the scheduler's ticks are the bot's normal idle work and no more.
    clock = FixedClock(datetime.now(timezone.utc))
    settings = Settings(bot_token=slack.bot_token, signing_secret=slack.signing_secret, api_url=slack.api_url,
                        db_path=db_path, facilitators=frozenset({FACILITATOR}), threads=threads)
    bot = Bot(build(settings, clock), tick_seconds=1.0)
    try:
        port = bot.start_http("127.0.0.1", 0)
        session = sessions.create_session(
            bot.h.store, load_deck(DECK), title="Benchmark", channel=CHANNEL, start=clock.now(),
            timezone="Europe/Copenhagen", language="da", anonymity="choice", facilitators=[FACILITATOR],
            now=clock.now(), team_id=TEAM)
        first = bot.h.store.prompts(session.id)[0]
        deadline = time.monotonic() + post_timeout
        while (prompt := bot.h.store.prompt(first.id)).state != "posted":
            if time.monotonic() > deadline:
                raise RuntimeError(f"the first prompt was not posted within {post_timeout:.0f} s (state {prompt.state})")
            time.sleep(0.05)
        yield LiveBot(bot=bot, port=port, session_id=session.id, prompt=prompt)
    finally:
        bot.stop()
