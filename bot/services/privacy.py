"""Data protection: forget a person, show people their own data, delete an answer, purge, back up."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.errors import BadInput, Refused
from bot.rules import ids, states
from bot.rules.schedule import iso
from bot.services import summaries
from bot.services.closing import refresh_wrapup
from bot.services.directory import Directory
from bot.services.linking import Linker
from bot.webapi import Slack, SlackFailure
from storage import Store
from storage.records import Reply, Session

MAX_DAYS = 100 * 365


@dataclass
class Forgotten:
    """What forget-me removed, and what a person must remove by hand (with links)."""

    replies: int = 0
    votes: int = 0
    bot_posts_deleted: int = 0
    wrapups_updated: int = 0
    left_in_slack: list[str] = field(default_factory=list)      # permalinks of their own thread messages
    export_files: list[str] = field(default_factory=list)       # permalinks of export DMs holding their answers
    problems: list[str] = field(default_factory=list)           # what could not be done, in plain words


def mine(store: Store, linker: Linker, user_id: str) -> list[tuple[Session, Reply]]:
    """A person's answers the bot can still tell are theirs: named ones, and anonymous ones in running sessions."""
    found = [(store.sessions.get(r.session_id), r) for r in store.replies.of_user(user_id)]
    for session in store.sessions.list(states=states.LIVE_SESSION_STATES):
        found += [(session, r) for r in store.replies.anonymous_of_session(session.id)
                  if linker.wrote(session.id, user_id, r.id, r.author)]
    return sorted(found, key=lambda pair: pair[1].created_at)


def forget(store: Store, linker: Linker, people: Directory, slack: Slack | None, user_id: str) -> Forgotten:
    """Remove everything stored about `user_id` (GDPR erasure) and say what is left to do by hand."""
    if not ids.is_user(user_id):
        raise BadInput(f"{user_id[:40]!r} is not a Slack user id (like U0123ABCD)")
    report = Forgotten()
    store.forgotten.add(linker.tombstone(user_id))  # an edit or vote arriving later cannot bring them back
    answers = mine(store, linker, user_id)
    sessions_touched = {session.id: session for session, _ in answers}
    for _, reply in answers:
        if reply.source == "modal" and reply.ts and slack:
            try:
                report.bot_posts_deleted += slack.delete(reply.channel, reply.ts)
            except SlackFailure as failure:
                report.problems.append(f"the bot's post of an answer could not be deleted ({failure.error})")
        elif reply.source == "thread" and reply.ts:
            report.left_in_slack.append(_link(slack, reply.channel, reply.ts))
        report.replies += store.replies.delete(reply.id)
    for session in store.sessions.list():
        person = {purpose: linker.of(session.id, purpose, user_id) for purpose in ("vote", "person", "notice")}
        if person["vote"]:
            report.votes += store.votes.forget(person["vote"], session.id)
            store.replies.forget_person(session.id, person["person"])
            store.notices.forget(session.id, person["notice"])
    store.people.forget(user_id)
    people.forget(user_id)
    store.sessions.forget_facilitator(user_id)
    # Export files sent earlier (to them, and of the sessions they answered in) can only be deleted by hand.
    exports = [p for p in store.posts.of_user(user_id) if p.kind == "export"]
    store.posts.forget_user(user_id)
    for post in exports + store.posts.exports_of(list(sessions_touched)):
        if post.state == "sent" and post.ts and not post.ts.startswith("files:"):
            report.export_files.append(_link(slack, post.channel, post.ts))
    for session_id in sessions_touched:
        summaries.answers_removed(store, session_id)
    if slack:
        report.wrapups_updated = sum(refresh_wrapup(store, slack, people, s) for s in sessions_touched.values())
    if not _scrub(store):
        report.problems.append("the database's write-ahead log could not be emptied because another process was "
                               "reading it; deleted text may remain in the -wal file until you run this again")
    return report


def _link(slack: Slack | None, channel: str, ts: str) -> str:
    if slack:
        try:
            return slack.permalink(channel, ts)
        except SlackFailure:
            pass
    return f"channel {channel}, message {ts}"


