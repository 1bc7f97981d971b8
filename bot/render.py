"""Block Kit: pure functions from domain data to Slack message and view JSON."""

from __future__ import annotations

import json

from bot.i18n import t
from bot.model import Prompt, Reply, Session

PROMPT_EVENT = "hvis_prompt"
ANSWER_EVENT = "hvis_answer"
ANSWER_CALLBACK = "hvis_answer"
MAX_ANSWER = 3000


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    button = {"type": "button", "text": {"type": "plain_text", "text": text, "emoji": True},
              "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button


def answer_buttons(session: Session) -> list[tuple[str, bool]]:
    """(label key, anonymous?) for each answer button the session's anonymity mode offers."""
    return {
        "named": [("button.answer", False)],
        "confidential": [("button.answer_confidential", False)],
        "anonymous": [("button.answer_anonymously", True)],
        "choice": [("button.answer", False), ("button.answer_anonymously", True)],
    }[session.anonymity]


def prompt_message(session: Session, prompt: Prompt, closed: bool = False) -> dict:
    """The chat.postMessage arguments for a prompt: text, blocks and metadata naming session and prompt.

    A closed prompt keeps its text but loses its buttons and says it is closed.
    """
    lang = session.language
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": t(lang, "prompt.header"), "emoji": True}},
        _section(f"*{prompt.text}*"),
    ]
    if prompt.help:
        blocks.append(_context(prompt.help))
    if prompt.kind == "vote":
        blocks.append(_section("\n".join(f"• {option}" for option in prompt.options)))
    if prompt.kind == "scale" and prompt.scale_labels:
        blocks.append(_context(t(lang, "prompt.scale_range", low=prompt.scale_labels[0], high=prompt.scale_labels[1])))
    blocks.append(_context(t(lang, f"prompt.how_{prompt.kind}") + "\n" + t(lang, f"mode.{session.anonymity}")))
    buttons = [
        _button(t(lang, key), "answer_anonymously" if anonymous else "answer", str(prompt.id),
                None if anonymous else "primary")
        for key, anonymous in answer_buttons(session)
    ]
    if closed:
        blocks.append(_context(f"🔒 {t(lang, 'prompt.closed')}"))
    else:
        blocks.append({"type": "actions", "block_id": f"prompt-{prompt.id}", "elements": buttons})
    return {
        "text": f"{t(lang, 'prompt.header')} {prompt.text}",
        "blocks": blocks,
        "metadata": {"event_type": PROMPT_EVENT,
                     "event_payload": {"session_id": session.id, "prompt_id": prompt.id, "prompt_key": prompt.key}},
    }


def find_posted(messages: list[dict], event_type: str, key: str, value: object) -> str | None:
    """The ts of the message our metadata marks as `event_type` with `key` = `value`, if Slack has one."""
    for message in messages:
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == event_type and (metadata.get("event_payload") or {}).get(key) == value:
            return message["ts"]
    return None


def answer_modal(session: Session, prompt: Prompt, anonymous: bool) -> dict:
    """The answer modal for a prompt; private_metadata carries only ids and the anonymity choice."""
    lang = session.language
    note = "modal.anonymous_note" if anonymous else (
        "modal.named_note" if session.anonymity in ("named", "choice") else "modal.confidential_note")
    if prompt.kind == "open":
        element = {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": MAX_ANSWER,
                   "placeholder": {"type": "plain_text", "text": t(lang, "modal.placeholder")}}
        label = t(lang, "modal.label")
    else:
        choices = prompt.options if prompt.kind == "vote" else [str(n) for n in range(1, 6)]
        element = {"type": "radio_buttons", "action_id": "value", "options": [
            {"text": {"type": "plain_text", "text": choice[:75]}, "value": choice} for choice in choices]}
        label = t(lang, "modal.choose" if prompt.kind == "vote" else "modal.scale")
    return {
        "type": "modal",
        "callback_id": ANSWER_CALLBACK,
        "private_metadata": json.dumps({"prompt_id": prompt.id, "anonymous": anonymous}),
        "title": {"type": "plain_text", "text": t(lang, "modal.title")},
        "submit": {"type": "plain_text", "text": t(lang, "modal.submit")},
        "close": {"type": "plain_text", "text": t(lang, "modal.close")},
        "blocks": [
            _section(f"*{prompt.text}*"),
            {"type": "input", "block_id": "answer", "label": {"type": "plain_text", "text": label}, "element": element},
            _context(t(lang, note)),
        ],
    }


def answer_post(session: Session, reply: Reply) -> dict:
    """The bot's post of a modal answer into the prompt's thread, named only where the mode allows."""
    lang = session.language
    if reply.anonymous:
        byline = t(lang, "answer.anonymous")
    elif session.anonymity in ("named", "choice") and reply.user_id:
        byline = t(lang, "answer.named", user=reply.user_id)
    else:
        byline = t(lang, "answer.hidden")
    text = escape(reply.text, MAX_ANSWER)
    return {
        "text": f"{byline} {text}",
        "blocks": [_context(byline), _section(text),
                   {"type": "actions", "block_id": "vote", "elements": [
                       _button(t(lang, "button.support"), "vote", reply.id)]}],
        "metadata": {"event_type": ANSWER_EVENT, "event_payload": {"reply_id": reply.id}},
    }


def facilitator_notice(session: Session, prompt: Prompt, text: str) -> dict:
    """A direct message about a prompt that did not go out, with a *Post now* button."""
    lang = session.language
    return {"text": text, "blocks": [
        _section(text),
        {"type": "actions", "elements": [_button(t(lang, "button.post_now"), "post_now", str(prompt.id), "primary")]},
    ]}


def reminder(session: Session, answered: int) -> dict:
    """A nudge in the prompt's thread: how many have answered, never who."""
    lang = session.language
    text = t(lang, "reminder.some", count=answered) if answered else t(lang, "reminder.none")
    return {"text": text}


def escape(text: str, limit: int | None = None) -> str:
    """Participants' text shown as mrkdwn: `<!channel>` or `<@U…>` typed into an answer must stay text.

    With `limit`, the escaped text is cut to fit (Slack's section limit), never inside an entity.
    """
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if limit is None or len(escaped) <= limit:
        return escaped
    cut = escaped[:limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def text_message(text: str) -> dict:
    return {"text": text, "blocks": [_section(text)]}


def wrapup(data: dict) -> dict:
    """The short wrap-up posted in the channel: totals and the most supported idea, never names."""
    language = data["session"]["language"]
    text = t(language, "wrapup.text", title=data["session"]["title"], prompts=len(data["prompts"]),
             replies=data["stats"]["replies"], participants=data["stats"]["participants"])
    replies = [r for p in data["prompts"] for r in p["replies"] if r["votes"]]
    if replies:
        best = max(replies, key=lambda r: r["votes"])
        text += "\n" + t(language, "wrapup.top", text=escape(best["text"], 200), votes=best["votes"])
    return text_message(text)
