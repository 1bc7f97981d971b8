"""Slack payload rules shared by the Web API and the event builders: blocks, views, cursors, reactions."""

from __future__ import annotations

import base64
import copy
import json
import random
import string
from typing import Any, Callable, List, Optional, Tuple

from .workspace import SlackError, ts_key

_BID = string.ascii_letters + string.digits


def missing(field: str) -> SlackError:
    """Slack's answer to an absent required argument."""
    return SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] missing required field: {field}"]})


def truthy(v: Any) -> bool:
    """Form booleans arrive as 1/0 or true/false; JSON ones as real booleans."""
    return v is True or str(v).lower() in ("1", "true")


def elements(block: dict) -> List[dict]:
    """The interactive elements of a block."""
    # Interactive elements live in actions.elements, section.accessory and input.element.
    if block.get("type") == "actions":
        return [e for e in block.get("elements", []) if isinstance(e, dict)]
    found = block.get("accessory") if isinstance(block.get("accessory"), dict) else block.get("element")
    return [found] if isinstance(found, dict) else []


def find_element(blocks: Optional[list], action_id: str, block_id: Optional[str] = None) -> Tuple[Optional[dict], Optional[dict]]:
    """(block, element) holding action_id, optionally restricted to block_id."""
    for b in blocks or []:
        if block_id and b.get("block_id") != block_id:
            continue
        for el in elements(b):
            if el.get("action_id") == action_id:
                return b, el
    return None, None


def normalize_blocks(blocks: Any, where: str = "message") -> Optional[list]:
    """Validate blocks like Slack and fill in the block_id/action_id values Slack generates."""
    if blocks is None:
        return None
    err = "invalid_blocks" if where == "message" else "invalid_arguments"
    prefix = "" if where == "message" else "/view"

    def bad(msg: str, ptr: str) -> SlackError:
        return SlackError(err, response_metadata={"messages": [f"[ERROR] {msg} [json-pointer:{prefix}/blocks{ptr}]"]})

    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            raise SlackError("invalid_blocks_format")
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    limit = 50 if where == "message" else 100
    if len(blocks) > limit:
        raise bad(f"no more than {limit} items allowed", "")
    out, seen = copy.deepcopy(blocks), set()
    for i, b in enumerate(out):
        if not isinstance(b, dict) or not b.get("type"):
            raise bad("missing required field: type", f"/{i}")
        text = b.get("text") if isinstance(b.get("text"), dict) else {}
        if b["type"] == "section" and len(text.get("text", "")) > 3000:
            raise bad("must be less than 3001 characters", f"/{i}/text/text")
        if b["type"] == "header" and len(text.get("text", "")) > 150:
            raise bad("must be less than 151 characters", f"/{i}/text/text")
        if b["type"] == "input" and not isinstance(b.get("element"), dict):
            raise bad("missing required field: element", f"/{i}")
        # Slack invents ids for blocks/elements that have none; the app then sees those in payloads.
        b.setdefault("block_id", "".join(random.choice(_BID) for _ in range(4)))
        if b["block_id"] in seen:
            raise bad(f"duplicate block_id: {b['block_id']}", f"/{i}/block_id")
        seen.add(b["block_id"])
        for el in elements(b):
            el.setdefault("action_id", "".join(random.choice(_BID) for _ in range(4)))
    return out


def check_view(view: Any, kind: str) -> dict:
    """Validate a modal/home view the way views.* do (title length, submit with inputs, sizes)."""
    if view is None or view == "":
        raise missing("view")
    if isinstance(view, str):
        try:
            view = json.loads(view)
        except ValueError:
            raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] failed to parse view"]})
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments")

    def bad(msg: str, ptr: str) -> SlackError:
        return SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {msg} [json-pointer:/view{ptr}]"]})

    if view.get("type") != kind:
        raise bad(f"must be '{kind}'", "/type")
    blocks = normalize_blocks(view.get("blocks", []), "view")
    if kind == "modal":
        if not view.get("title"):
            raise bad("missing required field: title", "")
        for key in ("title", "submit", "close"):
            if isinstance(view.get(key), dict) and len(view[key].get("text", "")) > 24:
                raise bad("must be less than 25 characters", f"/{key}/text")
        if any(b["type"] == "input" for b in blocks) and not view.get("submit"):
            raise bad("submit is required when an input block is present", "")
    if len(str(view.get("private_metadata", ""))) > 3000:
        raise bad("must be less than 3001 characters", "/private_metadata")
    if len(str(view.get("callback_id", ""))) > 255:
        raise bad("must be less than 256 characters", "/callback_id")
    return {**view, "blocks": blocks}


def paginate(items: list, a: dict, key: Callable[[Any], str], prefix: str, default: int = 100) -> Tuple[list, str]:
    """Slack cursor pagination: the cursor is base64('<prefix>:<key of next item>')."""
    try:
        limit = int(a.get("limit") or default)
    except ValueError:
        raise SlackError("invalid_limit")
    limit = min(limit if limit > 0 else default, 1000)
    start = 0
    if a.get("cursor"):
        try:
            p, _, k = base64.b64decode(a["cursor"]).decode().partition(":")
            start = [key(x) for x in items].index(k) if p == prefix else -1
        except (ValueError, UnicodeDecodeError):
            start = -1
        if start < 0:
            raise SlackError("invalid_cursor")
    end = start + limit
    nxt = base64.b64encode(f"{prefix}:{key(items[end])}".encode()).decode() if end < len(items) else ""
    return items[start:end], nxt


def window(msgs: list, a: dict) -> list:
    """Messages between oldest and latest (exclusive unless inclusive=true)."""
    # oldest/latest bound history and replies, exclusive unless inclusive=true.
    inc = truthy(a.get("inclusive"))
    lo = ts_key(a["oldest"]) if a.get("oldest") else None
    hi = ts_key(a["latest"]) if a.get("latest") else None
    keep = []
    for m in msgs:
        k = ts_key(m["ts"])
        if lo is not None and (k < lo or (k == lo and not inc)):
            continue
        if hi is not None and (k > hi or (k == hi and not inc)):
            continue
        keep.append(m)
    return keep


def set_reaction(msg: dict, name: str, user: str, add: bool) -> None:
    """Add or remove one user's reaction on a stored message (already_reacted / no_reaction)."""
    name = name.strip(":")
    reactions = msg.setdefault("reactions", [])
    entry = next((r for r in reactions if r["name"] == name), None)
    if add:
        if entry and user in entry["users"]:
            raise SlackError("already_reacted")
        if entry is None:
            entry = {"name": name, "users": [], "count": 0}
            reactions.append(entry)
        entry["users"].append(user)
    else:
        if entry is None or user not in entry["users"]:
            raise SlackError("no_reaction")
        entry["users"].remove(user)
        if not entry["users"]:
            reactions.remove(entry)
    if entry in reactions:
        entry["count"] = len(entry["users"])
    if not reactions:
        msg.pop("reactions")
