"""What the scheduler's tick does: post due prompts exactly once, post modal answers, wrap up closed sessions."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot import export, render
from bot.context import Hvis
from bot.errors import NotAllowed
from bot.i18n import t
from bot.model import Prompt, Session
from bot.schedule import MISS, due_action, iso, parse_iso

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
# Slack errors that no retry will fix: the facilitators must act.
_FINAL_ERRORS = {"not_in_channel": "facilitator.not_in_channel", "channel_not_found": "facilitator.channel_not_found",
                 "is_archived": "facilitator.channel_not_found"}


def tick(h: Hvis) -> None:
    """One pass over what is due; each part runs even if another fails."""
    now = h.clock.now()
    if h.team_id:
        h.store.adopt_sessions(h.team_id)
    for step in (post_due_prompts, post_pending_answers, remind_and_close, wrap_up_closed_sessions):
        try:
            step(h, now)
        except Exception:
            log.exception("%s failed; trying again next tick", step.__name__)


def post_due_prompts(h: Hvis, now: datetime) -> None:
    grace = timedelta(minutes=h.settings.grace_minutes)
    for prompt in h.store.prompts_to_post(iso(now)):
        session = h.store.session(prompt.session_id)
        if prompt.state == "posting" and _recover(h, session, prompt, now):
            continue
        if due_action(parse_iso(prompt.due_at), now, grace) == MISS:
            h.store.update_prompt(prompt.id, state="missed")
            log.warning("prompt %s of session %s missed (due %s)", prompt.key, session.id, prompt.due_at)
            due_local = parse_iso(prompt.due_at).astimezone(ZoneInfo(session.timezone)).strftime("%H:%M")
            _tell_facilitators(h, session, render.missed_notice(session, prompt, due_local))
            continue
        post_prompt(h, session, prompt, now)


def _recover(h: Hvis, session: Session, prompt: Prompt, now: datetime) -> bool:
    """A previous attempt may have reached Slack before we could record it: look for it by its metadata."""
    try:
        oldest = parse_iso(prompt.due_at).timestamp() - 300
        history = h.client.conversations_history(channel=session.channel, oldest=f"{oldest:.6f}",
                                                 include_all_metadata=True, limit=200)
    except SlackApiError as exc:
        log.warning("could not check the channel for prompt %s: %s", prompt.key, exc.response.get("error"))
        return True  # unknown: neither post (could duplicate) nor give up; next tick tries again
    for message in history.get("messages", []):
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        if message.get("metadata", {}).get("event_type") == render.PROMPT_EVENT and payload.get("prompt_id") == prompt.id:
            _record_posted(h, session, prompt, message["ts"], now)
            return True
    return False


def post_prompt(h: Hvis, session: Session, prompt: Prompt, now: datetime) -> bool:
    """Post one prompt; True once Slack has it. Failures are recorded and the facilitators told."""
    if not h.store.claim_prompt(prompt.id):
        return False
    attempts = prompt.attempts + 1
    try:
        answer = h.client.chat_postMessage(channel=session.channel, **render.prompt_message(session, prompt))
    except SlackApiError as exc:
        error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
        final = error in _FINAL_ERRORS or attempts >= MAX_ATTEMPTS
        log.warning("posting prompt %s of session %s failed (%s), attempt %d%s", prompt.key, session.id,
                    error, attempts, ", giving up" if final else "")
        if final:
            h.store.update_prompt(prompt.id, state="failed", error=error)
            reason = t(session.language, _FINAL_ERRORS.get(error, "facilitator.unavailable"))
            _tell_facilitators(h, session, render.text_message(t(
                session.language, "facilitator.failed", prompt=prompt.text, title=session.title,
                channel=session.channel, reason=reason)))
        return False
    _record_posted(h, session, prompt, answer["ts"], now)
    return True


def _record_posted(h: Hvis, session: Session, prompt: Prompt, ts: str, now: datetime) -> None:
    h.store.update_prompt(prompt.id, state="posted", message_ts=ts, posted_at=iso(now), error=None)
    if session.state == "scheduled" or not session.anonymity_fixed:
        h.store.update_session(session.id, state="running" if session.state == "scheduled" else session.state,
                               anonymity_fixed=1)
    log.info("posted prompt %s of session %s", prompt.key, session.id)


def post_now(h: Hvis, prompt_id: int, user_id: str) -> Prompt:
    """A facilitator's *Post now* for a missed or failed prompt."""
    prompt = h.store.prompt(prompt_id)
    session = h.store.session(prompt.session_id) if prompt else None
    if prompt is None or session is None:
        raise NotAllowed("that question no longer exists")
    if not h.is_facilitator(session, user_id):
        raise NotAllowed(t(session.language, "notice.not_facilitator", title=session.title))
    if session.state == "closed":
        raise NotAllowed(t(session.language, "notice.closed", title=session.title))
    if prompt.state in ("missed", "failed"):
        h.store.update_prompt(prompt.id, state="pending", attempts=0)
        prompt = h.store.prompt(prompt.id)
    if prompt.state in ("pending", "posting"):
        post_prompt(h, session, prompt, h.clock.now())
    return h.store.prompt(prompt.id)