def _scrub(store: Store, tries: int = 4) -> bool:
    """Fold the write-ahead log into the file and empty it; a reader elsewhere may need a moment to finish."""
    for attempt in range(tries):
        if store.scrub():
            return True
        time.sleep(0.1 * (attempt + 1))
    return False


def delete_answer(store: Store, linker: Linker, user_id: str, reply_id: str) -> Reply:
    """A person deletes one of their own answers (from the App Home); returns it so its post can go too."""
    reply = store.replies.get(reply_id)
    if reply is None:
        raise Refused("notice.gone")
    session = store.sessions.get(reply.session_id)
    if not (reply.user_id == user_id or (reply.anonymous and linker.wrote(reply.session_id, user_id, reply.id,
                                                                            reply.author))):
        raise Refused("mine.not_yours", session.language if session else None)
    store.replies.delete(reply.id)
    summaries.answers_removed(store, reply.session_id)
    return reply


def purge(store: Store, older_than_days: int, now: datetime) -> int:
    """Delete sessions closed more than `older_than_days` days ago, with everything in them."""
    if not 0 <= older_than_days <= MAX_DAYS:
        raise BadInput(f"--older-than {older_than_days} must be between 0 and {MAX_DAYS} days")
    count = store.sessions.purge(iso(now - timedelta(days=older_than_days)))
    _scrub(store)
    return count


def backup(store: Store, target: Path) -> None:
    """A consistent copy of the database, never over an existing file; the key store is not in it."""
    if target.exists() or target.is_symlink():
        raise BadInput(f"{target} already exists; choose a new file name so no backup is overwritten")
    if not target.parent.is_dir():
        raise BadInput(f"{target.parent} is not a folder")
    store.backup(target)


def check_export_target(out: Path, settings, force: bool) -> None:
    """Refuse to write an export over the database or the key store (ever), into a folder that cannot be
    written, or over a file with content hvis did not write itself (unless --force)."""
    target = out.expanduser().resolve()
    database = settings.db_path.expanduser().resolve()
    keys = settings.key_store_path.expanduser().resolve()
    protected = {database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm"),
                 keys, keys.with_name(keys.name + ".lock")}
    if target in protected:
        raise BadInput(f"{out} is the database or its key store; choose another file for the export")
    if not target.parent.is_dir():
        raise BadInput(f"{out.parent} is not a folder")
    if not os.access(target.parent, os.W_OK):
        raise BadInput(f"{out.parent} is not a folder you may write to")
    if target.is_dir():
        raise BadInput(f"{out} is a folder; give a file name")
    if target.exists() and not force and target.stat().st_size > 0:  # an empty file (mktemp's) has nothing to lose
        store = Store(settings.db_path)
        recorded = store.written.digest(str(target)) if settings.db_path.exists() else None
        if recorded != _digest(target.read_bytes()):
            raise BadInput(f"{out} exists and was not written by hvis (or was changed since); "
                           "choose another name, or add --force to overwrite it")


def write_export(store: Store, out: Path, data: bytes) -> None:
    """Write an export atomically (a temporary file, then a rename) and readable by its owner only."""
    target = out.expanduser().resolve()
    temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    store.written.record(str(target), _digest(data))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def as_text(report: Forgotten, user_id: str, slack_used: bool) -> str:
    """What `hvis forget` prints: what was removed, and what is left to remove by hand (with links)."""
    lines = [f"Forgot {user_id}: {report.replies} answers and {report.votes} votes deleted; their pseudonyms in "
             "sessions still running are gone, and a tombstone keeps new events from bringing them back."]
    if slack_used:
        lines.append(f"The bot deleted {report.bot_posts_deleted} of its posts of their answers and updated "
                     f"{report.wrapups_updated} wrap-up post(s).")
    else:
        lines.append("SLACK_BOT_TOKEN is not set: the bot's posts of their answers in Slack were not deleted. "
                     "Run this again with the token set.")
    if report.left_in_slack:
        lines.append("Their own messages in threads stay in Slack; they or a workspace admin must delete them:")
        lines += [f"  {link}" for link in report.left_in_slack]
    if report.export_files:
        lines.append("Export files sent to facilitators earlier may quote them; ask the facilitators to delete:")
        lines += [f"  {link}" for link in report.export_files]
    lines += [f"Not done: {problem}" for problem in report.problems]
    return "\n".join(lines)
