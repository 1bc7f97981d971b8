"""`hvis doctor`: check the configuration against the workspace and say in plain words what to fix."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
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
    checks += _database(settings)
    if checks[0].ok:  # channel membership needs a working bot token
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
    try:
        store = Store(settings.db_path).migrate()
        with store.write() as db:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS doctor_probe (x)")
        store.close()
    except Exception as exc:  # any failure here is the answer we report
        return [Check(False, f"database {settings.db_path} is not writable ({exc})",
                      "set HVIS_DB to a file in a folder this user may write to")]
    checks = [Check(True, f"database {settings.db_path} is writable")]
    try:
        key = load_key(settings.pseudonym_key_path, create=False)
    except Exception as exc:
        return checks + [Check(False, str(exc), "restore the key file from your copy")]
    checks.append(Check(True, f"pseudonym key {settings.pseudonym_key_path} " + ("present" if key else
                                                                                   "will be created on first run")))
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
