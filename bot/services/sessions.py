"""Session use cases: plan a theme day from a deck, change the plan, start, pause, resume, close, cancel.

Slack-free: callers pass the store, the linker (session secrets), the time and the facts they know."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from bot.errors import BadInput, NotFound, Refused
from bot.rules import anonymity, ids, states
from bot.rules.decks import Deck
from bot.rules.schedule import check_start, check_timezone, iso, local, parse_iso, plan, shifted
from bot.services.linking import Linker
from bot.services.posting import post_now
from storage import Store
from storage.records import Prompt, Session

MAX_TITLE = 150
# A prompt without a close time is taken to run this long when checking for overlapping sessions.
DEFAULT_ROUND = timedelta(minutes=30)


def create_session(store: Store, linker: Linker, deck: Deck, **details) -> tuple[Session, list[Prompt]]:
    """Bind `deck` to a channel and start time: checked, then stored with all its prompts, or nothing is."""
    return save_session(store, linker, *plan_session(deck, **details))


def plan_session(deck: Deck, *, title: str, channel: str, start: datetime, timezone: str, anonymity_mode: str,
                 facilitators: list[str], now: datetime, grace: timedelta, language: str | None = None,
                 team_id: str = "", created_by: str | None = None, channel_name: str = "",
                 session_id: str | None = None) -> tuple[Session, list[Prompt]]:
    """A new session and its prompts, every value checked, nothing stored yet (so a refusal creates nothing).

    A session with no facilitator named gets its creator."""
    title = " ".join(title.split())
    if not title:
        raise BadInput("title is empty")
    if len(title) > MAX_TITLE:
        raise BadInput(f"title is {len(title)} characters (at most {MAX_TITLE})")
    if not ids.is_channel(channel):
        raise BadInput(f"channel {channel[:40]!r} is not a Slack channel id (like C0123ABCD; copy it from the "
                       "channel's details)")
    for user in facilitators:
        if not ids.is_user_or_group(user):
            raise BadInput(f"facilitator {user[:40]!r} is not a Slack user id (U…) or user group id (S…)")
    if anonymity_mode not in anonymity.MODES:
        raise BadInput(f"anonymity {anonymity_mode!r} is not one of {', '.join(anonymity.MODES)}")
    check_timezone(timezone)
    check_start(start, now, grace, timezone)
    times = plan(deck, start, timezone)
    people = list(dict.fromkeys(facilitators or ([created_by] if created_by else [])))
    session = Session(
        id=session_id or secrets.token_hex(4), team_id=team_id, title=title, channel=channel, channel_name=channel_name,
        deck=deck.name, language=language or deck.language, timezone=timezone, anonymity=anonymity_mode,
        state="scheduled", start_at=iso(start), created_at=iso(now), created_by=created_by,
        auto_close=deck.auto_close, facilitators=tuple(people))
    prompts = [
        Prompt(id=0, team_id=team_id, session_id=session.id, key=p.id, position=n, kind=p.kind, text=p.text,
               help=p.help, options=p.options, scale_labels=p.scale_labels, due_at=iso(when.due_at),
               remind_at=iso(when.remind_at) if when.remind_at else None,
               close_at=iso(when.close_at) if when.close_at else None)
        for n, (p, when) in enumerate(zip(deck.prompts, times, strict=True), start=1)]
    return session, prompts


def save_session(store: Store, linker: Linker, session: Session, prompts: list[Prompt]) -> tuple[Session, list[Prompt]]:
    """Store a planned session unless its channel is busy then, and give it its linking secret."""
    overlapping = _overlap(store, session.channel, parse_iso(prompts[0].due_at), _end(prompts))
    if overlapping:
        raise BadInput(f"channel {session.channel} already has the session “{overlapping.title}” ({overlapping.id}) "
                       "at that time; choose another time or channel")
    if store.sessions.get(session.id):
        raise BadInput(f"session {session.id} exists already")
    stored = store.sessions.create(session, prompts)
    linker.open(session.id)
    return stored


def _overlap(store: Store, channel: str, start: datetime, end: datetime) -> Session | None:
    """A live session in the same channel whose day overlaps [start, end]."""
    for other in store.sessions.list(states=states.LIVE_SESSION_STATES, channel=channel):
        prompts = store.prompts.of(other.id)
        if not prompts:
            continue
        if start < _end(prompts) and parse_iso(prompts[0].due_at) < end:
            return other
    return None


def _end(prompts: list[Prompt]) -> datetime:
    """When a session's day is over: its last round closes (a round without a close time lasts DEFAULT_ROUND)."""
    return max(parse_iso(p.close_at) if p.close_at else parse_iso(p.due_at) + DEFAULT_ROUND for p in prompts)


