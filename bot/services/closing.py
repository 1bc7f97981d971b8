"""The end of a theme day: closing by itself after the last round, then (once) the channel's wrap-up and
each facilitator's export files in a direct message, with themes and the participation rate."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.blocks import messages
from bot.i18n import t
from bot.rules.schedule import parse_iso
from bot.services import narrative, summaries
from bot.services.directory import Directory
from bot.services.linking import Linker
from bot.services.outbox import Kind, Message, queue
from bot.services.sessions import close_session
from bot.webapi import Slack, SlackFailure
from storage import Store
from storage.records import Post, Session

log = logging.getLogger(__name__)
DM_FORMATS = ("html", "xlsx", "md", "json")  # what each facilitator gets when a session closes


def close_finished(store: Store, linker: Linker, now: datetime) -> list[Session]:
    """Close running sessions whose last round is over (unless their deck says otherwise)."""
    closed = []
    for session in store.sessions.list(states=("running",)):
        prompts = store.prompts.of(session.id)
        if not session.auto_close or not prompts or any(p.state in ("pending", "posting") for p in prompts):
            continue
        last = prompts[-1].close_at
        if last and parse_iso(last) <= now and all(p.state != "posted" or (p.close_at and parse_iso(p.close_at) <= now)
                                                    for p in prompts):
            closed.append(close_session(store, linker, session, now))
            log.info("session %s closed itself after its last round", session.id)
    return closed


def wrap_up(store: Store, slack: Slack, people: Directory, linker: Linker, now: datetime,
            llm: tuple[str, str, str] = ("", "", "")) -> None:
    """For each newly closed session: count the channel, keep themes (and a written summary if configured),
    then queue the wrap-up post and every facilitator's export, each exactly once."""
    for session in store.sessions.unwrapped():
        _count_channel(store, slack, people, session)
        summaries.keep_themes(store, session)
        if llm[0]:
            summary = summaries.session_summary(store, session, "report")
            summaries.keep_narrative(store, session.id, narrative.write(summary, *llm))
        for user in people.facilitators(session):
            queue(store, Post(key=f"export:{session.id}:{linker.tag(user)}", kind="export", session_id=session.id,
                              channel=user, user_id=user, team_id=session.team_id))
        # Last: a session counts as wrapped up once this is queued, so a stop before it redoes the rest.
        queue(store, Post(key=wrapup_key(session.id), kind="wrapup", session_id=session.id, channel=session.channel,
                          team_id=session.team_id))


def wrapup_key(session_id: str) -> str:
    return f"wrapup:{session_id}"


def _count_channel(store: Store, slack: Slack, people: Directory, session: Session) -> None:
    """The channel's human members at close (for the participation rate) and its name (for reports)."""
    try:
        info = slack.channel(session.channel)
        members = [m for m in slack.members(session.channel) if not people.is_bot(m)]
    except SlackFailure as failure:
        log.warning("could not count the members of a session channel (%s)", failure.error)
        return
    store.sessions.set_channel(session.id, info.get("name") or session.channel_name, len(members))


def render_wrapup(people: Directory):
    def render(store: Store, post: Post) -> Message | None:
        session = store.sessions.get(post.session_id)
        if session is None:
            return None
        return Message(messages.wrapup(summaries.session_summary(store, session, "channel", people)))
    return render


def render_export(people: Directory):
    """Each facilitator's files: the HTML report and the XLSX workbook (plus Markdown and JSON)."""
    def render(store: Store, post: Post) -> Message | None:
        session = store.sessions.get(post.session_id)
        if session is None:
            return None
        summary = summaries.session_summary(store, session, "facilitator", people)
        comment = t(session.language, "facilitator.export", title=session.title, answers=summary.replies,
                    people=summary.participants, n=summary.participants)
        return Message({"text": comment}, summaries.export_uploads(store, session, DM_FORMATS, people,
                                                                   known={"facilitator": summary}))
    return render


def kinds(people: Directory) -> dict[str, Kind]:
    return {"wrapup": Kind(render_wrapup(people)), "export": Kind(render_export(people))}


def refresh_wrapup(store: Store, slack: Slack, people: Directory, session: Session) -> bool:
    """Re-render a posted wrap-up (after forget-me removed an answer it quoted); False if that failed."""
    post = store.posts.get(wrapup_key(session.id))
    if post is None or post.state != "sent" or not post.ts:
        return True
    try:
        slack.update(post.channel, post.ts, messages.wrapup(summaries.session_summary(store, session, "channel", people)))
    except SlackFailure as failure:
        log.warning("could not update the wrap-up of session %s (%s)", session.id, failure.error)
        return False
    return True

