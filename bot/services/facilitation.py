"""The facilitator's side in Slack: `/hvis` subcommands, the planning modal, App Home buttons.

Every action checks the caller first; a refusal is a Refused error the listener shows privately.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import exports
from bot.blocks import messages, modals, section
from bot.errors import BadInput, HvisError, Refused
from bot.i18n import t
from bot.rules import decks, ids, states
from bot.rules.commands import FACILITATOR_ONLY, Command
from bot.rules.schedule import from_pickers
from bot.services import privacy, sessions, summaries
from bot.services.directory import Directory
from bot.services.linking import Linker
from bot.webapi import Slack, SlackFailure
from storage import Store
from storage.records import Session

ROLE_WORDS = {"medarbejder": "employee", "employee": "employee", "politiker": "politician", "politician": "politician",
              "gæst": "guest", "guest": "guest", "ekstern": "external", "external": "external", "auto": None}
DM_FORMATS = ("html", "xlsx")


@dataclass(frozen=True)
class Caller:
    """Who is asking, where, and in which language to answer."""

    user: str
    channel: str
    language: str
    trigger_id: str | None = None


@dataclass(frozen=True)
class Parts:
    """What facilitation works with, passed in by the listener."""

    store: Store
    people: Directory
    linker: Linker
    slack: Slack
    now: datetime
    grace: timedelta
    timezone: str


def run(command: Command, caller: Caller, parts: Parts) -> dict | None:
    """Carry out a `/hvis` subcommand; returns the private answer (None when a modal opened instead)."""
    if command.name in FACILITATOR_ONLY and command.name not in ("role",) and not _may_plan(command, caller, parts):
        raise Refused("notice.not_facilitator_any", caller.language)
    handler = HANDLERS[command.name]
    return handler(command, caller, parts)


def _may_plan(command: Command, caller: Caller, parts: Parts) -> bool:
    if command.name == "new":
        return parts.people.is_facilitator(caller.user)
    return not parts.people.is_guest(caller.user)  # the session's own check follows in `_session`


def _session(command: Command, caller: Caller, parts: Parts) -> Session:
    """The session a subcommand names, or the one live in the channel it was typed in; the caller must facilitate it."""
    wanted = command.args[0] if command.args else None
    if wanted:
        session = parts.store.sessions.get(wanted) if len(wanted) < 40 else None
        if session is None:
            raise Refused("session.unknown", caller.language, id=wanted[:40])
    else:
        live = parts.store.sessions.list(states=states.LIVE_SESSION_STATES, channel=caller.channel)
        mine = [s for s in live if parts.people.is_facilitator(caller.user, s)]
        if len(mine) != 1:
            ids_ = ", ".join(f"`{s.id}` ({s.title})" for s in parts.store.sessions.list(
                states=states.LIVE_SESSION_STATES) if parts.people.is_facilitator(caller.user, s))
            raise Refused("session.which", caller.language, sessions=ids_ or "–")
        session = mine[0]
    if not parts.people.is_facilitator(caller.user, session):
        raise Refused("notice.not_facilitator", session.language, title=session.title)
    return session


def _facilitates(caller: Caller, parts: Parts) -> bool:
    """May the caller plan sessions, or do they facilitate one that is not over?"""
    return parts.people.is_facilitator(caller.user) or any(
        parts.people.is_facilitator(caller.user, s) for s in parts.store.sessions.list(states=states.LIVE_SESSION_STATES))


def _help(command: Command, caller: Caller, parts: Parts) -> dict:
    lang = "en" if command.english else caller.language
    text = t(lang, "help.participant") + ("\n\n" + t(lang, "help.facilitator") if _facilitates(caller, parts) else "")
    return messages.message(text)


def _new(command: Command, caller: Caller, parts: Parts) -> None:
    lang = "en" if command.english else caller.language
    today = parts.now.astimezone(ZoneInfo(parts.timezone))
    found = []
    for path in decks.all_deck_paths():
        try:
            deck = decks.load_deck(str(path))
        except BadInput:
            continue  # a broken deck is reported by `hvis decks check`, not offered
        found.append((deck.name, deck.title, deck.language))
    parts.slack.open_view(caller.trigger_id, modals.plan_session(
        lang, found, channel=caller.channel, user=caller.user, tz=parts.timezone, today=today))
    if caller.channel[:1] in ("C", "G"):  # after the modal is open (its trigger lasts 3 s): is the bot in it?
        parts.people.learn_channel(caller.channel)
    return None


def _plan(command: Command, caller: Caller, parts: Parts) -> None:
    session = _session(command, caller, parts)
    parts.slack.open_view(caller.trigger_id, modals.plan(session, parts.store.prompts.of(session.id)))
    return None


def _start(command: Command, caller: Caller, parts: Parts) -> dict:
    session = _session(command, caller, parts)
    moved = sessions.start_session(parts.store, session, parts.now)
    return messages.message(t(session.language, "session.started", title=session.title, minutes=abs(moved),
                              n=abs(moved)))


def _pause(command: Command, caller: Caller, parts: Parts) -> dict:
    session = _session(command, caller, parts)
    sessions.pause_session(parts.store, session)
    return messages.message(t(session.language, "session.paused", title=session.title))


def _resume(command: Command, caller: Caller, parts: Parts) -> dict:
    session = _session(command, caller, parts)
    overdue = sessions.resume_session(parts.store, session, parts.now)
    return _with_overdue(session, t(session.language, "session.resumed", title=session.title), overdue)


def _send(command: Command, caller: Caller, parts: Parts) -> dict:
    session = _session(command, caller, parts)
    prompt = sessions.next_prompt(parts.store, session)
    key, offered = sessions.send_now(parts.store, session, prompt, parts.now)
    return sent_now(session, prompt, key, offered)


def sent_now(session: Session, prompt, key: str, offered: list) -> dict:
    """What a facilitator hears after *Send nu* or `/hvis send`, with what else fell due in a pause, if anything."""
    return _with_overdue(session, t(session.language, key, number=prompt.position), offered)


def _with_overdue(session: Session, text: str, overdue: list) -> dict:
    """`text`, and the prompts that fell due during a pause with a *Send nu* button each (if any)."""
    if not overdue:
        return messages.message(text)
    return messages.facilitator_notice(session, overdue, text + " " + t(
        session.language, "session.overdue", n=len(overdue), count=len(overdue)))


def _close(command: Command, caller: Caller, parts: Parts) -> dict:
    session = _session(command, caller, parts)
    sessions.close_session(parts.store, parts.linker, session, parts.now)
    return messages.message(t(session.language, "session.closed", title=session.title))


def _cancel(command: Command, caller: Caller, parts: Parts) -> dict:
    session = _session(command, caller, parts)
    sessions.cancel_session(parts.store, parts.linker, session)
    return messages.message(t(session.language, "session.cancelled", title=session.title))


def _summary(command: Command, caller: Caller, parts: Parts) -> dict:
    session = _session(command, caller, parts)
    return messages.summary(summaries.session_summary(parts.store, session, "facilitator", parts.people))


def _export(command: Command, caller: Caller, parts: Parts) -> dict:
    session = _session(command, caller, parts)
    formats = DM_FORMATS
    if len(command.args) > 1:
        wanted = command.args[1].lower().lstrip(".")
        if wanted not in exports.FORMATS:
            raise Refused("export.bad_format", session.language, format=wanted[:20], formats=", ".join(exports.FORMATS))
        formats = (wanted,)
    send_files(parts, session, caller.user, formats)
    return messages.message(t(session.language, "export.sent", title=session.title))


def send_files(parts: Parts, session: Session, user: str, formats: tuple[str, ...]) -> None:
    """A facilitator's export, as files in a direct message."""
    uploads = summaries.export_uploads(parts.store, session, formats, parts.people)
    channel = parts.slack.dm(user)
    parts.slack.share_uploads(channel, uploads, parts.slack.reserve_uploads(uploads),
                              t(session.language, "export.comment", title=session.title))