def get_session(store: Store, session_id: str) -> Session:
    session = store.sessions.get(session_id.strip()) if len(session_id) < 40 else None
    if session is None:
        raise NotFound(f"no session with id {session_id[:40]!r} (see `hvis session list`)")
    return session


def close_session(store: Store, linker: Linker, session: Session, now: datetime) -> Session:
    """Close a session and destroy its linking secret; the scheduler then posts the wrap-up and the exports."""
    store.sessions.move(session.id, "closed", states.session_sources("closed"), at=iso(now))
    linker.close(session.id)
    return store.sessions.get(session.id)


def cancel_session(store: Store, linker: Linker, session: Session) -> None:
    """Remove a session that never started, without any post in the channel."""
    if any(p.posted_at or p.state in ("posting", "posted", "closed") for p in store.prompts.of(session.id)) or \
            not store.sessions.delete(session.id, ("scheduled", "paused")):
        raise Refused("session.cannot_cancel", session.language, title=session.title)
    linker.close(session.id)


def start_session(store: Store, session: Session, now: datetime) -> int:
    """Post the first prompt now: the whole plan moves so that its first pending prompt is due now.
    Returns by how many minutes it moved."""
    if session.state not in ("scheduled", "paused"):
        raise Refused("session.already_running", session.language, title=session.title)
    pending = [p for p in store.prompts.of(session.id) if p.state == "pending"]
    if not pending:
        raise Refused("session.nothing_left", session.language, title=session.title)
    delta = now - parse_iso(pending[0].due_at)
    for prompt in pending:
        store.prompts.set_times(prompt.id, *shifted(prompt.due_at, prompt.remind_at, prompt.close_at,
                                                    parse_iso(prompt.due_at) + delta))
    store.sessions.move(session.id, "running", states.session_sources("running"))
    return round(delta.total_seconds() / 60)


def next_prompt(store: Store, session: Session) -> Prompt:
    """The prompt `/hvis send` posts: the next one not yet out."""
    if session.state == "closed":
        raise Refused("notice.closed", session.language, title=session.title)
    for prompt in store.prompts.of(session.id):
        if prompt.state in states.UNSENT_PROMPT_STATES:
            return prompt
    raise Refused("session.nothing_left", session.language, title=session.title)


def send_now(store: Store, session: Session, prompt: Prompt, now: datetime) -> tuple[str, list[Prompt]]:
    """Post `prompt` now (the next tick does). A paused session is resumed the proper way first: what fell due
    during the pause is offered, never dumped. Returns (catalog key for the facilitator, other prompts offered)."""
    if session.state == "closed":
        raise Refused("notice.closed", session.language, title=session.title)
    overdue = resume_session(store, session, now) if session.state == "paused" else []
    key = post_now(store, store.prompts.get(prompt.id), now)
    return key, [p for p in overdue if p.id != prompt.id]


def pause_session(store: Store, session: Session) -> None:
    """Nothing is posted while paused; reminders and closing wait too."""
    if not store.sessions.move(session.id, "paused", states.session_sources("paused")):
        raise Refused("session.cannot_pause", session.language, title=session.title)


def resume_session(store: Store, session: Session, now: datetime) -> list[Prompt]:
    """Carry on after a pause. Prompts that fell due meanwhile are not dumped into the channel: they are
    returned (marked missed) so the facilitator can choose which to post now."""
    if store.sessions.get(session.id).state != "paused":
        raise Refused("session.not_paused", session.language, title=session.title)
    # Offered first, then resumed: a tick in between must find nothing due to post by itself.
    overdue = [p for p in store.prompts.overdue(session.id, iso(now))
               if store.prompts.move(p.id, "missed", states.prompt_sources("missed"), error="paused")]
    posted = any(p.posted_at for p in store.prompts.of(session.id))
    if not store.sessions.move(session.id, "running" if posted else "scheduled", ("paused",)):
        raise Refused("session.not_paused", session.language, title=session.title)
    return overdue


def set_anonymity(store: Store, session: Session, mode: str) -> Session:
    """Change the anonymity mode; once the first prompt is out it may only become stricter."""
    if not anonymity.may_change(session.anonymity, mode, session.anonymity_fixed):
        raise Refused("session.looser_mode", session.language, mode=mode)
    store.sessions.set_anonymity(session.id, mode)
    return store.sessions.get(session.id)


