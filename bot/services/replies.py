"""Replies: thread messages, edits and deletions, modal answers and votes, stored before Slack hears back.

Nothing here calls Slack: these run on the request path, before the acknowledgement. What follows
(posting a modal answer into its thread, a private note) is queued or left to the listener's lazy part.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from bot.blocks import messages
from bot.errors import NotYet, Refused
from bot.i18n import t
from bot.rules import anonymity
from bot.rules.schedule import iso, parse_iso
from bot.rules.text import clean
from bot.services import sessions, summaries
from bot.services.directory import Directory
from bot.services.linking import Linker
from bot.services.outbox import WAIT, Kind, Message, queue
from storage import Store
from storage.records import Post, Prompt, Reply, Session

# Message subtypes that are a person's reply; all others (joins, topic changes, bot posts, …) are ignored.
REPLY_SUBTYPES = (None, "thread_broadcast", "file_share")
CLOCK_SKEW = 60  # seconds Slack's clock (a message's ts) may be behind ours


@dataclass(frozen=True)
class Stored:
    """What storing a reply led to, for the listener's follow-up after the acknowledgement."""

    reply: Reply
    session: Session
    user_id: str
    tell_button: bool     # a thread reply in a mode where the answer button keeps people anonymous


def new_reply(linker: Linker, session: Session, prompt: Prompt, user_id: str, role: str, text: str, source: str,
              chose_anonymous: bool, now: datetime, ts: str | None = None, reply_id: str | None = None,
              edit_ts: str | None = None) -> Reply:
    """A reply as stored: anonymous answers carry no user id, only a pseudonym of their own. `edit_ts` when
    an edit overtook its original: the reply starts out edited."""
    reply_id = reply_id or secrets.token_hex(6)
    hidden = anonymity.is_anonymous(session.anonymity, source, chose_anonymous)
    at = iso(now)
    return Reply(
        id=reply_id, team_id=session.team_id, session_id=session.id, prompt_id=prompt.id, channel=session.channel,
        ts=ts, source=source, user_id=None if hidden else user_id,
        author=linker.author(session.id, user_id, reply_id) if hidden else "", anonymous=hidden, role=role,
        text=text, created_at=at, updated_at=at, late=session.state == "closed" or prompt.state == "closed",
        edited=edit_ts is not None, edit_ts=edit_ts)


def store_reply(store: Store, linker: Linker, reply: Reply, user_id: str) -> bool:
    """Store once; an anonymous author is also counted as a person, in a table that cannot be joined to it."""
    person = linker.of(reply.session_id, "person", user_id) if reply.anonymous else None
    return store.replies.add(reply, (person, reply.role) if person else None, forgotten=linker.tombstone(user_id))


def thread_reply(store: Store, people: Directory, linker: Linker, event: dict, now: datetime,
                 edit_ts: str | None = None) -> Stored | None:
    """A message in a prompt's thread becomes a reply (once, however often Slack delivers it)."""
    user = event.get("user")
    if event.get("bot_id") or event.get("subtype") not in REPLY_SUBTYPES or not user or people.is_bot(user):
        return None
    thread_ts, ts, channel = event.get("thread_ts"), event.get("ts"), event.get("channel")
    if not thread_ts or thread_ts == ts or not isinstance(channel, str):
        return None
    found = store.prompts.by_message(channel, thread_ts)
    if found is None:
        _unless_prompt_unsettled(store, channel, thread_ts)
        return None
    prompt, session = found
    role = people.role(user, event.get("user_team") or event.get("team"))
    reply = new_reply(linker, session, prompt, user, role, clean(event.get("text"), from_slack=True), "thread",
                      False, now, ts=ts, edit_ts=edit_ts)
    if not store_reply(store, linker, reply, user):
        return None
    return Stored(reply, session, user,
                  tell_button=session.anonymity in ("confidential", "anonymous") and not reply.late)


def button_notice(store: Store, linker: Linker, stored: Stored) -> dict | None:
    """Once per session and person: a thread reply shows your name; the button keeps you anonymous."""
    session = stored.session
    person = linker.of(session.id, "notice", stored.user_id)
    if person is None or not store.notices.first(session.id, person, "use_button"):
        return None
    key = "button.answer_anonymously" if session.anonymity == "anonymous" else "button.answer_confidential"
    return messages.message(t(session.language, "notice.use_button", button=t(session.language, key)))


def _unless_prompt_unsettled(store: Store, channel: str, thread_ts: str) -> None:
    """A reply in a thread we do not know may be in a prompt's thread whose post timed out but landed: while
    such a post is settled, a thread started after it began is delivered again later rather than dropped."""
    started = store.prompts.being_posted(channel)
    try:
        if started and float(thread_ts) >= parse_iso(started).timestamp() - CLOCK_SKEW:
            raise NotYet(f"prompt post in {channel} unsettled")
    except ValueError:
        return


def edited(store: Store, people: Directory, linker: Linker, event: dict, now: datetime) -> Stored | None:
    """message_changed: the reply takes the new text; an edit that overtook its original stores the reply."""
    message = event.get("message") or {}
    channel = event.get("channel")
    if not message.get("ts") or message.get("bot_id") or not isinstance(channel, str):
        return None
    edit_ts = str((message.get("edited") or {}).get("ts") or event.get("event_ts") or event.get("ts") or "0")
    text = clean(message.get("text"), from_slack=True)
    if store.replies.edit(channel, message["ts"], text, edit_ts, iso(now)) or store.replies.exists(channel, message["ts"]):
        return None
    # The original's delivery may have failed and Slack retries it later: keep the edited text now.
    return thread_reply(store, people, linker, {**message, "channel": channel, "subtype": None}, now, edit_ts=edit_ts)


