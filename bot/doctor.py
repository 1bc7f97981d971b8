"""`hvis doctor`: check the configuration against the workspace and say in plain words what to fix."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.errors import BadInput
from bot.people import load_key
from storage import Store

# The bot scopes manifest.yaml asks for (tests/test_doctor.py keeps the two lists equal).
REQUIRED_SCOPES = frozenset({
    "channels:history", "groups:history", "channels:read", "groups:read", "chat:write", "commands",
    "reactions:read", "users:read", "usergroups:read", "im:write", "im:history", "files:write", "channels:join",
})


@dataclass(frozen=True)
class Check:
    ok: bool
    what: str
    fix: str = ""


def diagnose(settings: Settings, client: WebClient) -> list[Check]:
    """Every check, in the order a person fixing things would want them."""
    checks = _tokens(settings, client)
    database = _database(settings)
    checks += database
    if checks[0].ok and database[0].ok and settings.db_path.exists():  # needs a token and sessions to look at
        checks += _channels(settings, client)
    return checks


def _tokens(settings: Settings, client: WebClient) -> list[Check]:
    if not settings.bot_token:
        return [Check(False, "SLACK_BOT_TOKEN is not set",
                      "copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page into .env")]
    try:
        auth = client.auth_test()
    except SlackApiError as exc:
        return [Check(False, f"Slack refused the bot token ({exc.response.get('error')})",
                      "copy the Bot User OAuth Token again; reinstall the app if it was removed")]
    checks = [Check(True, f"bot token works: workspace {auth.get('team')} ({auth.get('team_id')}), "
                          f"bot user @{auth.get('user')}")]
    granted = {s.strip() for s in (auth.headers.get("x-oauth-scopes") or "").split(",") if s.strip()}
    missing = sorted(REQUIRED_SCOPES - granted)
    checks.append(Check(not missing, "all permissions (scopes) granted" if not missing else
                        f"permissions missing: {', '.join(missing)}",
                        "paste manifest.yaml into the app's App Manifest page, save, and reinstall the app"))
    if settings.app_token:
        try:
            WebClient(token=settings.app_token, base_url=settings.api_url).apps_connections_open()
            checks.append(Check(True, "app-level token works: the bot will use Socket Mode"))
        except SlackApiError as exc:
            checks.append(Check(False, f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')})",
                                "generate an app-level token with the connections:write scope under Basic Information"))
    elif not settings.signing_secret:
        checks.append(Check(False, "neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is set",
                            "for Socket Mode, add an app-level token (xapp-…) to .env as SLACK_APP_TOKEN"))
    else:
        checks.append(Check(True, f"HTTP mode: Slack must reach this machine on port {settings.port} at /slack/events"))
    return checks


def _database(settings: Settings) -> list[Check]:
    path = settings.db_path
    if not path.exists():
        folder = path.parent if str(path.parent) else Path(".")
        writable = folder.is_dir() and os.access(folder, os.W_OK)
        return [Check(writable, f"database {path} does not exist yet" + (
            "; it will be created when the bot starts" if writable else f", and {folder} is not a writable folder"),
            "set HVIS_DB to the database file (check for a typo), or to a new file in a folder you may write to")]
    try:
        store = Store(path).migrate()
        with store.write() as db:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS doctor_probe (x)")
        has_answers = store.holds_pseudonyms()
        store.close()
    except (OSError, sqlite3.Error) as exc:
        return [Check(False, f"database {path} cannot be used ({exc})",
                      "set HVIS_DB to a database file this user may read and write")]
    checks = [Check(True, f"database {path} is writable")]
    try:
        key = load_key(settings.pseudonym_key_path, create=False)
    except BadInput as exc:
        return checks + [Check(False, str(exc), "restore the key file from your copy")]
    if key:
        checks.append(Check(True, f"pseudonym key {settings.pseudonym_key_path} present"))
    elif has_answers:
        checks.append(Check(False, f"pseudonym key {settings.pseudonym_key_path} is missing, but the database holds "
                                   "answers made with it", "restore the key file, or set HVIS_KEY_FILE to where it is"))
    else:
        checks.append(Check(True, f"pseudonym key {settings.pseudonym_key_path} will be created when the bot starts"))
    return checks


def _channels(settings: Settings, client: WebClient) -> list[Check]:
    checks = []
    for session in Store(settings.db_path).sessions(states=("scheduled", "running", "paused")):
        try:
            channel = client.conversations_info(channel=session.channel)["channel"]
        except SlackApiError as exc:
            checks.append(Check(False, f"session “{session.title}”: channel {session.channel} cannot be seen "
                                       f"({exc.response.get('error')})",
                                "check the channel id; for a private channel, invite the bot first"))
            continue
        name = channel.get("name") or session.channel
        checks.append(Check(bool(channel.get("is_member")), f"session “{session.title}”: the bot is "
                            + ("in" if channel.get("is_member") else "not in") + f" #{name}",
                            f"type /invite @hvis in #{name}"))
    return checks


def report(checks: list[Check]) -> str:
    """One line per check: ✓ what is fine, ✗ what is wrong → what to do."""
    return "\n".join(f"✓ {c.what}" if c.ok else f"✗ {c.what}\n  → {c.fix}" for c in checks)