def _mine(command: Command, caller: Caller, parts: Parts) -> None:
    lang = "en" if command.english else caller.language
    parts.slack.open_view(caller.trigger_id, modals.my_data(lang, privacy.mine(parts.store, parts.linker, caller.user)))
    return None


def _forget(command: Command, caller: Caller, parts: Parts) -> None:
    lang = "en" if command.english else caller.language
    parts.slack.open_view(caller.trigger_id, modals.forget_me(lang, len(privacy.mine(parts.store, parts.linker,
                                                                                        caller.user))))
    return None


_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def _role(command: Command, caller: Caller, parts: Parts) -> dict:
    """`/hvis rolle @person politiker`: the role this person's replies are tagged with from now on."""
    lang = "en" if command.english else caller.language
    if not _facilitates(caller, parts):
        raise Refused("notice.not_facilitator_any", lang)
    if len(command.args) != 2:
        raise Refused("role.usage", lang)
    found = _MENTION.match(command.args[0])
    user = found.group(1) if found else command.args[0].lstrip("@")
    role_word = command.args[1].lower()
    if not ids.is_user(user) or role_word not in ROLE_WORDS:
        raise Refused("role.usage", lang)
    role = ROLE_WORDS[role_word]
    parts.people.set_role(user, role)
    return messages.message(t(lang, "role.set", user=user, role=t(lang, f"role.{role}") if role else t(lang, "role.auto")))


