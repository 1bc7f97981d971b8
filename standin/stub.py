"""SlackStandIn: a local Slack — Web API server plus the Events API / interactivity side that calls the app."""

from __future__ import annotations

import copy
import json
import secrets
import threading
import uuid
from typing import Any, Callable, Dict, List, Optional

from .delivery import (
    Delivery,
    SignedSender,
    action_for,
    block_actions,
    channel_name,
    encode,
    envelope,
    message_event,
    state_values,
    stored_copy,
    user_ref,
    view_actions,
)
from .formats import find_element, set_reaction
from .methods import DEFAULT_SCOPES
from .server import ApiServer, Call
from .socket_mode import SocketModeServer, socket_envelope
from .surfaces import apply_response_action
from .workspace import SlackError, Workspace, rich_text


class SlackStandIn:
    """A loopback Slack workspace the bot talks to with the real slack_sdk / Bolt."""

    def __init__(self, signing_secret: str = "standin-signing-secret", team_id: str = "T0HVIS",
                 team_name: str = "Hvis Kommune", bot_user_id: str = "UHVISBOT", bot_id: str = "BHVISBOT",
                 scopes=DEFAULT_SCOPES, *, app_id: str = "A0HVISAPP", team_domain: str = "hvis-demo",
                 bot_name: str = "hvis", bot_token: Optional[str] = None, host: str = "127.0.0.1", port: int = 0,
                 request_url: Optional[str] = None, echo_bot_messages: bool = False, app_mention_events: bool = False,
                 verification_token: str = "standin-verification-token", enforce_scopes: bool = True,
                 delivery_timeout: float = 10.0, trigger_ttl: float = 3.0, app_token: Optional[str] = None,
                 socket_mode: bool = False):
        self.signing_secret = signing_secret
        self.ws = Workspace(team_id, team_name, team_domain, bot_user_id, bot_id, bot_name, app_id)
        self.ws.trigger_ttl = trigger_ttl
        self.bot_token = bot_token or f"xoxb-standin-{team_id.lower()}-{secrets.token_hex(8)}"
        self.request_url = request_url
        self.socket_mode = socket_mode                  # deliver over the Socket Mode WebSocket instead of HTTP
        self.echo_bot_messages = echo_bot_messages      # deliver `message` events for the bot's own posts
        self.app_mention_events = app_mention_events    # also send app_mention when a user @-mentions the bot
        self.verification_token = verification_token
        self.delivery_timeout = delivery_timeout
        self.deliveries: List[Delivery] = []             # everything delivered, including async echoes
        self.delivery_errors: List[BaseException] = []   # failures of async (echo) deliveries
        self._host, self._port = host, port
        self._sockets = SocketModeServer(app_id, host)
        self._api = ApiServer(self.ws, self.bot_token, scopes, enforce_scopes, on_bot_message=self._echo,
                              app_token=app_token or f"xapp-1-standin-{app_id.lower()}-{secrets.token_hex(8)}",
                              sockets=self._sockets)

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self, port: Optional[int] = None) -> "SlackStandIn":
        """Serve on 127.0.0.1 (port 0 = any free port) in a daemon thread."""
        self._api.start(self._host, self._port if port is None else port)
        return self

    def stop(self) -> None:
        """Shut the servers down (Web API first, so a connected app cannot open a new link meanwhile)."""
        self._api.stop()
        self._sockets.stop()

    def __enter__(self) -> "SlackStandIn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>"""
        return self._api.base_url

    @property
    def api_url(self) -> str:
        """Pass as WebClient(base_url=...)."""
        return self._api.base_url + "/api/"

    @property
    def app_token(self) -> str:
        """The app-level token (xapp-…) that apps.connections.open accepts."""
        return self._api.app_token

    @app_token.setter
    def app_token(self, token: str) -> None:
        self._api.app_token = token

    @property
    def team_id(self) -> str:
        """The workspace's team id."""
        return self.ws.team_id

    @property
    def trigger_ttl(self) -> float:
        """Seconds a trigger_id stays usable (Slack: 3)."""
        return self.ws.trigger_ttl

    @trigger_ttl.setter
    def trigger_ttl(self, seconds: float) -> None:
        self.ws.trigger_ttl = seconds

    @property
    def scopes(self) -> tuple:
        """Bot scopes (sent as x-oauth-scopes and enforced per method)."""
        return self._api.scopes

    # ---- workspace ----------------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, **kwargs: Any) -> dict:
        """Add a user (real_name, is_restricted, is_ultra_restricted, is_bot, tz, deleted, email, display_name)."""
        return self.ws.add_user(user_id, name, **kwargs)

    def add_channel(self, channel_id: str, name: str, members=(), is_private: bool = False, **kwargs: Any) -> dict:
        """Add a channel; the bot is a member unless bot_member=False."""
        return self.ws.add_channel(channel_id, name, members=members, is_private=is_private, **kwargs)

    def add_usergroup(self, usergroup_id: str, handle: str, users) -> None:
        """Add a user group for usergroups.users.list."""
        with self.ws.lock:
            self.ws.usergroups[usergroup_id] = {"id": usergroup_id, "handle": handle, "users": list(users)}

    def dm_channel(self, user: str) -> str:
        """The bot↔user DM channel id (created on demand, as conversations.open would)."""
        return self.ws.dm_channel(user)

    def members(self, channel: str) -> List[str]:
        """Current member ids of a channel."""
        with self.ws.lock:
            return list(self.ws.members.get(channel, []))

    def _inspect(self, channel: str, msg: dict) -> dict:
        # For test code only: the keys tests read are always present (None when Slack would omit them).
        out = self.ws.render(channel, msg)
        for key in ("blocks", "thread_ts", "metadata", "subtype"):
            out.setdefault(key, None)
        return out

    def messages(self, channel: str) -> List[dict]:
        """Every message in the channel, thread replies included, in ts order (metadata included)."""
        with self.ws.lock:
            if channel not in self.ws.msgs:
                raise KeyError(f"unknown channel {channel}")
            return [self._inspect(channel, m) for m in self.ws.msgs[channel]]

    def message(self, channel: str, ts: str) -> Optional[dict]:
        """One stored message or None."""
        with self.ws.lock:
            msg = self.ws.find(channel, ts)
            return self._inspect(channel, msg) if msg else None

    def views_opened(self) -> List[dict]:
        """Modals the bot opened or pushed, oldest first, in their current state (+trigger_id, user, open)."""
        with self.ws.lock:
            out = []
            for vid, meta in sorted(self.ws.view_meta.items(), key=lambda kv: kv[1]["order"]):
                if meta["kind"] == "modal":
                    v = copy.deepcopy(self.ws.views[vid])
                    v.update(trigger_id=meta["trigger_id"], user=meta["user"],
                             open=vid in self.ws.stacks.get(meta["user"], []))
                    out.append(v)
            return out

    def last_view(self, user: Optional[str] = None) -> Optional[dict]:
        """The newest modal the bot opened (for `user`, if given)."""
        views = [v for v in self.views_opened() if user is None or v["user"] == user]
        return views[-1] if views else None

    def ephemerals(self, channel: Optional[str] = None, user: Optional[str] = None) -> List[dict]:
        """Ephemeral messages (chat.postEphemeral and ephemeral response_url answers)."""
        with self.ws.lock:
            return [copy.deepcopy(e) for e in self.ws.ephemerals
                    if (channel is None or e["channel"] == channel) and (user is None or e["user"] == user)]

    @property
    def home_views(self) -> Dict[str, dict]:
        """{user: view} published with views.publish."""
        with self.ws.lock:
            return copy.deepcopy(self.ws.home_views)

    @property
    def files(self) -> List[dict]:
        """Completed uploads: {id, filename, title, bytes, channel_id, thread_ts, initial_comment}."""
        with self.ws.lock:
            return copy.deepcopy(self.ws.files)

    # ---- call log and failure injection -----------------------------------------------------------
    @property
    def calls(self) -> List[Call]:
        """Every Web API call answered so far."""
        return self._api.calls.all()

    def calls_to(self, method: str) -> List[Call]:
        """Calls of one method."""
        return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0,
                 predicate: Optional[Callable[[Call], bool]] = None) -> List[Call]:
        """Wait for `count` successful calls of `method`; AssertionError listing what was seen otherwise."""
        return self._api.calls.wait_for(method, count, timeout, predicate)

    def reset_calls(self) -> None:
        """Clear the call log."""
        self._api.calls.reset()

    def inject(self, method: str, status: Optional[int] = None, retry_after: Optional[float] = None,
               error: Optional[str] = None, delay: Optional[float] = None, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail (429/500/503, ok:false error) and/or answer late."""
        retry = retry_after if retry_after is not None else (1 if status == 429 else None)
        self._api.injections.add(method, times=times, status=status, retry_after=retry, error=error, delay=delay)

    # ---- delivering to the app ------------------------------------------------------------------
    def deliver(self, payload: dict, retry_num: Optional[int] = None, retry_reason: str = "http_timeout",
                headers: Optional[Dict[str, str]] = None, timestamp: Optional[int] = None,
                sign: bool = True) -> Delivery:
        """Send (or re-send) a payload to the app: signed to request_url, or in Socket Mode over the WebSocket.

        In Socket Mode headers/timestamp/sign do not apply; retry_num becomes the envelope's retry_attempt.
        """
        event = payload.get("event") if isinstance(payload.get("event"), dict) else {}
        if self.socket_mode:
            d = self._deliver_socket(payload, retry_num, retry_reason)
        elif not self.request_url:  # nothing to deliver to: the effect is stored, nobody is told
            return Delivery(0, b"", {}, payload, event.get("ts"), payload.get("event_id"))
        else:
            body, ctype = encode(payload)
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason} if retry_num else {}
            extra.update(headers or {})
            sender = SignedSender(self.request_url, self.signing_secret, timeout=self.delivery_timeout)
            d = sender.post(body, ctype, timestamp=timestamp, extra_headers=extra, payload=payload, sign=sign)
        d.ts, d.event_id = event.get("ts"), payload.get("event_id")
        self.deliveries.append(d)
        return d

    def _deliver_socket(self, payload: dict, retry_num: Optional[int], retry_reason: str) -> Delivery:
        # The ack's payload plays the part of the HTTP response body, so callers read both the same way.
        env = socket_envelope(payload, retry_num or 0, retry_reason if retry_num else "")
        ack = self._sockets.send(env, self.delivery_timeout)
        if ack is None:  # no link, or no ack in time: Slack would count this as a failed delivery
            d = Delivery(0, b"", {}, payload)
        elif ack.get("payload") is None:
            d = Delivery(200, b"", {}, payload)
        else:
            d = Delivery(200, json.dumps(ack["payload"]).encode("utf-8"), {"Content-Type": "application/json"},
                         payload)
        d.envelope_id = env["envelope_id"]
        return d

    # ---- Socket Mode ------------------------------------------------------------------------------------
    def use_socket_mode(self, on: bool = True) -> "SlackStandIn":
        """Deliver everything over the app's Socket Mode connection (on=False: back to HTTP)."""
        self.socket_mode = on
        return self

    def socket_connections(self) -> int:
        """Open Socket Mode connections that receive deliveries (ones told to disconnect do not count)."""
        return len(self._sockets.live())

    def wait_for_socket(self, count: int = 1, timeout: float = 10.0) -> int:
        """Wait until `count` Socket Mode connections are open; AssertionError otherwise."""
        return self._sockets.wait_for_links(count, timeout)

    def disconnect_socket(self, reason: str = "refresh_requested", grace: float = 10.0) -> int:
        """Send Slack's `disconnect` message so the app reconnects; returns how many connections were told."""
        return self._sockets.disconnect(reason, grace)

    @property
    def socket_messages(self) -> List[dict]:
        """What the app sent over Socket Mode that was not an awaited ack (late or duplicate acks, other)."""
        with self._sockets.cond:
            return copy.deepcopy(self._sockets.received)

    def verify_url(self, challenge: Optional[str] = None) -> Delivery:
        """Send the url_verification handshake Slack does when the request URL is configured."""
        if self.socket_mode:
            raise ValueError("Socket Mode has no request URL to verify")
        return self.deliver({"token": self.verification_token, "challenge": challenge or secrets.token_urlsafe(24),
                             "type": "url_verification"})

    def _send_event(self, event: dict, channel: Optional[str] = None) -> Delivery:
        env = envelope(self.ws, event, self.verification_token, channel)
        with self.ws.lock:
            ch = self.ws.channels.get(channel or "", {})
            subscribed = not channel or ch.get("is_im") or self.ws.is_member(channel, self.ws.bot_user_id)
        if not subscribed:  # Slack only sends channel events for conversations the bot is in
            return Delivery(0, b"", {}, env, event.get("ts"), env["event_id"])
        return self.deliver(env)

    def _echo(self, channel: str, msg: dict) -> None:
        # Runs after chat.postMessage has been answered, like Slack's own event for the bot's post.
        if not self.echo_bot_messages or not (self.request_url or self.socket_mode):
            return
        with self.ws.lock:
            event = message_event(self.ws, channel, msg)
        if msg.get("files"):
            event["subtype"] = "file_share"
        env = envelope(self.ws, event, self.verification_token, channel)

        def run():
            try:
                self.deliver(env)
            except Exception as e:  # noqa: BLE001 - an unreachable app must not kill the server thread
                self.delivery_errors.append(e)
        threading.Thread(target=run, name="standin-echo", daemon=True).start()

    def _conversation(self, user: str, channel: str, need_member: bool = True) -> str:
        # Resolve a channel for acting as a user; test mistakes surface as ValueError, not as Slack errors.
        try:
            self.ws.user(user)
            if channel == self.ws.bot_user_id:
                channel = self.ws.dm_channel(user)
            cid = self.ws.channel(channel, for_bot=False)["id"]
        except SlackError as e:
            raise ValueError(f"{e.error}: user={user} channel={channel}") from None
        if need_member and not self.ws.is_member(cid, user):
            raise ValueError(f"{user} is not a member of {cid} (add them via members= or stub.join)")
        return cid

    def _stored(self, cid: str, ts: str) -> dict:
        msg = self.ws.find(cid, ts)
        if msg is None:
            raise ValueError(f"no message {ts} in {cid}")
        return msg

    # ---- acting as users ---------------------------------------------------------------------------
    def post_as_user(self, user: str, channel: str, text: str, thread_ts: Optional[str] = None) -> Delivery:
        """A user posts (or replies in a thread); delivers the `message` event. Delivery.ts is the new ts."""
        with self.ws.lock:
            cid = self._conversation(user, channel)
            msg = {"client_msg_id": str(uuid.uuid4()), "type": "message", "text": text, "user": user,
                   "ts": self.ws.next_ts(), "blocks": rich_text(text), "team": self.ws.team_id}
            try:
                self.ws.attach_to_thread(cid, msg, thread_ts)
            except SlackError as e:
                raise ValueError(f"{e.error}: thread_ts={thread_ts}") from None
            self.ws.insert(cid, msg)
            event = message_event(self.ws, cid, msg)
        d = self._send_event(event, cid)
        if self.app_mention_events and f"<@{self.ws.bot_user_id}>" in text and event["channel_type"] != "im":
            mention = {k: v for k, v in event.items() if k != "channel_type"}
            self._send_event({**mention, "type": "app_mention"}, cid)
        d.ts = msg["ts"]
        return d

    def edit_as_user(self, user: str, channel: str, ts: str, new_text: str) -> Delivery:
        """A user edits their message; delivers message_changed (message + previous_message)."""
        with self.ws.lock:
            cid = self._conversation(user, channel, need_member=False)
            msg = self._stored(cid, ts)
            if msg.get("user") != user or msg.get("bot_id"):
                raise ValueError(f"{user} can only edit their own messages")
            previous = stored_copy(msg)
            edit_ts = self.ws.next_ts()
            msg.update(text=new_text, blocks=rich_text(new_text), edited={"user": user, "ts": edit_ts})
            current = {**stored_copy(msg), "source_team": self.ws.team_id, "user_team": self.ws.team_id}
            event = {"type": "message", "subtype": "message_changed", "message": current,
                     "previous_message": previous, "channel": cid, "hidden": True, "ts": edit_ts,
                     "event_ts": edit_ts, "channel_type": self.ws.channel_type(cid)}
        d = self._send_event(event, cid)
        d.ts = ts
        return d

    def delete_as_user(self, user: str, channel: str, ts: str) -> Delivery:
        """A user deletes a message; delivers message_deleted (deleted_ts, previous_message)."""
        with self.ws.lock:
            cid = self._conversation(user, channel, need_member=False)
            previous = stored_copy(self._stored(cid, ts))
            self.ws.remove(cid, ts)
            del_ts = self.ws.next_ts()
            event = {"type": "message", "subtype": "message_deleted", "previous_message": previous, "channel": cid,
                     "hidden": True, "deleted_ts": ts, "event_ts": del_ts, "ts": del_ts,
                     "channel_type": self.ws.channel_type(cid)}
        d = self._send_event(event, cid)
        d.ts = ts
        return d

    def join(self, user: str, channel: str) -> List[Delivery]:
        """A user joins: member_joined_channel plus the channel_join message, both delivered."""
        with self.ws.lock:
            cid = self._conversation(user, channel, need_member=False)
            if self.ws.is_member(cid, user):
                raise ValueError(f"{user} is already a member of {cid}")
            self.ws.members[cid].append(user)
            ts = self.ws.next_ts()
            msg = self.ws.insert(cid, {"type": "message", "subtype": "channel_join", "ts": ts, "user": user,
                                       "text": f"<@{user}> has joined the channel"})
            joined = {"type": "member_joined_channel", "user": user, "channel": cid,
                      "channel_type": "G" if self.ws.channels[cid].get("is_private") else "C",
                      "team": self.ws.team_id, "event_ts": ts}
            message = message_event(self.ws, cid, msg)
        first = self._send_event(joined, cid)
        second = self._send_event(message, cid)
        first.ts = second.ts = ts
        return [first, second]

    def _reaction(self, user: str, channel: str, ts: str, name: str, add: bool) -> Delivery:
        with self.ws.lock:
            cid = self._conversation(user, channel, need_member=False)
            msg = self._stored(cid, ts)
            try:
                set_reaction(msg, name, user, add)
            except SlackError as e:
                raise ValueError(e.error) from None
            event = {"type": "reaction_added" if add else "reaction_removed", "user": user,
                     "reaction": name.strip(":"), "item": {"type": "message", "channel": cid, "ts": ts},
                     "event_ts": self.ws.next_ts()}
            if msg.get("user"):
                event["item_user"] = msg["user"]
        d = self._send_event(event, cid)
        d.ts = ts
        return d

    def react(self, user: str, channel: str, ts: str, name: str = "+1") -> Delivery:
        """A user adds a reaction; delivers reaction_added."""
        return self._reaction(user, channel, ts, name, True)

    def unreact(self, user: str, channel: str, ts: str, name: str = "+1") -> Delivery:
        """A user removes a reaction; delivers reaction_removed."""
        return self._reaction(user, channel, ts, name, False)

    def _response_url(self, channel: Optional[str], user: str, message_ts: Optional[str]) -> str:
        rid = secrets.token_hex(12)
        self.ws.response_urls[rid] = {"channel": channel, "user": user, "message_ts": message_ts}
        return f"{self.base_url}/response/{rid}"

    def click(self, user: str, channel: str, message_ts: str, action_id: str, value: Any = None,
              block_id: Optional[str] = None) -> Delivery:
        """A user clicks/selects an element of a message; delivers a block_actions payload."""
        ws = self.ws
        with ws.lock:
            cid = self._conversation(user, channel, need_member=False)
            msg = self._stored(cid, message_ts)
            block, element = find_element(msg.get("blocks"), action_id, block_id)
            if element is None:
                raise ValueError(f"message {message_ts} has no element action_id={action_id} block_id={block_id}")
            payload = block_actions(ws, user, cid, msg, self.verification_token, ws.issue_trigger(user, cid),
                                    self._response_url(cid, user, message_ts),
                                    action_for(element, action_id, block["block_id"], value, ws.next_ts()))
        return self.deliver(payload)

    def click_view(self, user: str, view_id: str, action_id: str, value: Any = None,
                   block_id: Optional[str] = None) -> Delivery:
        """A user clicks an element inside an open modal or their Home tab; delivers block_actions with the view."""
        ws = self.ws
        with ws.lock:
            if view_id not in ws.views:
                raise ValueError(f"no view {view_id}")
            meta = ws.view_meta[view_id]
            if meta["user"] != user:
                raise ValueError(f"view {view_id} belongs to {meta['user']}, not {user}")
            if meta["kind"] == "modal" and view_id not in ws.stacks.get(user, []):
                raise ValueError(f"view {view_id} is not open for {user}")
            view = copy.deepcopy(ws.views[view_id])
            block, element = find_element(view.get("blocks"), action_id, block_id)
            if element is None:
                raise ValueError(f"view {view_id} has no element action_id={action_id} block_id={block_id}")
            payload = view_actions(ws, user, view, self.verification_token, ws.issue_trigger(user, meta.get("channel")),
                                   action_for(element, action_id, block["block_id"], value, ws.next_ts()))
        return self.deliver(payload)

    def click_home(self, user: str, action_id: str, value: Any = None) -> Delivery:
        """A user clicks a button in the Home tab the app published for them."""
        with self.ws.lock:
            view = self.ws.home_views.get(user)
        if view is None:
            raise ValueError(f"no Home tab published for {user}")
        return self.click_view(user, view["id"], action_id, value)

    def submit_view(self, user: str, view_id: str, values: Optional[Dict[str, Dict[str, Any]]] = None) -> Delivery:
        """A user submits an open modal; delivers view_submission and applies the app's response_action."""
        ws = self.ws
        with ws.lock:
            if view_id not in ws.stacks.get(user, []):
                raise ValueError(f"view {view_id} is not open for {user}")
            view = copy.deepcopy(ws.views[view_id])
            view["state"] = {"values": state_values(view, values or {}, ws.view_meta[view_id].get("channel"))}
            ws.views[view_id]["state"] = copy.deepcopy(view["state"])
            payload = {"type": "view_submission", "team": {"id": ws.team_id, "domain": ws.team_domain},
                       "user": user_ref(ws, user), "api_app_id": ws.app_id, "token": self.verification_token,
                       "trigger_id": ws.issue_trigger(user), "view": view, "response_urls": [],
                       "is_enterprise_install": False, "enterprise": None}
        d = self.deliver(payload)
        if d.status == 200:  # otherwise Slack shows the user an error and leaves the modal open
            body = d.json()
            try:
                apply_response_action(self.ws, user, view_id, body if isinstance(body, dict) else {})
            except SlackError as e:
                self.delivery_errors.append(e)  # invalid view in the ack: Slack keeps the modal as it was
        return d

    def slash(self, user: str, channel: str, text: str, command: str = "/hvis") -> Delivery:
        """A user runs a slash command; delivers Slack's form post (with trigger_id and response_url)."""
        ws = self.ws
        with ws.lock:
            cid = self._conversation(user, channel, need_member=False)
            payload = {"token": self.verification_token, "team_id": ws.team_id, "team_domain": ws.team_domain,
                       "channel_id": cid, "channel_name": channel_name(ws, cid), "user_id": user,
                       "user_name": ws.users[user]["name"], "command": command, "text": text,
                       "api_app_id": ws.app_id, "is_enterprise_install": "false",
                       "response_url": self._response_url(cid, user, None), "trigger_id": ws.issue_trigger(user, cid)}
        return self.deliver(payload)

    def open_home(self, user: str) -> Delivery:
        """A user opens the app's Home tab; delivers app_home_opened (with the published view, if any)."""
        with self.ws.lock:
            if user not in self.ws.users:
                raise ValueError(f"user_not_found: {user}")
            event = {"type": "app_home_opened", "user": user, "channel": self.ws.dm_channel(user), "tab": "home",
                     "event_ts": self.ws.next_ts()}
            if user in self.ws.home_views:
                event["view"] = copy.deepcopy(self.ws.home_views[user])
        return self._send_event(event)
