"""What follows a prompt: modal answers posted into its thread, reminders, closing, the session's wrap-up."""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk.errors import SlackApiError

from bot import export, render
from bot.context import Hvis
from bot.i18n import t
from bot.model import Session
from bot.posting import FINAL_ERRORS
from bot.schedule import iso

log = logging.getLogger(__name__)


def post_pending_answers(h: Hvis, now: datetime) -> None:
    """Post stored modal answers into their prompt's thread (an outbox: a stored answer is never lost)."""
    for reply in h.store.replies_to_post():
        prompt = h.store.prompt(reply.prompt_id)
        session = h.store.session(reply.session_id)
        if reply.post_attempts and _found_in_thread(h, session.channel, prompt.message_ts, reply.id):
            continue
        h.store.count_reply_post(reply.id)
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
    for message in thread.get("messages", []):
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == render.ANSWER_EVENT and \
                (metadata.get("event_payload") or {}).get("reply_id") == reply_id:
            h.store.set_reply_ts(reply_id, message["ts"])
            return True
    return False


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
    """Post the wrap-up into the channel, then DM the facilitators their export, once per closed session."""
    for session in h.store.sessions(states=("closed",)):
        if session.wrapped_up_at:
            continue
        data = export.session_export(h.store, session.id)
        try:
            h.client.chat_postMessage(channel=session.channel, **render.wrapup(data))
        except SlackApiError as exc:
            error = exc.response.get("error") or ""
            log.warning("wrap-up of session %s failed: %s", session.id, error)
            if error not in FINAL_ERRORS:
                continue  # Slack was busy: try again next tick
        h.store.update_session(session.id, wrapped_up_at=iso(now))
        for user in h.facilitators(session):
            try:
                send_export(h, session, user, data)
            except SlackApiError as exc:
                log.warning("could not send the export of session %s to a facilitator: %s",
                            session.id, exc.response.get("error"))


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
