"""Posting prompts exactly once: due, late within the grace period, missed, failed, or posted on request."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot import lease, render
from bot.context import Hvis
from bot.errors import NotAllowed
from bot.i18n import t
from bot.model import Prompt, Session
from bot.replies import open_prompt
from bot.schedule import MISS, due_action, iso, parse_iso

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
# Slack errors that no retry will fix: the facilitators must act.
FINAL_ERRORS = {"not_in_channel": "facilitator.not_in_channel", "channel_not_found": "facilitator.channel_not_found",
                "is_archived": "facilitator.channel_not_found"}


def post_due_prompts(h: Hvis, now: datetime) -> None:
    """Post what is due; what fell due too long ago (the bot was down) is marked missed instead."""
    grace = timedelta(minutes=h.settings.grace_minutes)
    for prompt in h.store.prompts_to_post(iso(now)):
        session = h.store.session(prompt.session_id)
        if prompt.state == "posting" and _recover(h, session, prompt, now, grace):
            continue
        if due_action(parse_iso(prompt.due_at), now, grace) == MISS:
            if h.store.move_prompt(prompt.id, "missed", ("pending", "posting")):
                log.warning("prompt %s of session %s missed (due %s)", prompt.key, session.id, prompt.due_at)
                due = parse_iso(prompt.due_at).astimezone(ZoneInfo(session.timezone)).strftime("%H:%M")
                tell_facilitators(h, session, render.facilitator_notice(session, prompt, t(
                    session.language, "facilitator.missed", prompt=prompt.text, title=session.title, due=due)))
            continue
        post_prompt(h, session, prompt, now)


def _recover(h: Hvis, session: Session, prompt: Prompt, now: datetime, grace: timedelta) -> bool:
    """A previous attempt may have reached Slack before we could record it: look for it by its metadata.

    True when the prompt is settled (found, failed for good, or unknowable until the next tick).
    """
    try:
        # From the session's start: a Post now moves due_at, but an earlier attempt may date from before.
        oldest = parse_iso(session.start_at).timestamp() - 300
        history = h.client.conversations_history(channel=session.channel, oldest=f"{oldest:.6f}",
                                                 include_all_metadata=True, limit=200)
    except SlackApiError as exc:
        error = exc.response.get("error") or ""
        log.warning("could not check the channel for prompt %s: %s", prompt.key, error)
        if error in FINAL_ERRORS or due_action(parse_iso(prompt.due_at), now, grace) == MISS:
            _fail(h, session, prompt, error)  # the facilitators decide, with Post now
        return True  # otherwise unknown: neither post (it could duplicate) nor give up; try next tick
    ts = render.find_posted(history.get("messages", []), render.PROMPT_EVENT, "prompt_id", prompt.id)
    if ts:
        _record_posted(h, session, prompt, ts, now)
    return ts is not None


def post_prompt(h: Hvis, session: Session, prompt: Prompt, now: datetime) -> bool:
    """Post one prompt; True once Slack has it. Only the scheduler's tick calls this."""
    if not lease.holds(h.store, h.instance) or not h.store.claim_prompt(prompt.id):
        return False
    try:
        answer = h.client.chat_postMessage(channel=session.channel, **render.prompt_message(session, prompt))
    except SlackApiError as exc:
        error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
        attempts = prompt.attempts + 1
        log.warning("posting prompt %s of session %s failed (%s), attempt %d", prompt.key, session.id, error, attempts)
        if error in FINAL_ERRORS or attempts >= MAX_ATTEMPTS:
            _fail(h, session, prompt, error)
        return False
    _record_posted(h, session, prompt, answer["ts"], now)
    return True


def _fail(h: Hvis, session: Session, prompt: Prompt, error: str) -> None:
    if not h.store.move_prompt(prompt.id, "failed", ("pending", "posting"), error=error):
        return
    reason = t(session.language, FINAL_ERRORS.get(error, "facilitator.unavailable"))
    tell_facilitators(h, session, render.facilitator_notice(session, prompt, t(
        session.language, "facilitator.failed", prompt=prompt.text, title=session.title, channel=session.channel,
        reason=reason)))


def _record_posted(h: Hvis, session: Session, prompt: Prompt, ts: str, now: datetime) -> None:
    if h.store.move_prompt(prompt.id, "posted", ("pending", "posting"), message_ts=ts, posted_at=iso(now), error=None):
        h.store.mark_session_running(session.id)
        log.info("posted prompt %s of session %s", prompt.key, session.id)


def post_now(h: Hvis, prompt_id: str, user_id: str) -> str:
    """A facilitator's *Post now* on a missed or failed prompt: due now, posted by the next tick.

    Returns what to tell the facilitator. Clicking twice cannot post twice: only the tick posts.
    """
    prompt, session = open_prompt(h, prompt_id)
    if not h.is_facilitator(session, user_id):
        raise NotAllowed(t(session.language, "notice.not_facilitator", title=session.title))
    # A failed attempt may still have reached Slack: as `posting`, the tick checks the channel first.
    retry = "posting" if prompt.attempts else "pending"
    if not h.store.move_prompt(prompt.id, retry, ("missed", "failed"), due_at=iso(h.clock.now()), attempts=0,
                               error=None):
        return t(session.language, f"facilitator.already_{'posted' if prompt.posted_at else 'waiting'}",
                 prompt=prompt.text)
    return t(session.language, "facilitator.posting_now", prompt=prompt.text)


def tell_facilitators(h: Hvis, session: Session, message: dict) -> None:
    """A direct message to each facilitator; a failure to reach one is logged, never raised."""
    people = h.facilitators(session)
    if not people:
        log.warning("session %s has no facilitators to tell", session.id)
    for user in people:
        try:
            h.client.chat_postMessage(channel=user, **message)
        except SlackApiError as exc:
            log.warning("could not message a facilitator: %s", exc.response.get("error"))
