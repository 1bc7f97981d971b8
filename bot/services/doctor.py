"""`hvis doctor`: check the configuration against the workspace and say in plain words what to fix.

Every check ends in one line: ✓ what is fine, or ✗ what is wrong and → what to do about it."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.rules import states
from bot.webapi import Slack, SlackFailure, build_clients, classify
from storage import Store
from storage.keys import KeyError_, KeyStore

# The bot scopes manifest.yaml asks for (tests/test_manifest.py keeps the two lists equal).
REQUIRED_SCOPES = frozenset({
    "channels:history", "groups:history", "channels:read", "groups:read", "chat:write", "commands",
    "reactions:read", "users:read", "usergroups:read", "im:write", "im:history", "files:write", "channels:join",
})


@dataclass(frozen=True)
class Check:
    ok: bool
    what: str
    fix: str = ""


def diagnose(settings) -> list[Check]:
    """Every check, in the order a person fixing things would want them."""
    checks, auth = _tokens(settings)
    database = _database(settings)
    checks += database
    if auth and database[0].ok and settings.db_path.exists():  # needs a token and sessions to look at
        checks += _channels(settings)
    return checks


def _unreachable(settings, failure: SlackFailure) -> Check:
    return Check(False, f"Slack could not be reached at {settings.api_url} ({failure.error})",
                 "check the network connection and any proxy (HTTPS_PROXY), or SLACK_API_URL if you set it")


def _tokens(settings) -> tuple[list[Check], dict | None]:
    if not settings.bot_token:
        return [Check(False, "SLACK_BOT_TOKEN is not set",
                      "copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page into .env")], None
    writer, _ = build_clients(settings.bot_token, settings.api_url, min(settings.slack_timeout, 10))
    try:  # without retries: an unreachable Slack is said at once
        auth = Slack(writer, writer).auth()
    except SlackFailure as failure:
        if failure.unknown or failure.error == "connection refused":
            return [_unreachable(settings, failure)], None
        return [Check(False, f"Slack refused the bot token ({failure.error})",
                      "copy the Bot User OAuth Token again; reinstall the app if it was removed")], None
    checks = [Check(True, f"bot token works: workspace {auth.get('team')} ({auth.get('team_id')}), "
                          f"bot user @{auth.get('user')}")]
    granted = {s.strip() for s in auth["scopes"].split(",") if s.strip()}
    missing = sorted(REQUIRED_SCOPES - granted)
    checks.append(Check(not missing, "all permissions (scopes) granted" if not missing else
                        f"permissions missing: {', '.join(missing)}",
                        "paste manifest.yaml into the app's App Manifest page, save, and reinstall the app"))
    checks.append(_transport(settings))
    return checks, auth


def _transport(settings) -> Check:
    if settings.app_token:
        client = WebClient(base_url=settings.api_url, timeout=min(settings.slack_timeout, 10))
        try:
            client.apps_connections_open(app_token=settings.app_token)
        except (SlackApiError, SlackClientError, OSError) as exc:
            failure = classify(exc)
            if failure.unknown or failure.error == "connection refused":
                return _unreachable(settings, failure)
            return Check(False, f"Slack refused SLACK_APP_TOKEN ({failure.error})",
                         "generate an app-level token with the connections:write scope under Basic Information")
        return Check(True, "app-level token works: the bot will use Socket Mode")
    if not settings.signing_secret:
        return Check(False, "neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is set",
                     "for Socket Mode, add an app-level token (xapp-…) to .env as SLACK_APP_TOKEN")
    return Check(True, f"HTTP mode: Slack must reach this machine on port {settings.port} at /slack/events")


def _database(settings) -> list[Check]:
    path: Path = settings.db_path
    if not path.exists():
        folder = path.parent if str(path.parent) else Path(".")
        writable = folder.is_dir() and os.access(folder, os.W_OK)
        return [Check(writable, f"database {path} does not exist yet" + (
            "; it will be created when the bot starts" if writable else f", and {folder} is not a writable folder"),
            "set HVIS_DB to the database file (check for a typo), or to a new file in a folder you may write to")]
    try:
        store = Store(path).migrate()
        with store.db.write() as conn:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS doctor_probe (x)")
        live = store.sessions.list(states=states.LIVE_SESSION_STATES)
        store.close()
    except (OSError, sqlite3.Error) as exc:
        return [Check(False, f"database {path} cannot be used ({exc})",
                      "set HVIS_DB to a database file this user may read and write")]
    checks = [Check(True, f"database {path} is writable")]
    keys = KeyStore(settings.key_store_path)
    try:
        missing = [s.id for s in live if keys.session(s.id) is None]
    except KeyError_ as exc:
        return checks + [Check(False, str(exc), "restore the key store from your copy")]
    if missing:
        checks.append(Check(False, f"the key store {keys.path} lacks the linking secret of session(s) "
                                   f"{', '.join(missing)}", "set HVIS_KEY_FILE to where the key store is; without "
                                   "it, votes given before cannot be told apart from new ones"))
    else:
        checks.append(Check(True, f"key store {keys.path} (outside the database's folder; keep it out of backups)"))
    old = path.with_name(path.name + ".key")
    if old.exists():
        checks.append(Check(False, f"an old key file {old} sits next to the database",
                            "delete it: keys now live in the key store, away from the database"))
    return checks


def _channels(settings) -> list[Check]:
    writer, reader = build_clients(settings.bot_token, settings.api_url, min(settings.slack_timeout, 10))
    slack, checks = Slack(writer, reader), []
    for session in Store(settings.db_path).sessions.list(states=states.LIVE_SESSION_STATES):
        try:
            channel = slack.channel(session.channel)
        except SlackFailure as failure:
            checks.append(Check(False, f"session “{session.title}”: channel {session.channel} cannot be seen "
                                       f"({failure.error})", "check the channel id; for a private channel, invite "
                                                             "the bot first"))
            continue
        name = channel.get("name") or session.channel
        checks.append(Check(bool(channel.get("is_member")), f"session “{session.title}”: the bot is "
                            + ("in" if channel.get("is_member") else "not in") + f" #{name}",
                            f"type /invite @hvis in #{name}"))
    return checks


def report(checks: list[Check]) -> str:
    """One line per check: ✓ what is fine, ✗ what is wrong → what to do."""
    return "\n".join(f"✓ {c.what}" if c.ok else f"✗ {c.what}\n  → {c.fix}" for c in checks)
