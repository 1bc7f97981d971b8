"""Reply use cases: thread replies, modal answers, edits, deletions and votes. Stored before Slack hears back."""

from __future__ import annotations

import json
import logging
import secrets

from bot import render
from bot.context import Hvis
from bot.errors import BadInput, NotAllowed
from bot.i18n import t
from bot.model import Prompt, Reply, Session
from bot.schedule import iso

log = logging.getLogger(__name__)
MAX_TEXT = 40_000  # Slack's own limit for a message's text
# Message subtypes that are a person's reply; all others (joins, topic changes, bot posts, …) are ignored.
REPLY_SUBTYPES = (None, "thread_broadcast", "file_share")


def clean_text(text: str | None, from_slack: bool = False) -> str:
    """Text as stored: plain (Slack's &amp; &lt; &gt; undone), no NUL bytes (they break C string handling
    downstream), at most Slack's length."""
    text = text or ""
    if from_slack:
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.replace("\x00", "").strip()[:MAX_TEXT]


def _new_reply(h: Hvis, session: Session, prompt_id: int, user_id: str, anonymous: bool, text: str,
               source: str, ts: str | None = None, origin: str | None = None) -> Reply:
    now = iso(h.clock.now())
    anonymous = anonymous or session.anonymity == "anonymous"
    reply_id = secrets.token_hex(6)
    # A thread reply shows its author's name in Slack whatever the mode, so only modal answers can hide.
    hidden = anonymous and source == "modal"
    return Reply(
        id=reply_id, team_id=session.team_id, session_id=session.id, prompt_id=prompt_id,
        channel=session.channel, ts=ts, source=source, user_id=None if anonymous else user_id,
        author=h.pseudonyms.of_answer(session.id, user_id, reply_id) if hidden else
        h.pseudonyms.of(session.id, user_id, "named"),
        anonymous=anonymous,
        role=h.directory.role(session.team_id, user_id), text=text, created_at=now, updated_at=now, origin=origin,
    )


def message(h: Hvis, event: dict, event_id: str | None) -> object:
    """Route a `message` event by subtype: an edit, a deletion, or possibly a thread reply."""
    subtype = event.get("subtype")
    if subtype == "message_changed":
        return edited(h, event, event_id)
    if subtype == "message_deleted":
        return deleted(h, event, event_id)
    return thread_reply(h, event, event_id)


def _store(h: Hvis, reply: Reply, user_id: str, event_id: str | None) -> bool:
    participant = h.pseudonyms.of(reply.session_id, user_id, "participant")
    return h.store.add_reply(reply, participant, event_id, iso(h.clock.now()))


def thread_reply(h: Hvis, event: dict, event_id: str | None, edit_ts: str | None = None) -> Reply | None:
    """A message in a prompt's thread becomes a reply (once, however often Slack delivers it)."""
    if event.get("bot_id") or event.get("subtype") not in REPLY_SUBTYPES or not event.get("user"):
        return None
    thread_ts, ts = event.get("thread_ts"), event.get("ts")
    if not thread_ts or thread_ts == ts:
        return None
    prompt = h.store.prompt_by_message(event.get("channel", ""), thread_ts)
    if prompt is None:
        return None
    session = h.store.session(prompt.session_id)
    if session.state == "closed":
        return None
    reply = _new_reply(h, session, prompt.id, event["user"], False, clean_text(event.get("text"), from_slack=True),
                       "thread", ts=ts)
    reply.edited, reply.edit_ts = edit_ts is not None, edit_ts
    if not _store(h, reply, event["user"], event_id):
        return None
    if session.anonymity in ("confidential", "anonymous"):
        h.later(lambda: _tell_about_button_once(h, session, event["user"], reply.author))
    return reply


def _tell_about_button_once(h: Hvis, session: Session, user_id: str, person: str) -> None:
    if not h.store.first_notice(session.team_id, session.id, person, "use_button"):
        return
    key = "button.answer_anonymously" if session.anonymity == "anonymous" else "button.answer_confidential"
    button = t(session.language, key)
    h.client.chat_postEphemeral(channel=session.channel, user=user_id,
                                text=t(session.language, "notice.use_button", button=button))


