"""Prompts on schedule: due ones queued for the outbox (exactly once), late ones within the grace period,
missed ones offered to the facilitators, reminders, closing, and the live tally of vote and scale prompts."""

from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime, timedelta

from bot.blocks import messages
from bot.i18n import clock, t
from bot.rules import states
from bot.rules.schedule import MISS, due_action, iso, local, parse_iso, shifted
from bot.services.directory import Directory
from bot.services.linking import Linker
from bot.services.outbox import GONE, Kind, Message, queue
from bot.webapi import Slack, SlackFailure
from storage import Store
from storage.records import Post, Prompt, Session

log = logging.getLogger(__name__)
TALLY_EVERY = 3.0  # seconds between updates of a prompt's live tally
# Why a prompt could not go out, in words a facilitator can act on.
REASONS = {"not_in_channel": "reason.not_in_channel", "channel_not_found": "reason.channel_not_found",
           "is_archived": "reason.channel_not_found"}


def prompt_key(prompt_id: int) -> str:
    return f"prompt:{prompt_id}"


def queue_due(store: Store, people: Directory, linker: Linker, now: datetime, grace: timedelta) -> None:
    """Queue what is due; what fell due too long ago (the bot was down) is marked missed and offered instead."""
    for prompt in store.prompts.due(iso(now)):
        session = store.sessions.get(prompt.session_id)
        if due_action(parse_iso(prompt.due_at), now, grace) == MISS:
            if store.prompts.move(prompt.id, "missed", states.prompt_sources("missed"), error="down"):
                log.warning("prompt %s of session %s missed (due %s)", prompt.key, session.id, prompt.due_at)
                due = clock(session.language, local(prompt.due_at, session.timezone))
                notify(store, people, linker, session, [prompt], "missed",
                       t(session.language, "facilitator.missed", title=session.title, due=due, n=1))
            continue
        if store.prompts.move(prompt.id, "posting", states.prompt_sources("posting")):
            queue(store, Post(key=prompt_key(prompt.id), kind="prompt", session_id=session.id,
                              channel=session.channel, team_id=session.team_id))
    for prompt in store.prompts.orphaned():  # moved to posting, then the process stopped before queueing it
        session = store.sessions.get(prompt.session_id)
        queue(store, Post(key=prompt_key(prompt.id), kind="prompt", session_id=session.id, channel=session.channel,
                          team_id=session.team_id))


def notify(store: Store, people: Directory, linker: Linker, session: Session, prompts: list[Prompt], reason: str,
           text: str) -> None:
    """Queue a direct message to each facilitator about prompts that did not go out (with *Send nu* buttons):
    one per occasion (callers notify once a prompt's state moved), so a prompt that fails again after *Send nu*
    is told about again."""
    occasion = secrets.token_hex(4)
    facilitators = people.facilitators(session)
    if not facilitators:
        log.warning("session %s has no facilitators to tell", session.id)
    ids = ",".join(str(p.id) for p in prompts)
    for user in facilitators:
        queue(store, Post(key=f"notice:{reason}:{ids}:{occasion}:{linker.tag(user)}", kind="notice",
                          session_id=session.id, channel=user, user_id=user, team_id=session.team_id,
                          error=f"{reason}|{ids}|{text}"))


def render_notice(store: Store, post: Post) -> Message | None:
    session = store.sessions.get(post.session_id)
    _, ids, text = (post.error or "||").split("|", 2)
    prompts = [p for p in (store.prompts.get(int(i)) for i in ids.split(",") if i.isdigit()) if p]
    if session is None or not prompts:
        return None
    return Message(messages.facilitator_notice(session, prompts, text))


def render_prompt(store: Store, post: Post) -> Message | None:
    found = store.prompts.with_session(int(post.key.split(":")[1]))
    if found is None or found[1].state == "closed":
        return None
    prompt, session = found
    return Message(messages.prompt_message(session, prompt, len(store.prompts.of(session.id))))


def prompt_sent(store: Store, post: Post, ts: str, now: datetime) -> None:
    """What follows a prompt's post: it is posted, its session runs, its anonymity mode is fixed."""
    prompt_id = int(post.key.split(":")[1])
    if store.prompts.move(prompt_id, "posted", states.prompt_sources("posted"), message_ts=ts, posted_at=iso(now)):
        log.info("posted prompt %s of session %s", prompt_id, post.session_id)
    # Both conditional, so running this again after a crash in between completes what the first run began.
    store.sessions.move(post.session_id, "running", ("scheduled",))
    store.sessions.fix_anonymity(post.session_id)


