"""What follows a prompt: modal answers posted into its thread, reminders, closing, the session's wrap-up."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.errors import SlackApiError

from bot import export, render
from bot.context import Hvis
from bot.i18n import t
from bot.model import Session
from bot.schedule import iso

log = logging.getLogger(__name__)
MAX_TRIES = 5


def post_pending_answers(h: Hvis, now: datetime) -> None:
    """Post stored modal answers into their prompt's thread (an outbox: a stored answer is never lost)."""
    for reply in h.store.replies_to_post():
        prompt = h.store.prompt(reply.prompt_id)
        session = h.store.session(reply.session_id)
        h.store.count_reply_post(reply.id)  # counts look-ups too, so no answer is retried forever
        if reply.post_attempts and _found_in_thread(h, session.channel, prompt.message_ts, reply.id):
            continue
        try:
            answer = h.client.chat_postMessage(channel=session.channel, thread_ts=prompt.message_ts,
                                               **render.answer_post(session, reply))
        except SlackApiError as exc:
            log.warning("posting an answer to prompt %s failed: %s", prompt.key, exc.response.get("error"))
            continue
        h.store.set_reply_ts(reply.id, answer["ts"])


def _found_in_thread(h: Hvis, channel: str, thread_ts: str, reply_id: str) -> bool:
    """Did an earlier attempt reach Slack? True also when we cannot tell yet (then the next tick asks again)."""
    try:
        thread = h.client.conversations_replies(channel=channel, ts=thread_ts, include_all_metadata=True, limit=1000)
    except SlackApiError:
        return True
    ts = render.find_posted(thread.get("messages", []), render.ANSWER_EVENT, "reply_id", reply_id)
    if ts:
        h.store.set_reply_ts(reply_id, ts)
    return ts is not None


def remind_and_close(h: Hvis, now: datetime) -> None:
    """Post due reminders in prompt threads, and close prompts whose time is up (their buttons go)."""
    for prompt in h.store.prompts_to_remind(iso(now)):
        session = h.store.session(prompt.session_id)
        h.store.update_prompt(prompt.id, reminded_at=iso(now))  # at most once, even if Slack fails below
        if prompt.close_at and prompt.close_at <= iso(now):
            continue  # the bot was down past the close time: a reminder now would mislead
        answered = h.store.participant_counts(session.id)[1].get(prompt.id, 0)
        try:
            h.client.chat_postMessage(channel=session.channel, thread_ts=prompt.message_ts,
                                      **render.reminder(session, answered))
        except SlackApiError as exc:
            log.warning("reminder for prompt %s failed: %s", prompt.key, exc.response.get("error"))
    for prompt in h.store.prompts_to_close(iso(now)):
        session = h.store.session(prompt.session_id)
        if not h.store.move_prompt(prompt.id, "closed", ("posted",)):
            continue
        try:
            h.client.chat_update(channel=session.channel, ts=prompt.message_ts,
                                 **render.prompt_message(session, prompt, closed=True))
        except SlackApiError as exc:
            log.warning("closing prompt %s in Slack failed: %s", prompt.key, exc.response.get("error"))


def wrap_up_closed_sessions(h: Hvis, now: datetime) -> None:
    """Post the wrap-up into the channel, then DM each facilitator the export, once per closed session."""
    for session in h.store.sessions_to_wrap_up():
        if session.wrapped_up_at or _post_wrapup(h, session, now):
            _send_exports(h, session, now)


def _post_wrapup(h: Hvis, session: Session, now: datetime) -> bool:
    """True once the wrap-up is out, or given up on (a lasting error, or too many tries: logged)."""
    attempts = h.store.count_wrapup_attempt(session.id)
    try:
        h.client.chat_postMessage(channel=session.channel, **render.wrapup(export.session_export(h.store, session.id)))
    except SlackApiError as exc:
        log.warning("wrap-up of session %s failed (%s), attempt %d", session.id, exc.response.get("error"), attempts)
        if transient(exc) and attempts < MAX_TRIES:
            return False
    h.store.update_session(session.id, wrapped_up_at=iso(now))
    return True


def _send_exports(h: Hvis, session: Session, now: datetime) -> None:
    data = export.session_export(h.store, session.id)
    waiting = False
    for user in h.facilitators(session):
        if h.store.has_notice(session.id, user, "export"):
            continue
        try:
            send_export(h, session, user, data)
        except SlackApiError as exc:
            log.warning("could not send the export of session %s to a facilitator: %s",
                        session.id, exc.response.get("error"))
            if transient(exc):
                waiting = True
                continue
        h.store.first_notice(session.team_id, session.id, user, "export")
    if not waiting:
        h.store.update_session(session.id, exported_at=iso(now))


def transient(exc: SlackApiError) -> bool:
    """Slack was busy (rate limit, server error): worth another try on a later tick."""
    return exc.response.status_code in (429, 500, 502, 503, 504) or \
        exc.response.get("error") in ("ratelimited", "internal_error", "fatal_error", "service_unavailable")


def send_export(h: Hvis, session: Session, user_id: str, data: dict) -> None:
    """DM one facilitator the export as files (Markdown and JSON)."""
    dm = h.client.conversations_open(users=user_id)["channel"]["id"]
    stats = data["stats"]
    h.client.files_upload_v2(
        channel=dm,
        initial_comment=t(session.language, "facilitator.export", title=session.title,
                          replies=stats["replies"], participants=stats["participants"]),
        file_uploads=[
            {"filename": f"hvis-{session.id}.md", "title": f"{session.title} (Markdown)",
             "content": export.to_markdown(data, session.language)},
            {"filename": f"hvis-{session.id}.json", "title": f"{session.title} (JSON)", "content": export.to_json(data)},
        ],
    )