def post_pending_answers(h: Hvis, now: datetime) -> None:
    """Post stored modal answers into their prompt's thread (the outbox, so a stored answer is never lost)."""
    for reply in h.store.replies_to_post():
        prompt = h.store.prompt(reply.prompt_id)
        session = h.store.session(reply.session_id)
        if reply.post_attempts and _find_in_thread(h, session.channel, prompt.message_ts, reply.id):
            continue
        h.store.count_reply_post(reply.id)
        try:
            answer = h.client.chat_postMessage(channel=session.channel, thread_ts=prompt.message_ts,
                                               **render.answer_post(session, reply))
        except SlackApiError as exc:
            log.warning("posting an answer to prompt %s failed: %s", prompt.key, exc.response.get("error"))
            continue
        h.store.set_reply_ts(reply.id, answer["ts"])


def _find_in_thread(h: Hvis, channel: str, thread_ts: str, reply_id: str) -> bool:
    try:
        thread = h.client.conversations_replies(channel=channel, ts=thread_ts, include_all_metadata=True, limit=1000)
    except SlackApiError:
        return True  # unknown: try again next tick rather than risk a double post
    for message in thread.get("messages", []):
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == render.ANSWER_EVENT and metadata.get("event_payload", {}).get("reply_id") == reply_id:
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
        h.store.update_prompt(prompt.id, state="closed")
        try:
            h.client.chat_update(channel=session.channel, ts=prompt.message_ts,
                                 **render.prompt_message(session, prompt, closed=True))
        except SlackApiError as exc:
            log.warning("closing prompt %s in Slack failed: %s", prompt.key, exc.response.get("error"))


def wrap_up_closed_sessions(h: Hvis, now: datetime) -> None:
    """Post the wrap-up into the channel and DM the facilitators their export, once per closed session."""
    for session in h.store.sessions(states=("closed",)):
        if session.wrapped_up_at:
            continue
        data = export.session_export(h.store, session.id)
        try:
            h.client.chat_postMessage(channel=session.channel, **render.text_message(export.wrapup_text(data)))
        except SlackApiError as exc:
            log.warning("wrap-up of session %s failed: %s", session.id, exc.response.get("error"))
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


def _tell_facilitators(h: Hvis, session: Session, message: dict) -> None:
    people = h.facilitators(session)
    if not people:
        log.warning("session %s has no facilitators to tell", session.id)
    for user in people:
        try:
            h.client.chat_postMessage(channel=user, **message)
        except SlackApiError as exc:
            log.warning("could not message a facilitator: %s", exc.response.get("error"))
