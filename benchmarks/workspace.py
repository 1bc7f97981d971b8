"""The Slack workspace every benchmark uses: one stand-in on loopback, its ids, and the bot's settings for it."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bot.config import Settings
from standin import SlackStandIn

SECRET = "benchmark-signing-secret"
TEAM = "T0BENCH"
APP_ID = "A0BENCHAPP"
BOT_USER = "UHVISBOT"
CHANNEL = "C0BENCHDAY"
FACILITATOR = "U0BENCHFAC"
PARTICIPANTS = [f"U0BENCH{n:03d}" for n in range(1, 21)]
DECK = "velfaerd"


@contextmanager
def slack_standin() -> Iterator[SlackStandIn]:
    """The loopback Slack: the participants and the facilitator, all in the session channel with the bot."""
    slack = SlackStandIn(signing_secret=SECRET, team_id=TEAM, app_id=APP_ID, bot_user_id=BOT_USER).start()
    try:
        for user in [*PARTICIPANTS, FACILITATOR]:
            slack.add_user(user, name=user.lower(), real_name=f"Deltager {user}")
        slack.add_channel(CHANNEL, name="temadag-benchmark", members=[*PARTICIPANTS, FACILITATOR])
        yield slack
    finally:
        slack.stop()


def bot_settings(api_url: str, bot_token: str, db_path: Path, threads: int) -> Settings:
    """The bot's settings against the stand-in: its own database and key store next to each other."""
    return Settings(bot_token=bot_token, signing_secret=SECRET, api_url=api_url, db_path=Path(db_path),
                    key_file=Path(db_path).with_suffix(".keys.json"), facilitators=frozenset({FACILITATOR}),
                    threads=threads)