def save_prompt(store: Store, session: Session, prompt_id: object, text: str, due: datetime,
                now: datetime) -> Prompt:
    """The plan's prompt form: a prompt changed (`prompt_id` names it) or added, its text and time checked."""
    text = text.strip()
    if not text or len(text) > 1000:
        raise Refused("plan.bad_text", session.language)
    if due < now - timedelta(minutes=1):
        raise Refused("plan.in_past", session.language)
    if prompt_id:
        prompt, _ = prompt_of(store, prompt_id)
        return _edit_prompt(store, session, prompt, text, due)
    return _add_prompt(store, session, text, due)


def _edit_prompt(store: Store, session: Session, prompt: Prompt, text: str, due: datetime) -> Prompt:
    """Change a prompt's text and time in the plan before it is posted (its reminder and close move along)."""
    times = shifted(prompt.due_at, prompt.remind_at, prompt.close_at, due)
    if not store.prompts.edit(prompt.id, states.EDITABLE_PROMPT_STATES, text=text, due_at=times[0],
                              remind_at=times[1], close_at=times[2]):
        raise Refused("plan.already_posted", session.language)
    return store.prompts.get(prompt.id)


def _add_prompt(store: Store, session: Session, text: str, due: datetime, minutes: int = 25) -> Prompt:
    """Add an open prompt to the plan (it closes `minutes` after it is posted)."""
    if session.state == "closed":
        raise Refused("notice.closed", session.language, title=session.title)
    prompt = Prompt(id=0, session_id=session.id, team_id=session.team_id, key=f"extra-{secrets.token_hex(2)}",
                    position=0, kind="open", text=text, due_at=iso(due), close_at=iso(due + timedelta(minutes=minutes)))
    return store.prompts.add(prompt)


def remove_prompt(store: Store, session: Session, prompt: Prompt) -> None:
    if not store.prompts.remove(prompt.id, states.EDITABLE_PROMPT_STATES):
        raise Refused("plan.already_posted", session.language)


def prompt_of(store: Store, prompt_id: object) -> tuple[Prompt, Session]:
    """The prompt a button or form names, with its session; Refused if there is no such prompt."""
    found = store.prompts.with_session(int(prompt_id)) if str(prompt_id).isdigit() and len(str(prompt_id)) < 12 else None
    if found is None:
        raise Refused("notice.gone")
    return found


def describe(store: Store, session: Session) -> dict:
    """What `hvis session show` prints: the session, its prompts' local times and states, and counts."""
    replies = store.replies.of_session(session.id)
    per_prompt: dict[int, int] = {}
    for reply in replies:
        per_prompt[reply.prompt_id] = per_prompt.get(reply.prompt_id, 0) + 1
    named = {r.user_id for r in replies if r.user_id}
    return {
        "id": session.id, "title": session.title, "channel": session.channel, "state": session.state,
        "deck": session.deck, "start_at": session.start_at, "start_local": _local(session.start_at, session.timezone),
        "timezone": session.timezone, "language": session.language, "anonymity": session.anonymity,
        "facilitators": list(session.facilitators), "team_id": session.team_id, "closed_at": session.closed_at,
        "replies": len(replies),
        "participants": anonymity.participants(named, sum(store.replies.turnout(session.id).values())),
        "prompts": [{"id": p.key, "kind": p.kind, "state": p.state, "due_at": p.due_at,
                     "due_local": _local(p.due_at, session.timezone), "posted_at": p.posted_at,
                     "replies": per_prompt.get(p.id, 0)} for p in store.prompts.of(session.id)],
    }


def _local(moment: str, tz_name: str) -> str:
    return local(moment, tz_name).strftime("%Y-%m-%d %H:%M")


def as_text(described: dict) -> str:
    """The human-readable form of `describe`, times in the session's own zone."""
    lines = [f"{described['title']} ({described['id']})",
             f"  state {described['state']}, channel {described['channel']}, start {described['start_local']} "
             f"({described['timezone']}), anonymity {described['anonymity']}, language {described['language']}",
             f"  {described['replies']} replies; {described['participants']} participants "
             "(named people plus anonymous people, counted apart)"]
    lines += [f"  {p['due_local']}  {p['state']:<8} {p['replies']:>3} replies  {p['id']} ({p['kind']})"
              for p in described["prompts"]]
    return "\n".join(lines)
