"""Exactly once for every bot post: queued in SQLite, claimed, sent, and never sent twice.

A post whose outcome is unknown (a timeout, a 5xx, a crash between Slack's answer and our record)
stays `sending`; once Slack has had time to finish a late post (the call's timeout plus a settle
time) it is looked up by the key in its metadata, and only if Slack has no such post is it sent
again. Each kind of post says how to render itself and what follows when it is sent or fails.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping

from bot.rules import states
from bot.rules.schedule import parse_iso
from bot.webapi import Slack, SlackFailure, Upload
from storage import Store
from storage.records import Post

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
GONE = "gone"  # the error of a post with nothing left to show


@dataclass(frozen=True)
class Message:
    """What to post: chat.postMessage arguments (text, blocks), or files to share with a comment; in a thread
    when `thread_ts` says so (known only when the post is made, e.g. an answer to a prompt just posted)."""

    body: dict
    uploads: tuple[Upload, ...] = ()
    thread_ts: str | None = None


WAIT = Message({})  # what `render` returns when the post cannot be made yet: it stays queued


@dataclass(frozen=True)
class Kind:
    """How one kind of post is made: render it (None: nothing to post any more), then react to the outcome
    (`sent` may run twice for one post, after a crash, so it must be idempotent)."""

    render: Callable[[Store, Post], Message | None]
    sent: Callable[[Store, Post, str, datetime], None] = lambda store, post, ts, now: None
    failed: Callable[[Store, Post, str, datetime], None] = lambda store, post, error, now: None


def queue(store: Store, post: Post) -> bool:
    """Ask for a post to be made once; a post already queued, in flight or sent is left alone."""
    if store.posts.queue(post):
        return True
    existing = store.posts.get(post.key)
    if existing and existing.state == "failed":  # asked again (e.g. *Send nu*): give it a fresh budget
        return store.posts.requeue(post.key, ("failed",))
    return False


def deliver(store: Store, slack: Slack, kinds: Mapping[str, Kind], now: datetime, wait: timedelta,
            may_post: Callable[[], bool] = lambda: True) -> int:
    """Send what is queued and settle what is in flight; returns how many posts went out.

    `wait` is how long after an attempt began its outcome may still change (timeout + settle time);
    `may_post` is asked right before each post (the scheduler lease)."""
    sent = 0
    for post in store.posts.open():
        kind = kinds.get(post.kind)
        if kind is None:
            log.error("no handler for %s posts; leaving %s queued", post.kind, post.key)
            continue
        try:
            if post.state == "sending":
                _settle(store, slack, kind, post, now, wait)
            elif may_post() and _send(store, slack, kind, post, now):
                sent += 1
        except (sqlite3.Error, OSError):
            raise  # the database is in trouble: the whole round stops, the tick reports it
        except Exception:  # one post that cannot be made must not hold up the others
            log.exception("%s post %s could not be made; it stays %s", post.kind, post.key, post.state)
    return sent


def _settle(store: Store, slack: Slack, kind: Kind, post: Post, now: datetime, wait: timedelta) -> None:
    """A post in flight since `started_at`: once Slack has had time to finish it, find it or queue it again."""
    if post.started_at and now < parse_iso(post.started_at) + wait:
        return
    try:
        ts = _look_up(slack, post)
    except SlackFailure as failure:
        if failure.final:  # the channel cannot be read (the bot left it, it was archived): neither posted to
            log.warning("cannot look up %s post %s (%s); it failed", post.kind, post.key, failure.error)
            _fail(store, kind, post, failure.error, now)
        else:
            log.warning("could not look up %s post %s yet (%s)", post.kind, post.key, failure.error)
        return
    if ts:
        _record_sent(store, kind, post, ts, now)
        return
    if post.attempts >= MAX_ATTEMPTS:  # every attempt ended unknown and none reached Slack: give up, say so
        _fail(store, kind, post, post.error or "no answer", now)
        return
    store.posts.move(post.key, "queued", states.post_sources("queued"))


def _look_up(slack: Slack, post: Post) -> str | None:
    oldest = f"{parse_iso(post.started_at).timestamp() - 120:.6f}" if post.started_at else None
    if post.ts and post.ts.startswith("files:"):
        return slack.find_files(post.channel, post.ts[len("files:"):].split(","), oldest=oldest)
    return slack.find(post.channel, post.key, thread_ts=post.thread_ts,
                      oldest=None if post.thread_ts else oldest)


def _send(store: Store, slack: Slack, kind: Kind, post: Post, now: datetime) -> bool:
    message = kind.render(store, post)
    if message is WAIT:
        return False
    if message is None:  # what it was to show is gone (the session closed, the answer was deleted)
        _fail(store, kind, post, GONE, now)
        return False
    if message.thread_ts and message.thread_ts != post.thread_ts:
        store.posts.set_thread(post.key, message.thread_ts)  # so a lost post is looked for in that thread
        post = replace(post, thread_ts=message.thread_ts)
    if post.user_id and not post.channel.startswith("D"):
        try:  # a direct message goes to the D… channel (conversations.open is idempotent)
            post = replace(post, channel=slack.dm(post.user_id))
        except SlackFailure as failure:
            return _refused(store, kind, post, failure, now) if failure.final else False
        store.posts.set_channel(post.key, post.channel)
    started = now.astimezone(timezone.utc).isoformat(timespec="milliseconds")  # the settle wait counts from here
    if not store.posts.move(post.key, "sending", states.post_sources("sending"), started_at=started, attempt=True):
        return False  # another tick took it
    try:
        ts = _post(store, slack, post, message)
    except SlackFailure as failure:
        if failure.unknown:
            log.warning("%s post %s: outcome unknown (%s); looking it up before any retry", post.kind, post.key,
                        failure.error)
            return False
        return _refused(store, kind, post, failure, now)
    _record_sent(store, kind, post, ts, now)
    return True


def _record_sent(store: Store, kind: Kind, post: Post, ts: str, now: datetime) -> None:
    """What follows a post is recorded before the post counts as sent: after a crash in between the post is
    still `sending`, is found in Slack again, and its (idempotent) consequence is simply applied again."""
    kind.sent(store, post, ts, now)
    store.posts.move(post.key, "sent", states.post_sources("sent"), ts=ts)


def _post(store: Store, slack: Slack, post: Post, message: Message) -> str:
    if not message.uploads:
        return slack.post(post.channel, message.body, key=post.key, thread_ts=post.thread_ts)
    reserved = slack.reserve_uploads(message.uploads)
    file_ids = [file_id for file_id, _ in reserved]
    # Remember the file ids first: files carry no metadata, so they are how a lost answer is found again.
    store.posts.note(post.key, "files:" + ",".join(file_ids))
    slack.share_uploads(post.channel, message.uploads, reserved, message.body.get("text", ""))
    try:  # the message that shares them, so forget-me can point people to it
        return slack.find_files(post.channel, file_ids) or "files:" + ",".join(file_ids)
    except SlackFailure:
        return "files:" + ",".join(file_ids)


def _fail(store: Store, kind: Kind, post: Post, error: str, now: datetime) -> None:
    """Give a post up for good (once), and let its kind say what follows."""
    if store.posts.move(post.key, "failed", states.post_sources("failed"), error=error):
        kind.failed(store, post, error, now)


def _refused(store: Store, kind: Kind, post: Post, failure: SlackFailure, now: datetime) -> bool:
    attempts = post.attempts + 1
    log.warning("%s post %s refused by Slack (%s), attempt %d", post.kind, post.key, failure.error, attempts)
    if failure.final or attempts >= MAX_ATTEMPTS:
        _fail(store, kind, post, failure.error, now)
    else:
        store.posts.move(post.key, "queued", states.post_sources("queued"), error=failure.error)
    return False