def prompt_failed(people: Directory, linker: Linker):
    """A prompt Slack refused for good: it is failed, and the facilitators are told why, with *Send nu*."""
    def failed(store: Store, post: Post, error: str, now: datetime) -> None:
        found = store.prompts.with_session(int(post.key.split(":")[1]))
        if found is None:
            return
        prompt, session = found
        if store.prompts.move(prompt.id, "failed", states.prompt_sources("failed"), error=error) and error != GONE:
            reason = t(session.language, REASONS.get(error, "reason.unavailable"))
            notify(store, people, linker, session, [prompt], "failed", t(
                session.language, "facilitator.failed", title=session.title, channel=session.channel, reason=reason))
    return failed


def kinds(people: Directory, linker: Linker) -> dict[str, Kind]:
    return {"prompt": Kind(render_prompt, prompt_sent, prompt_failed(people, linker)),
            "notice": Kind(render_notice), "reminder": Kind(render_reminder)}


def post_now(store: Store, prompt: Prompt, now: datetime) -> str:
    """A facilitator's *Send nu* on a missed or failed prompt, or `/hvis send`: due now, posted by the next tick.

    Returns the catalog key of what to tell them. Clicking twice cannot post twice: only the tick posts."""
    times = shifted(prompt.due_at, prompt.remind_at, prompt.close_at, now)
    if prompt.state in states.UNSENT_PROMPT_STATES and store.prompts.set_times(
            prompt.id, *times, sources=states.UNSENT_PROMPT_STATES):
        return "facilitator.posting_now"  # its reminder and close move along, so it is not posted already closed
    return "facilitator.already_posted" if prompt.posted_at else "facilitator.already_waiting"


def remind(store: Store, now: datetime) -> None:
    """Queue a reminder in each prompt thread whose reminder time has come (counting answers, never people)."""
    for prompt in store.prompts.to_remind(iso(now)):
        session = store.sessions.get(prompt.session_id)
        queue(store, Post(key=f"reminder:{prompt.id}", kind="reminder", session_id=session.id, channel=session.channel,
                          thread_ts=prompt.message_ts, team_id=session.team_id))


def render_reminder(store: Store, post: Post) -> Message | None:
    found = store.prompts.with_session(int(post.key.split(":")[1]))
    if found is None or found[0].state != "posted":
        return None  # closed meanwhile (the bot was down past the close time): a reminder would mislead
    prompt, session = found
    return Message(messages.reminder(session, store.replies.count(prompt.id)))


def close_prompts(store: Store, slack: Slack, now: datetime) -> None:
    """Prompts whose close time came (or whose session closed) lose their buttons and say the round is over."""
    for prompt in store.prompts.to_close(iso(now)):
        if not store.prompts.move(prompt.id, "closed", states.prompt_sources("closed")):
            continue
        session = store.sessions.get(prompt.session_id)
        values = store.replies.values(prompt.id) if prompt.kind != "open" else None
        try:
            slack.update(session.channel, prompt.message_ts, messages.prompt_message(
                session, prompt, len(store.prompts.of(session.id)), values, closed=True))
        except SlackFailure as failure:
            log.warning("closing prompt %s in Slack failed: %s", prompt.key, failure.error)


def restate(slack: Slack, session: Session, prompts: list[Prompt], view_id: str | None, plan: dict) -> None:
    """After the anonymity mode changed: every open prompt says the new mode, and the plan shows it."""
    for prompt in prompts:
        if prompt.state == "posted" and prompt.message_ts:
            try:
                slack.update(session.channel, prompt.message_ts, messages.prompt_message(session, prompt, len(prompts)))
            except SlackFailure as failure:
                log.warning("restating prompt %s failed: %s", prompt.key, failure.error)
    if view_id:
        slack.update_view(view_id, plan)


class Tallies:
    """The live aggregates of vote and scale prompts, updated in the prompt message at most every few seconds."""

    def __init__(self) -> None:
        self._shown: dict[int, tuple[int, float]] = {}  # prompt id -> (answers shown, when)

    def refresh(self, store: Store, slack: Slack) -> None:
        for session in store.sessions.list(states=("running", "paused")):
            prompts = store.prompts.of(session.id)
            for prompt in prompts:
                if prompt.kind == "open" or prompt.state != "posted":
                    continue
                shown, at = self._shown.get(prompt.id, (0, 0.0))
                if time.monotonic() - at < TALLY_EVERY:
                    continue
                values = store.replies.values(prompt.id)
                if len(values) == shown:
                    continue
                try:
                    slack.update(session.channel, prompt.message_ts,
                                 messages.prompt_message(session, prompt, len(prompts), values))
                except SlackFailure as failure:
                    log.warning("updating the tally of prompt %s failed: %s", prompt.key, failure.error)
                    continue
                self._shown[prompt.id] = (len(values), time.monotonic())
