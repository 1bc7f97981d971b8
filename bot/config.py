"""Settings, declared once as data: name, default and help feed the code, `.env.example` and the README."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import BadInput

LANGUAGES = ("da", "en")


@dataclass(frozen=True)
class Setting:
    env: str
    attr: str
    default: str
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("SLACK_BOT_TOKEN", "bot_token", "", "Bot token `xoxb-…` (required for `hvis run`)."),
    Setting("SLACK_SIGNING_SECRET", "signing_secret", "", "Signing secret (required in HTTP mode)."),
    Setting("SLACK_APP_TOKEN", "app_token", "", "App-level token `xapp-…`; when set, `hvis run` uses Socket Mode."),
    Setting("SLACK_API_URL", "api_url", "https://slack.com/api/", "Web API base URL (GovSlack, tests)."),
    Setting("PORT", "port", "3000", "HTTP mode listen port."),
    Setting("HVIS_DB", "db_path", "hvis.db", "SQLite database path."),
    Setting("HVIS_FACILITATORS", "facilitators", "", "Comma-separated Slack user ids (U…) or user group ids (S…) of facilitators."),
    Setting("HVIS_POLITICIANS", "politicians", "", "Comma-separated Slack user ids whose replies are tagged `politician`."),
    Setting("HVIS_TZ", "timezone", "Europe/Copenhagen", "Default time zone for new sessions."),
    Setting("HVIS_LANG", "language", "da", "Default language for new sessions (`da` or `en`)."),
    Setting("HVIS_GRACE_MINUTES", "grace_minutes", "15", "A prompt that fell due while the bot was down is posted late within this many minutes, else marked missed."),
    Setting("HVIS_VOTE_REACTION", "vote_reaction", "+1", "The reaction that counts as a vote on a reply."),
    Setting("HVIS_KEY_FILE", "key_file", "", "File holding the secret key for anonymous pseudonyms (default: the database path + `.key`). Keep it apart from database copies."),
    Setting("HVIS_THREADS", "threads", "16", "Worker threads for Slack requests in HTTP mode and Bolt listeners."),
    Setting("HVIS_LOG_LEVEL", "log_level", "INFO", "Log level (DEBUG, INFO, WARNING). Slack payloads are never logged: they hold personal data."),
)


@dataclass(frozen=True)
class Settings:
    """Everything the bot is configured with, read once at start-up."""

    bot_token: str = ""
    signing_secret: str = ""
    app_token: str = ""
    api_url: str = "https://slack.com/api/"
    port: int = 3000
    db_path: Path = Path("hvis.db")
    facilitators: frozenset[str] = field(default_factory=frozenset)
    politicians: frozenset[str] = field(default_factory=frozenset)
    timezone: str = "Europe/Copenhagen"
    language: str = "da"
    grace_minutes: int = 15
    vote_reaction: str = "+1"
    key_file: Path | None = None
    threads: int = 16
    log_level: str = "INFO"

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @property
    def pseudonym_key_path(self) -> Path:
        return self.key_file or self.db_path.with_name(self.db_path.name + ".key")


def _ids(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def _int(env: str, raw: str, low: int, high: int = 2**31) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise BadInput(f"{env}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise BadInput(f"{env}={raw!r} must be between {low} and {high}")
    return value


def check_timezone(name: str, where: str = "time zone") -> str:
    """Return `name` if it is a known IANA time zone, else raise BadInput."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"{where} {name!r} is not a known time zone (try Europe/Copenhagen)") from None
    return name


def check_language(code: str, where: str = "language") -> str:
    if code not in LANGUAGES:
        raise BadInput(f"{where} {code!r} is not supported (use {' or '.join(LANGUAGES)})")
    return code


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build Settings from an environment mapping; raises BadInput naming the variable at fault."""
    raw = {s.attr: environ.get(s.env, s.default).strip() for s in SETTINGS}
    env_of = {s.attr: s.env for s in SETTINGS}
    return Settings(
        bot_token=raw["bot_token"],
        signing_secret=raw["signing_secret"],
        app_token=raw["app_token"],
        api_url=raw["api_url"] or "https://slack.com/api/",
        port=_int(env_of["port"], raw["port"], 1, 65535),
        db_path=Path(raw["db_path"] or "hvis.db"),
        facilitators=_ids(raw["facilitators"]),
        politicians=_ids(raw["politicians"]),
        timezone=check_timezone(raw["timezone"], "HVIS_TZ"),
        language=check_language(raw["language"], "HVIS_LANG"),
        grace_minutes=_int(env_of["grace_minutes"], raw["grace_minutes"], 0),
        vote_reaction=raw["vote_reaction"].strip(":") or "+1",
        key_file=Path(raw["key_file"]) if raw["key_file"] else None,
        threads=_int(env_of["threads"], raw["threads"], 1),
        log_level=raw["log_level"].upper() or "INFO",
    )

