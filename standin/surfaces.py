"""Surfaces the app draws on outside channels: modals (views.*), the Home tab, and response_url answers."""

from __future__ import annotations

from typing import Callable, Dict, Tuple

from .formats import check_view, missing, normalize_blocks, truthy
from .methods import post_bot_message
from .workspace import SlackError, Workspace


def _modal_with_trigger(ws: Workspace, a: dict):
    """The trigger, the checked modal and the user the trigger was issued to (triggers are single-use)."""
    trigger = a.get("trigger_id") or a.get("interactivity_pointer")
    if not trigger:
        raise missing("trigger_id")
    view = check_view(a.get("view"), "modal")
    return trigger, view, ws.consume_trigger(trigger)


def views_open(api, a):
    """views.open: open a modal with a fresh, unused trigger_id."""
    ws = api.ws
    trigger, view, user = _modal_with_trigger(ws, a)
    v = ws.store_view(view, user, "modal", trigger_id=trigger)
    ws.stacks[user] = [v["id"]]
    return {"view": v}


def views_push(api, a):
    """views.push: push a modal onto the user's open stack (max 3)."""
    ws = api.ws
    trigger, view, user = _modal_with_trigger(ws, a)
    stack = ws.stacks.get(user) or []
    if not stack:
        raise SlackError("view_not_found")
    if len(stack) >= 3:
        raise SlackError("push_limit_reached")
    v = ws.store_view(view, user, "modal", trigger_id=trigger, previous=stack[-1], root=stack[0])
    stack.append(v["id"])
    return {"view": v}


def views_update(api, a):
    """views.update: replace a view by view_id or external_id (optional hash check)."""
    ws = api.ws
    if not a.get("view_id") and not a.get("external_id"):
        raise missing("view_id")
    cur = ws.find_view(a.get("view_id"), a.get("external_id"))
    if a.get("hash") and a["hash"] != cur["hash"]:
        raise SlackError("hash_conflict")
    meta = ws.view_meta[cur["id"]]
    v = ws.store_view(check_view(a.get("view"), cur["type"]), meta["user"], meta["kind"], view_id=cur["id"])
    if meta["kind"] == "home":
        ws.home_views[meta["user"]] = v
    return {"view": v}


def views_publish(api, a):
    """views.publish: set a user's Home tab."""
    ws = api.ws
    if not a.get("user_id"):
        raise missing("user_id")
    user = ws.user(a["user_id"])["id"]
    view = check_view(a.get("view"), "home")
    old = ws.home_views.get(user)
    if a.get("hash") and old and a["hash"] != old["hash"]:
        raise SlackError("hash_conflict")
    v = ws.store_view(view, user, "home", view_id=old["id"] if old else None)
    ws.home_views[user] = v
    return {"view": v}


def response_url(api, ctx: dict, a: dict) -> None:
    """Apply a POST to a response_url the way Slack does (ephemeral, in_channel, replace or delete)."""
    ws, channel = api.ws, ctx.get("channel")
    original = ws.find(channel, ctx.get("message_ts")) if channel and ctx.get("message_ts") else None
    if truthy(a.get("delete_original")):
        if original is not None:
            ws.remove(channel, original["ts"])
        return
    text, blocks = a.get("text"), normalize_blocks(a.get("blocks"))
    if truthy(a.get("replace_original")) and original is not None and original.get("bot_id") == ws.bot_id:
        original["text"] = text or ""
        if blocks is not None:
            original["blocks"] = blocks
        original["edited"] = {"user": ws.bot_user_id, "ts": ws.next_ts()}
    elif a.get("response_type") == "in_channel" and channel:
        post_bot_message(api, channel, text, blocks, a.get("attachments"), thread_ts=a.get("thread_ts"))
    else:
        ws.ephemerals.append({"channel": channel, "user": ctx.get("user"), "ts": ws.next_ts(), "text": text or "",
                              "blocks": blocks, "attachments": a.get("attachments"),
                              "thread_ts": a.get("thread_ts"), "source": "response_url"})


def apply_response_action(ws: Workspace, user: str, view_id: str, body: dict) -> None:
    """Apply a view_submission ack: update, push, clear, errors, or (plain 200) close the submitted view."""
    action = body.get("response_action")
    with ws.lock:
        stack = ws.stacks.setdefault(user, [])
        if action == "update":
            ws.store_view(check_view(body.get("view"), "modal"), user, "modal", view_id=view_id)
        elif action == "push":
            v = ws.store_view(check_view(body.get("view"), "modal"), user, "modal", previous=stack[-1], root=stack[0])
            stack.append(v["id"])
        elif action == "clear":
            stack.clear()
        elif action != "errors" and view_id in stack:
            stack.remove(view_id)


# name -> (handler, scopes of which any one suffices); merged with methods.METHODS by the server
SURFACE_METHODS: Dict[str, Tuple[Callable, Tuple[str, ...]]] = {
    "views.open": (views_open, ()),
    "views.push": (views_push, ()),
    "views.update": (views_update, ()),
    "views.publish": (views_publish, ()),
}