def edited(h: Hvis, event: dict, event_id: str | None) -> bool:
    """message_changed: the reply takes the new text and is marked edited."""
    message = event.get("message") or {}
    if not message.get("ts") or message.get("bot_id"):
        return False
    edit_ts = (message.get("edited") or {}).get("ts") or event.get("event_ts") or event.get("ts") or "0"
    if h.store.reply_by_message(event.get("channel", ""), message["ts"]) is None:
        # The original's delivery may have failed and Slack retries it later: keep the edited text now.
        original = {**message, "channel": event.get("channel", ""), "subtype": None}
        return thread_reply(h, original, event_id, edit_ts=edit_ts) is not None
    return h.store.edit_reply(event.get("team") or "", event.get("channel", ""), message["ts"],
                              clean_text(message.get("text"), from_slack=True), edit_ts, event_id,
                              iso(h.clock.now()))


def deleted(h: Hvis, event: dict, event_id: str | None) -> bool:
    """message_deleted: the reply and its votes are removed."""
    ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
    if not ts:
        return False
    return h.store.delete_reply(event.get("team") or "", event.get("channel", ""), ts, event_id, iso(h.clock.now()))


def _is_vote(h: Hvis, event: dict) -> bool:
    # Skin tones arrive as "+1::skin-tone-3" and still count as the same vote.
    return event.get("reaction", "").split("::")[0] == h.settings.vote_reaction and \
        (event.get("item") or {}).get("type") == "message"


def reaction(h: Hvis, event: dict, event_id: str | None, added: bool) -> bool:
    """A vote reaction added to or removed from a reply; one vote per person per reply."""
    if not _is_vote(h, event) or not event.get("user"):
        return False
    item = event["item"]
    reply = h.store.reply_by_message(item.get("channel", ""), item.get("ts", ""))
    if reply is None:
        return False
    voter = h.pseudonyms.of(reply.session_id, event["user"], "vote")
    now = iso(h.clock.now())
    if added:
        return h.store.add_vote(reply.team_id, reply.id, voter, "reaction", event_id, now)
    return h.store.remove_vote(reply.team_id, reply.id, voter, event_id, now)


def vote_button(h: Hvis, reply_id: str, user_id: str) -> str:
    """The *Support* button under a posted answer toggles the presser's vote; returns what to tell them."""
    reply = h.store.reply(reply_id)
    if reply is None:
        raise NotAllowed(t(h.settings.language, "notice.gone"))
    voter = h.pseudonyms.of(reply.session_id, user_id, "vote")
    now = iso(h.clock.now())
    language = h.store.session(reply.session_id).language
    if h.store.add_vote(reply.team_id, reply.id, voter, "button", None, now):
        return t(language, "vote.added")
    h.store.remove_vote(reply.team_id, reply.id, voter, None, now)
    return t(language, "vote.removed")


def open_prompt(h: Hvis, prompt_id: object) -> tuple[Prompt, Session]:
    """The prompt a button or form names, in a session not yet closed; else NotAllowed saying why."""
    prompt = h.store.prompt(int(prompt_id)) if str(prompt_id).isdigit() else None
    session = h.store.session(prompt.session_id) if prompt else None
    if prompt is None or session is None:
        raise NotAllowed(t(h.settings.language, "notice.gone"))
    if session.state == "closed":
        raise NotAllowed(t(session.language, "notice.closed", title=session.title))
    return prompt, session


def open_answer(h: Hvis, prompt_id: str, user_id: str, anonymous: bool) -> dict:
    """The modal for an *Answer* button press, or NotAllowed with a message for the person."""
    prompt, session = open_prompt(h, prompt_id)
    if prompt.state == "closed":
        raise NotAllowed(t(session.language, "prompt.closed"))
    return render.answer_modal(session, prompt, anonymous or session.anonymity == "anonymous")


def modal_answer(h: Hvis, view: dict, user_id: str) -> Reply | None:
    """A submitted answer modal becomes a reply (once per view); the tick posts it into the thread."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    prompt, session = open_prompt(h, meta.get("prompt_id"))
    value = ((view.get("state") or {}).get("values") or {}).get("answer", {}).get("value", {})
    text = clean_text(value.get("value") or (value.get("selected_option") or {}).get("value"))
    if not text:
        raise BadInput(t(session.language, "modal.empty"))
    # The choice made when the modal opened stands, even if the mode became stricter meanwhile.
    anonymous = bool(meta.get("anonymous")) or session.anonymity == "anonymous"
    reply = _new_reply(h, session, prompt.id, user_id, anonymous, text, "modal", origin=f"view:{view.get('id')}")
    if _store(h, reply, user_id, None):
        # Privately, in the channel: the modal has closed, and an anonymous answer shows up without a name.
        h.later(lambda: h.client.chat_postEphemeral(channel=session.channel, user=user_id,
                                                    text=t(session.language, "modal.thanks")))
    return reply
