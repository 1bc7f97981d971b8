"""Block Kit: pure functions from domain records to Slack message and view JSON (no I/O)."""

from __future__ import annotations

import json

MAX_BUTTON = 75  # Slack's limit for a button's text
MAX_OPTION = 75


def section(text: str, accessory: dict | None = None, block_id: str | None = None) -> dict:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150], "emoji": True}}


def divider() -> dict:
    return {"type": "divider"}


def plain(text: str, limit: int = 2000) -> dict:
    return {"type": "plain_text", "text": text[:limit], "emoji": True}


def button(text: str, action_id: str, value: str = "", style: str | None = None, confirm: dict | None = None) -> dict:
    element = {"type": "button", "text": plain(text, MAX_BUTTON), "action_id": action_id, "value": value[:2000]}
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def actions(*elements: dict, block_id: str | None = None) -> dict:
    block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def confirm(title: str, text: str, yes: str, no: str, danger: bool = True) -> dict:
    dialog = {"title": plain(title, 100), "text": {"type": "mrkdwn", "text": text[:300]},
              "confirm": plain(yes, 30), "deny": plain(no, 30)}
    if danger:
        dialog["style"] = "danger"
    return dialog


def option(text: str, value: str, description: str | None = None) -> dict:
    found = {"text": plain(text, MAX_OPTION), "value": value[:150]}
    if description:
        found["description"] = plain(description, 75)
    return found


def value(payload: dict) -> str:
    """A button value carrying a small JSON object (ids and a wanted state, never personal data)."""
    return json.dumps(payload, separators=(",", ":"))


def message(text: str, blocks: list[dict] | None = None) -> dict:
    """chat.postMessage arguments: the fallback text (notifications, screen readers) and the blocks."""
    return {"text": text[:3000], "blocks": blocks if blocks is not None else [section(text)]}
