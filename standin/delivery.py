"""Requests Slack sends to an app: request signing, the HTTP sender and Events/interactivity payload builders."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import random
import string
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Dict, Optional
from urllib.parse import urlencode

from .formats import find_element

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


@dataclass
class Delivery:
    """The app's answer to one request the stand-in delivered."""

    status: int
    body: bytes
    headers: dict
    payload: dict = field(default_factory=dict)
    ts: Optional[str] = None
    event_id: Optional[str] = None
    envelope_id: Optional[str] = None   # set when it went over Socket Mode

    def json(self) -> Any:
        """The response body parsed as JSON (None when empty or not JSON)."""
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except ValueError:
            return None


def signature_for(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature: 'v0=' + hex HMAC-SHA256(secret, 'v0:{ts}:{body}')."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


class SignedSender:
    """Posts signed requests to an app's request URL; never raises on HTTP error statuses."""

    def __init__(self, url: str, signing_secret: str, timeout: float = 10.0):
        self.url, self.signing_secret, self.timeout = url, signing_secret, timeout
        # Deliveries go straight to loopback: an environment proxy must never intercept them.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def post(self, body: bytes, content_type: str, timestamp: Optional[int] = None, signature: Optional[str] = None,
             extra_headers: Optional[Dict[str, str]] = None, payload: Optional[dict] = None,
             sign: bool = True) -> Delivery:
        """POST body with Slack's headers; pass timestamp/signature to forge bad or stale requests."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {"Content-Type": content_type, "User-Agent": USER_AGENT, "Accept": "*/*"}
        if sign:  # sign=False omits both signing headers (an unsigned request)
            headers["X-Slack-Request-Timestamp"] = ts
            headers["X-Slack-Signature"] = signature if signature is not None else signature_for(
                self.signing_secret, ts, body)
        headers.update(extra_headers or {})
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                return Delivery(resp.status, resp.read(), dict(resp.headers.items()), payload or {})
        except urllib.error.HTTPError as e:  # 4xx/5xx are answers, not failures of delivery
            return Delivery(e.code, e.read() or b"", dict(e.headers.items()), payload or {})


def encode(payload: dict) -> tuple:
    """(body, content_type) exactly as Slack encodes that kind of payload."""
    if payload.get("type") in ("event_callback", "url_verification", "app_rate_limited"):
        return json.dumps(payload).encode("utf-8"), "application/json"
    if "command" in payload and "type" not in payload:  # slash commands are plain form posts
        return urlencode(payload).encode("utf-8"), "application/x-www-form-urlencoded"
    # block_actions, view_submission, shortcuts…: form post with a single JSON `payload` field
    return urlencode({"payload": json.dumps(payload)}).encode("utf-8"), "application/x-www-form-urlencoded"


def event_id() -> str:
    """A unique-looking Events API event_id (Ev…)."""
    return "Ev" + "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(10))


def envelope(ws, event: dict, verification_token: str, channel: Optional[str] = None) -> dict:
    """Wrap an event in Slack's event_callback envelope."""
    ctx = {"et": event["type"], "tid": ws.team_id, "aid": ws.app_id}
    if channel:
        ctx["cid"] = channel
    opaque = base64.urlsafe_b64encode(json.dumps(ctx, separators=(",", ":")).encode()).decode().rstrip("=")
    return {"token": verification_token, "team_id": ws.team_id, "context_team_id": ws.team_id,
            "context_enterprise_id": None, "api_app_id": ws.app_id, "event": event, "type": "event_callback",
            "event_id": event_id(), "event_time": int(float(event.get("event_ts") or time.time())),
            "authorizations": [{"enterprise_id": None, "team_id": ws.team_id, "user_id": ws.bot_user_id,
                                "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False, "event_context": "4-" + opaque}


def stored_copy(msg: dict) -> dict:
    """A message as events embed it (message_changed.message, previous_message): no metadata/reactions."""
    return {k: copy.deepcopy(v) for k, v in msg.items() if k not in ("metadata", "reactions")}


def message_event(ws, channel: str, msg: dict) -> dict:
    """The `message` event for a stored message (metadata is not part of message events)."""
    ev = stored_copy(msg)
    ev.update({"channel": channel, "event_ts": msg["ts"], "channel_type": ws.channel_type(channel)})
    return ev


def user_ref(ws, user: str) -> dict:
    """The {id, username, name, team_id} user object of interactive payloads."""
    name = ws.users[user]["name"] if user in ws.users else user
    return {"id": user, "username": name, "name": name, "team_id": ws.team_id}


def channel_name(ws, channel: str) -> str:
    """Channel name as interactive payloads carry it ('directmessage' for DMs)."""
    ch = ws.channels.get(channel, {})
    return "directmessage" if ch.get("is_im") else ch.get("name", channel)


def view_actions(ws, user: str, view: dict, token: str, trigger_id: str, action: dict) -> dict:
    """The block_actions payload for a click inside a modal or the Home tab (no channel, no response_url)."""
    return {"type": "block_actions", "user": user_ref(ws, user), "api_app_id": ws.app_id, "token": token,
            "container": {"type": "view", "view_id": view["id"]}, "trigger_id": trigger_id,
            "team": {"id": ws.team_id, "domain": ws.team_domain}, "enterprise": None, "is_enterprise_install": False,
            "view": view, "actions": [action]}


def block_actions(ws, user: str, channel: str, msg: dict, token: str, trigger_id: str, response_url: str,
                  action: dict) -> dict:
    """The block_actions payload for a click on a message element."""
    container = {"type": "message", "message_ts": msg["ts"], "channel_id": channel, "is_ephemeral": False}
    if msg.get("thread_ts") and msg["thread_ts"] != msg["ts"]:
        container["thread_ts"] = msg["thread_ts"]
    return {"type": "block_actions", "user": user_ref(ws, user), "api_app_id": ws.app_id, "token": token,
            "container": container, "trigger_id": trigger_id, "team": {"id": ws.team_id, "domain": ws.team_domain},
            "enterprise": None, "is_enterprise_install": False,
            "channel": {"id": channel, "name": channel_name(ws, channel)},
            "message": ws.render(channel, msg, include_metadata=False), "state": {"values": {}},
            "response_url": response_url, "actions": [action]}


def action_for(element: Optional[dict], action_id: str, block_id: str, value: Any, action_ts: str) -> dict:
    """One entry of block_actions.actions, shaped by the element's type."""
    el = element or {"type": "button"}
    act: Dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": el.get("type", "button"),
                           "action_ts": action_ts}
    t = act["type"]
    if t == "button":
        if el.get("text"):
            act["text"] = copy.deepcopy(el["text"])
        act["value"] = value
        if el.get("style"):
            act["style"] = el["style"]
    elif t in ("static_select", "external_select", "radio_buttons", "overflow"):
        act["selected_option"] = option_for(el, value)
    elif t in ("multi_static_select", "checkboxes"):
        act["selected_options"] = [option_for(el, v) for v in (value if isinstance(value, list) else [value])]
    else:
        act.update({k: v for k, v in state_for(el, value).items() if k != "type"})
    return act


def option_for(element: dict, value: Any) -> dict:
    """The option object of a select/radio element whose value matches."""
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options", [])
    for opt in options:
        if opt.get("value") == value:
            return copy.deepcopy(opt)
    return {"text": {"type": "plain_text", "text": str(value), "emoji": True}, "value": value}


_STATE_KEYS = {"users_select": "selected_user", "multi_users_select": "selected_users",
               "conversations_select": "selected_conversation", "multi_conversations_select": "selected_conversations",
               "channels_select": "selected_channel", "multi_channels_select": "selected_channels",
               "datepicker": "selected_date", "timepicker": "selected_time", "datetimepicker": "selected_date_time",
               "rich_text_input": "rich_text_value"}


def state_for(element: Optional[dict], value: Any) -> dict:
    """view.state.values entry for an element given the user's input (None = left empty)."""
    t = (element or {}).get("type", "plain_text_input")
    if isinstance(value, dict) and "type" in value:
        return copy.deepcopy(value)  # caller supplied Slack's exact shape
    if t in ("static_select", "external_select", "radio_buttons"):
        return {"type": t, "selected_option": None if value is None else option_for(element, value)}
    if t in ("multi_static_select", "multi_external_select", "checkboxes"):
        vals = [] if value is None else value if isinstance(value, list) else [value]
        return {"type": t, "selected_options": [option_for(element, v) for v in vals]}
    if t in _STATE_KEYS:
        return {"type": t, _STATE_KEYS[t]: [] if value is None and t.startswith("multi_") else value}
    return {"type": t, "value": value}


# Where an element's initial value lives, by element type (Slack submits it unless the user changed it).
_INITIAL = {"plain_text_input": "initial_value", "number_input": "initial_value", "email_text_input": "initial_value",
            "url_text_input": "initial_value", "static_select": "initial_option", "radio_buttons": "initial_option",
            "checkboxes": "initial_options", "multi_static_select": "initial_options", "datepicker": "initial_date",
            "timepicker": "initial_time", "users_select": "initial_user", "multi_users_select": "initial_users",
            "conversations_select": "initial_conversation", "multi_conversations_select": "initial_conversations",
            "channels_select": "initial_channel", "multi_channels_select": "initial_channels"}


def initial_state(element: dict, channel: Optional[str] = None) -> dict:
    """The state of an input nobody touched: its initial value (or, for a conversations select with
    default_to_current_conversation, the conversation the modal was opened from)."""
    t = element.get("type", "plain_text_input")
    initial = element.get(_INITIAL.get(t, ""))
    if initial is None and element.get("default_to_current_conversation") and channel:
        initial = [channel] if t.startswith("multi_") else channel
    if isinstance(initial, dict):  # an option object
        return {"type": t, "selected_option": copy.deepcopy(initial)}
    if t in ("checkboxes", "multi_static_select"):
        return {"type": t, "selected_options": copy.deepcopy(initial or [])}
    return state_for(element, initial)


def state_values(view: dict, values: Dict[str, Dict[str, Any]], channel: Optional[str] = None) -> dict:
    """view.state.values for a submission: every input block (initial values where untouched), plus what the
    user entered."""
    blocks = view.get("blocks") or []
    state = {b["block_id"]: {b["element"]["action_id"]: initial_state(b["element"], channel)}
             for b in blocks if b.get("type") == "input"}
    for bid, actions in values.items():
        for aid, val in actions.items():
            block, el = find_element(blocks, aid, bid)
            if el is None:  # tolerate a guessed block_id when the action_id is unambiguous
                block, el = find_element(blocks, aid)
            if el is None:
                raise ValueError(f"view {view.get('id')} has no element block_id={bid} action_id={aid}")
            state.setdefault(block["block_id"], {})[aid] = state_for(el, val)
    # The Slack client refuses to submit while a required input is empty, so no such payload can exist.
    empty = [b["block_id"] for b in blocks if b.get("type") == "input" and not b.get("optional")
             and not any(v for k, v in state[b["block_id"]][b["element"]["action_id"]].items() if k != "type")]
    if empty:
        raise ValueError(f"Slack would not submit: required input block(s) left empty: {empty}")
    return state
