"""Session use cases: create a theme day from a deck, close it, change its anonymity. Slack-free."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from bot.config import check_language, check_timezone
from bot.decks import Deck
from bot.errors import BadInput, NotAllowed, NotFound
from bot.model import ANONYMITY_MODES, SLACK_CHANNEL_ID, SLACK_USER_ID, STRICTNESS, Prompt, Session
from bot.schedule import iso, plan
from storage import Store


def create_session(store: Store, deck: Deck, *, title: str, channel: str, start: datetime, timezone: str,
                   language: str, anonymity: str, facilitators: list[str], now: datetime,
                   team_id: str = "", created_by: str | None = None) -> Session:
    """Bind `deck` to a channel and start time; all prompts are planned up front or nothing is stored."""
    title = title.strip()
    if not title:
        raise BadInput("title is empty")
    if not SLACK_CHANNEL_ID.match(channel):
        raise BadInput(f"channel {channel!r} is not a Slack channel id (like C0123ABCD; copy it from the channel's details)")
    for user in facilitators:
        if not SLACK_USER_ID.match(user):
            raise BadInput(f"facilitator {user!r} is not a Slack user id (like U0123ABCD)")
    if anonymity not in ANONYMITY_MODES:
        raise BadInput(f"anonymity {anonymity!r} is not one of {', '.join(ANONYMITY_MODES)}")
    check_timezone(timezone)
    check_language(language)
    if start < now - timedelta(days=1):
        raise BadInput(f"start {start:%Y-%m-%d %H:%M} UTC is more than a day ago; every prompt would be missed")
    times = plan(deck, start, timezone)
    session = Session(
        id=secrets.token_hex(4), team_id=team_id, title=title, channel=channel, deck=deck.name,
        language=language, timezone=timezone, anonymity=anonymity, state="scheduled",
        start_at=iso(start), created_at=iso(now), created_by=created_by,
        facilitators=tuple(dict.fromkeys(facilitators + ([created_by] if created_by else []))),
    )
    prompts = [
        Prompt(id=0, team_id=team_id, session_id=session.id, key=p.id, position=n, kind=p.kind, text=p.text,
               help=p.help, options=list(p.options), scale_labels=list(p.scale_labels),
               due_at=iso(when.due_at), remind_at=iso(when.remind_at) if when.remind_at else None,
               close_at=iso(when.close_at) if when.close_at else None)
        for n, (p, when) in enumerate(zip(deck.prompts, times, strict=True), start=1)
    ]
    store.create_session(session, prompts)
    return session


def get_session(store: Store, session_id: str) -> Session:
    session = store.session(session_id)
    if session is None:
        raise NotFound(f"no session with id {session_id!r} (see `hvis session list`)")
    return session


def close_session(store: Store, session_id: str, now: datetime) -> Session:
    """Close a session; the running bot posts the wrap-up and sends the facilitators their export."""
    session = get_session(store, session_id)
    if session.state != "closed":
        store.update_session(session.id, state="closed", closed_at=iso(now))
    return get_session(store, session_id)


def set_anonymity(store: Store, session_id: str, mode: str) -> Session:
    """Change the anonymity mode; once the first prompt is out it may only become stricter."""
    session = get_session(store, session_id)
    if mode not in ANONYMITY_MODES:
        raise BadInput(f"anonymity {mode!r} is not one of {', '.join(ANONYMITY_MODES)}")
    if session.anonymity_fixed and STRICTNESS[mode] < STRICTNESS[session.anonymity]:
        raise NotAllowed(f"anonymity can only become stricter once the first prompt is out ({session.anonymity} → {mode} is looser)")
    store.update_session(session.id, anonymity=mode)
    return get_session(store, session_id)


def summary(store: Store, session: Session) -> dict:
    """What `hvis session show` prints: the session, its prompts' states and reply counts."""
    replies = store.replies(session.id)
    per_prompt: dict[int, int] = {}
    for reply in replies:
        per_prompt[reply.prompt_id] = per_prompt.get(reply.prompt_id, 0) + 1
    return {
        "id": session.id, "title": session.title, "channel": session.channel, "state": session.state,
        "deck": session.deck, "start_at": session.start_at, "timezone": session.timezone,
        "language": session.language, "anonymity": session.anonymity, "facilitators": list(session.facilitators),
        "team_id": session.team_id, "closed_at": session.closed_at,
        "replies": len(replies), "participants": store.participant_counts(session.id)[0],
        "prompts": [{"id": p.key, "kind": p.kind, "state": p.state, "due_at": p.due_at, "posted_at": p.posted_at,
                     "replies": per_prompt.get(p.id, 0)} for p in store.prompts(session.id)],
    }


def describe(summary: dict) -> str:
    """The human-readable form of `summary`."""
    lines = [f"{summary['title']} ({summary['id']})",
             f"  state {summary['state']}, channel {summary['channel']}, start {summary['start_at']} "
             f"({summary['timezone']}), anonymity {summary['anonymity']}, language {summary['language']}",
             f"  {summary['replies']} replies from {summary['participants']} participants"]
    lines += [f"  {p['due_at']}  {p['state']:<8} {p['replies']:>3} replies  {p['id']} ({p['kind']})"
              for p in summary["prompts"]]
    return "\n".join(lines)