HANDLERS = {"help": _help, "new": _new, "plan": _plan, "start": _start, "pause": _pause, "resume": _resume,
            "send": _send, "close": _close, "cancel": _cancel, "summary": _summary, "export": _export,
            "mine": _mine, "forget": _forget, "role": _role}


def home_action(action: str, session_id: str, caller: Caller, parts: Parts) -> dict | None:
    """An App Home button: the same actions as the subcommands, for the session the button belongs to."""
    return run(Command(action.removeprefix("home_"), (session_id,), False), caller, parts)


# ---- the planning modal ---------------------------------------------------------------------------
def session_id_for(team_id: str, view_id: str) -> str:
    """A session planned in a modal takes its id from the view, so a repeated submission creates it once."""
    return hashlib.sha256(f"{team_id}:{view_id}".encode()).hexdigest()[:8]


def planned(values: dict, view_id: str, caller: Caller, parts: Parts, team_id: str
            ) -> tuple[Session | None, dict[str, str], bool]:
    """Create the session a planning modal describes. Returns (session, errors by block id, join wanted)."""
    lang, errors = caller.language, {}

    def pick(block: str, key: str):
        return (values.get(block) or {}).get(block, {}).get(key)

    title = (pick("title", "value") or "").strip()
    channel = pick("channel", "selected_conversation") or ""
    deck_name = (pick("deck", "selected_option") or {}).get("value")
    day, clock_time = pick("date", "selected_date"), pick("time", "selected_time")
    mode = (pick("anonymity", "selected_option") or {}).get("value") or "choice"
    facilitators = list(pick("facilitators", "selected_users") or []) or [caller.user]
    language = (pick("language", "selected_option") or {}).get("value")
    join = bool(pick("join", "selected_options"))
    if not title:
        errors["title"] = t(lang, "new.error_title")
    if not day or not clock_time:
        errors["time" if day else "date"] = t(lang, "new.error_time")
    problem = _channel_problem(channel, join, parts.people, lang)
    if problem:
        errors["channel"] = problem
    if errors:
        return None, errors, join
    try:
        deck = decks.load_deck(deck_name)
        start = from_pickers(day, clock_time, parts.timezone)
        session, _ = sessions.create_session(
            parts.store, parts.linker, deck, title=title, channel=channel, start=start, timezone=parts.timezone,
            anonymity_mode=mode, facilitators=facilitators, now=parts.now, grace=parts.grace, language=language,
            team_id=team_id, created_by=caller.user, channel_name=(parts.people.channel(channel) or {}).get("name", ""),
            session_id=session_id_for(team_id, view_id))
    except HvisError as exc:
        return None, {"date": _plain_error(exc, lang)}, join
    return session, {}, join


def _channel_problem(channel: str, join: bool, people: Directory, lang: str) -> str | None:
    """Why the bot could not post in `channel`, in words for the modal; None when it can (or may join)."""
    if not channel:
        return t(lang, "new.error_channel")
    # Submissions run on a worker thread, so asking Slack here holds up no other acknowledgement.
    info = people.channel(channel) or people.learn_channel(channel, quick=True)
    if info is None or info.get("is_member"):
        return None
    if info.get("error") == "channel_not_found":  # Slack's answer for a private channel the bot is not in
        return t(lang, "new.error_private", channel=channel)
    if "error" in info:
        return None  # Slack could not say now: checked again after the modal closes, and the facilitator told
    if info.get("is_private"):
        return t(lang, "new.error_private", channel=info.get("name", channel))
    return None if join else t(lang, "new.error_public", channel=info.get("name", channel))


def _plain_error(exc: HvisError, lang: str) -> str:
    if isinstance(exc, Refused):
        return exc.text(lang)
    text = str(exc)
    if "overlap" in text or "already has the session" in text:
        return t(lang, "new.error_overlap")
    if "has passed" in text:
        return t(lang, "new.error_past")
    if "ten years ahead" in text:
        return t(lang, "new.error_far")
    return text[:150]


def after_planning(session: Session, join: bool, caller: Caller, parts: Parts) -> None:
    """After the modal closed: join the channel if asked, then send the facilitator the plan with a test button."""
    info = parts.people.learn_channel(session.channel) or {}
    lang = session.language
    if join and not info.get("is_member") and not info.get("is_private"):
        try:
            parts.slack.join(session.channel)
            info = parts.people.learn_channel(session.channel) or info
        except SlackFailure:
            pass
    message = messages.planned(session, parts.store.prompts.of(session.id))
    if info.get("error") or not info.get("is_member"):
        message["blocks"].insert(1, section(t(lang, "planned.not_member", channel=session.channel)))
    parts.slack.post(parts.slack.dm(caller.user), message)
