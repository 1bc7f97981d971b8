"""Settings, declared once as data: each has its environment variable, type, default and help, and the
`Settings` class, `.env.example` and the README's table are all derived from `SETTINGS`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from bot.errors import BadInput
from bot.i18n import LANGUAGES
from bot.rules import ids
from bot.rules.schedule import check_timezone


def _text(raw: str, env: str) -> str:
    return raw


def _whole(low: int, high: int) -> Callable[[str, str], int]:
    def parse(raw: str, env: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise BadInput(f"{env}={raw!r} is not a whole number") from None
        if not low <= value <= high:
            raise BadInput(f"{env}={raw!r} must be between {low} and {high}")
        return value
    return parse


def _seconds(raw: str, env: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise BadInput(f"{env}={raw!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise BadInput(f"{env}={raw!r} must be more than 0 and at most 3600 seconds")
    return value


def _people(raw: str, env: str) -> frozenset[str]:
    found = frozenset(part.strip() for part in raw.split(",") if part.strip())
    for entry in found:
        if not ids.is_user_or_group(entry):
            raise BadInput(f"{env}: {entry!r} is not a Slack user id (U…) or user group id (S…)")
    return found


def _path(raw: str, env: str) -> Path | None:
    return Path(raw).expanduser() if raw else None


def _zone(raw: str, env: str) -> str:
    return check_timezone(raw, env)


def _language(raw: str, env: str) -> str:
    if raw not in LANGUAGES:
        raise BadInput(f"{env}={raw!r} is not supported (use {' or '.join(LANGUAGES)})")
    return raw


def _level(raw: str, env: str) -> str:
    if raw.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise BadInput(f"{env}={raw!r} is not a log level (DEBUG, INFO, WARNING or ERROR)")
    return raw.upper()


def _url(raw: str, env: str) -> str:
    if raw and not raw.startswith(("http://", "https://")):
        raise BadInput(f"{env}={raw!r} is not an http(s) URL")
    return raw


@dataclass(frozen=True)
class Setting:
    env: str
    attr: str
    parse: Callable[[str, str], Any]
    default: str
    help: str
    secret: bool = False  # shown blank in .env.example


SETTINGS: tuple[Setting, ...] = (
    Setting("SLACK_BOT_TOKEN", "bot_token", _text, "", "Bot token `xoxb-…` (required for `hvis run`).", True),
    Setting("SLACK_SIGNING_SECRET", "signing_secret", _text, "", "Signing secret (required in HTTP mode).", True),
    Setting("SLACK_APP_TOKEN", "app_token", _text, "", "App-level token `xapp-…`; when set, `hvis run` uses Socket Mode.", True),
    Setting("SLACK_API_URL", "api_url", _url, "https://slack.com/api/", "Web API base URL (GovSlack, tests)."),
    Setting("PORT", "port", _whole(1, 65535), "3000", "HTTP mode listen port."),
    Setting("HVIS_DB", "db_path", _path, "hvis.db", "SQLite database path."),
    Setting("HVIS_FACILITATORS", "facilitators", _people, "", "Comma-separated Slack user ids (U…) or user group ids (S…) of facilitators."),
    Setting("HVIS_POLITICIANS", "politicians", _people, "", "Comma-separated Slack user ids (U…) or user group ids (S…) whose replies are tagged `politician`."),
    Setting("HVIS_TZ", "timezone", _zone, "Europe/Copenhagen", "Default time zone for new sessions."),
    Setting("HVIS_LANG", "language", _language, "da", "Default language for new sessions (`da` or `en`) when the deck does not say."),
    Setting("HVIS_GRACE_MINUTES", "grace_minutes", _whole(0, 24 * 60), "15", "A prompt that fell due while the bot was down is posted late within this many minutes, else marked missed."),
    Setting("HVIS_VOTE_REACTION", "vote_reaction", _text, "+1", "The reaction that counts as a vote on a reply."),
    Setting("HVIS_KEY_FILE", "key_file", _path, "", "The key store: secrets that link anonymous answers while a session runs (default: under ~/.local/state/hvis/, away from the database). Never back it up with the database."),
    Setting("HVIS_THREADS", "threads", _whole(1, 256), "8", "Worker threads for the work that follows an acknowledgement (modals, notices, Slack look-ups)."),
    Setting("HVIS_SLACK_TIMEOUT", "slack_timeout", _seconds, "15", "Seconds a call to Slack may take before its outcome counts as unknown."),
    Setting("HVIS_SETTLE_SECONDS", "settle_seconds", _seconds, "30", "After a post with an unknown outcome, seconds to wait before looking it up in Slack (and only then trying again)."),
    Setting("HVIS_LLM_URL", "llm_url", _url, "", "Optional: an OpenAI-compatible endpoint (…/v1) for a written summary; only answer texts are sent."),
    Setting("HVIS_LLM_MODEL", "llm_model", _text, "", "The model name to ask at HVIS_LLM_URL."),
    Setting("HVIS_LLM_KEY", "llm_key", _text, "", "API key for HVIS_LLM_URL, if it needs one.", True),
    Setting("HVIS_LOG_LEVEL", "log_level", _level, "INFO", "Log level (DEBUG, INFO, WARNING). Slack payloads are never logged: they hold personal data."),
)


def _key_store_default(self) -> Path:
    """Where the key store lives unless HVIS_KEY_FILE says: outside the database's folder, named after it."""
    if self.key_file:
        return self.key_file
    database = self.db_path.expanduser().resolve()
    tag = hashlib.sha256(str(database).encode()).hexdigest()[:12]
    return self.state_dir / "keys" / f"{database.stem}-{tag}.json"


Settings = make_dataclass(
    "Settings",
    [(s.attr, Any, field(default=s.parse(s.default, s.env))) for s in SETTINGS] +
    [("state_dir", Path, field(default=Path.home() / ".local" / "state" / "hvis"))],
    frozen=True,
    namespace={
        "__doc__": "Everything the bot is configured with, read once at start-up (see SETTINGS).",
        "socket_mode": property(lambda self: bool(self.app_token)),
        "key_store_path": property(_key_store_default),
    },
)


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build Settings from an environment mapping; raises BadInput naming the variable at fault."""
    values = {s.attr: s.parse(environ.get(s.env, s.default).strip() or s.default, s.env) for s in SETTINGS}
    state = environ.get("XDG_STATE_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".local" / "state")
    return Settings(**values, state_dir=Path(state) / "hvis")