def deleted(store: Store, event: dict, team_id: str) -> bool:
    """message_deleted: the reply and its votes are removed (and stay removed if Slack retries the original)."""
    ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
    if not ts or not isinstance(event.get("channel"), str):
        return False
    session_id = store.replies.delete_message(team_id, event["channel"], str(ts))
    summaries.answers_removed(store, session_id)
    return session_id is not None


def modal_answer(store: Store, people: Directory, linker: Linker, view: dict, user_id: str, now: datetime,
                 user_team: str | None = None) -> Reply | None:
    """A submitted answer modal becomes a reply (once per view); an open answer is queued for its thread."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    prompt, session = open_prompt(store, meta.get("prompt_id") if isinstance(meta, dict) else None)
    if prompt.state == "closed":
        raise Refused("prompt.closed", session.language)
    value = ((view.get("state") or {}).get("values") or {}).get("answer", {}).get("value", {})
    text = clean(value.get("value") or (value.get("selected_option") or {}).get("value"))
    if not text:
        raise Refused("modal.empty", session.language)
    # The id comes from the view, so the same submission delivered twice is stored once.
    reply_id = "m" + hashlib.sha256(f"{session.team_id}:{view.get('id')}".encode()).hexdigest()[:15]
    # The choice made when the modal opened stands, even if the mode became stricter meanwhile.
    reply = new_reply(linker, session, prompt, user_id, people.role(user_id, user_team), text, "modal",
                      bool(meta.get("anonymous")), now, reply_id=reply_id)
    added = store_reply(store, linker, reply, user_id)
    if prompt.kind == "open" and (added or store.replies.get(reply.id)):
        # Queued also for a submission stored before (keyed, so once): if queueing failed then, it happens now.
        # Vote and scale answers show up in the prompt's tally, never one by one.
        queue(store, Post(key=f"answer:{reply.id}", kind="answer", session_id=session.id, channel=session.channel,
                          team_id=session.team_id))
    return reply if added else None


def render_answer(store: Store, post: Post) -> Message | None:
    """The answer in its prompt's thread: it waits while the prompt's own post is still being settled."""
    reply = store.replies.get(post.key.split(":", 1)[1])
    found = store.prompts.with_session(reply.prompt_id) if reply else None
    if found is None:
        return None
    prompt, session = found
    if not prompt.message_ts:
        return WAIT
    return Message(messages.answer_post(session, reply), thread_ts=prompt.message_ts)


def answer_sent(store: Store, post: Post, ts: str, now: datetime) -> None:
    """The bot's post of an answer is where people react: reactions on it are votes for the answer."""
    store.replies.set_ts(post.key.split(":", 1)[1], ts)


KINDS = {"answer": Kind(render_answer, answer_sent)}


def open_prompt(store: Store, prompt_id: object) -> tuple[Prompt, Session]:
    """The prompt a button or form names, in a session not yet closed; else NotAllowed saying why."""
    prompt, session = sessions.prompt_of(store, prompt_id)
    if session.state == "closed":
        raise Refused("notice.closed", session.language, title=session.title)
    return prompt, session


def open_answer(store: Store, prompt_id: str, anonymous: bool) -> tuple[Prompt, Session, bool]:
    """The prompt behind an *Answer* button, and whether the answer will be anonymous; NotAllowed if closed."""
    prompt, session = open_prompt(store, prompt_id)
    if prompt.state == "closed":
        raise Refused("prompt.closed", session.language)
    return prompt, session, anonymity.is_anonymous(session.anonymity, "modal", anonymous)


def is_vote(event: dict, reaction: str) -> bool:
    # Skin tones arrive as "+1::skin-tone-3" and still count as the same vote.
    return str(event.get("reaction", "")).split("::")[0] == reaction and \
        isinstance(event.get("item"), dict) and event["item"].get("type") == "message"


def reaction(store: Store, linker: Linker, event: dict, added: bool, vote_reaction: str) -> Session | None:
    """A vote reaction added to or removed from a reply. Returns the session when the vote was refused
    because it closed (the listener tells the person privately); None otherwise."""
    if not is_vote(event, vote_reaction) or not isinstance(event.get("user"), str):
        return None
    item = event["item"]
    found = store.replies.by_message(str(item.get("channel", "")), str(item.get("ts", "")))
    if found is None:
        return None
    reply, session = found
    voter = linker.of(session.id, "vote", event["user"])
    if session.state == "closed" or voter is None:
        return session if added else None
    store.votes.set(reply.team_id, reply.id, voter, "reaction", added, str(event.get("event_ts") or "0"),
                    forgotten=linker.tombstone(event["user"]))
    return None


def vote_button(store: Store, linker: Linker, raw: str, user_id: str, action_ts: str) -> tuple[Session | None, str, bool]:
    """*Støt* / *Træk tilbage* under a posted answer: the click says which state it wants, so a replayed
    click changes nothing. Returns (session, reply id, supported now); NotAllowed when it cannot count."""
    try:
        wish = json.loads(raw)
        reply_id, on = str(wish["r"]), bool(wish["on"])
    except (ValueError, KeyError, TypeError):
        raise Refused("notice.gone") from None
    reply = store.replies.get(reply_id)
    session = store.sessions.get(reply.session_id) if reply else None
    if reply is None or session is None:
        raise Refused("notice.gone")
    voter = linker.of(session.id, "vote", user_id)
    if session.state == "closed" or voter is None:
        raise Refused("vote.closed", session.language, title=session.title)
    store.votes.set(reply.team_id, reply.id, voter, "button", on, action_ts, forgotten=linker.tombstone(user_id))
    return session, reply.id, bool(store.votes.active(reply.id, voter))

