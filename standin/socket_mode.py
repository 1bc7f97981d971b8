"""Socket Mode on loopback: apps.connections.open tickets, envelopes and their acks over a `websockets` server."""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from typing import Dict, List, Optional, Set, Union
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from .workspace import SlackError

MAX_MESSAGE = 16 * 1024 * 1024   # far above anything Slack sends or the SDK acks
OPEN_TIMEOUT = 2.0               # for the opening handshake; also bounds stop() for a peer that never sends one
PING_TIMEOUT = 10.0              # a link whose app stops answering pings is dropped, as Slack drops it
CLOSE_TIMEOUT = 0.5              # how long a closing app gets to hang up; slack_sdk hangs up at once
GOING_AWAY = 1001
_WAITING = object()              # an envelope sent and not acknowledged yet


def socket_envelope(payload: dict, retry_attempt: int = 0, retry_reason: str = "") -> dict:
    """Wrap an HTTP-mode body as the Socket Mode envelope Slack would send for it."""
    env: Dict[str, object] = {"envelope_id": str(uuid.uuid4()), "payload": payload}
    if payload.get("type") in ("event_callback", "app_rate_limited", "url_verification"):
        env.update(type="events_api", accepts_response_payload=False, retry_attempt=retry_attempt,
                   retry_reason=retry_reason)
    elif "command" in payload and "type" not in payload:
        env.update(type="slash_commands", accepts_response_payload=True)
    else:  # Slack only takes an answer in the ack where the HTTP response body would carry one
        kind = payload.get("type")
        env.update(type="interactive", accepts_response_payload=kind in ("view_submission", "block_suggestion"))
    return env


class SocketModeServer:
    """The WebSocket side of Socket Mode: issues tickets, accepts links, sends envelopes, waits for acks.

    The WebSocket protocol itself (handshake, frames, pings, closing) is the `websockets` library's threaded
    server; this class adds what is Slack's: single-use tickets, hello, envelopes, acks and `disconnect`.
    """

    def __init__(self, app_id: str, host: str = "127.0.0.1", ping_interval: Optional[float] = 0.1) -> None:
        self.app_id, self.host = app_id, host
        # Slack pings its links. It also matters here: slack_sdk's reader holds a lock inside recv (3 s timeout)
        # that its close()/reconnect must take, so frequent pings keep stopping and reconnecting quick.
        self.ping_interval = ping_interval
        self.cond = threading.Condition()
        self.received: List[dict] = []          # what the app sent that was not an ack
        self._server: Optional[Server] = None
        self._tickets: Set[str] = set()         # issued by apps.connections.open, not yet used
        self._links: List[ServerConnection] = []    # hello sent, oldest first
        self._draining: Set[ServerConnection] = set()  # told to disconnect: no new envelopes go there
        self._acks: Dict[str, object] = {}      # envelope_id -> _WAITING or the ack
        self._timers: List[threading.Timer] = []

    # ---- lifecycle -------------------------------------------------------------------------------
    def _ensure_listening(self) -> int:
        with self.cond:
            if self._server is None:
                self._server = serve(self._serve_link, self.host, 0, process_response=self._admit,
                                     open_timeout=OPEN_TIMEOUT, ping_interval=self.ping_interval,
                                     ping_timeout=PING_TIMEOUT, close_timeout=CLOSE_TIMEOUT, max_size=MAX_MESSAGE)
                # Link threads started from this daemon thread are daemons too: exit never waits for an open link.
                threading.Thread(target=self._server.serve_forever, name="standin-socket-mode", daemon=True).start()
            return self._server.socket.getsockname()[1]

    def stop(self) -> None:
        """Close every link (1001 going away) and stop listening; pending deliveries give up."""
        with self.cond:
            server, self._server = self._server, None
            timers, self._timers = self._timers, []
            links, self._links = self._links, []
            self._draining.clear()
            self._tickets.clear()
            for eid, ack in list(self._acks.items()):
                if ack is _WAITING:
                    del self._acks[eid]
            self.cond.notify_all()
        for timer in timers:
            timer.cancel()
        if server is not None:
            server.shutdown()  # stop listening
        for ws in links:  # websockets < 17 leaves open links alone when the server shuts down
            ws.close(GOING_AWAY, "going away")  # returns once the app hangs up, CLOSE_TIMEOUT at most

    # ---- Web API side ------------------------------------------------------------------------------
    def url(self) -> str:
        """A fresh single-use ws:// URL, as apps.connections.open returns (plain socket: port is not 443)."""
        port = self._ensure_listening()
        ticket = str(uuid.uuid4())
        with self.cond:
            self._tickets.add(ticket)
        return f"ws://{self.host}:{port}/link/?ticket={ticket}&app_id={secrets.token_hex(32)}"

    # ---- one link ------------------------------------------------------------------------------------
    def _admit(self, ws: ServerConnection, request: Request, response: Response) -> Optional[Response]:
        """Let a WebSocket upgrade through only on /link with an unused ticket, which it then spends."""
        if response.status_code != 101:  # not a valid upgrade: keep the library's answer and the ticket
            return None
        url = urlsplit(request.path)
        if url.path.rstrip("/") != "/link":
            return ws.respond(404, "Not Found\n")
        ticket = (parse_qs(url.query).get("ticket") or [""])[0]
        with self.cond:
            if ticket not in self._tickets:
                return ws.respond(401, "Unauthorized\n")  # tickets are single-use, as Slack's are
            self._tickets.discard(ticket)
        return None

    def _serve_link(self, ws: ServerConnection) -> None:
        """Handler thread of one link: hello first, then every message the app sends until the link closes."""
        retire = self._adopt(ws)
        if retire is None:  # stop() came between this link's handshake and now
            ws.close(GOING_AWAY, "going away")
            return
        # The app has its new link: Slack retires the ones it asked to refresh.
        for old in retire:
            threading.Thread(target=old.close, args=(GOING_AWAY, "refreshed"), daemon=True).start()
        try:
            for raw in ws:
                self._received(raw)
        except ConnectionClosed:
            pass  # slack_sdk hangs up without a close frame; either way this link is over
        finally:
            with self.cond:
                if ws in self._links:  # stop() may have let go of it already
                    self._links.remove(ws)
                self._draining.discard(ws)
                self.cond.notify_all()

    def _adopt(self, ws: ServerConnection) -> Optional[List[ServerConnection]]:
        """Send hello and count the link as live; the links it replaces, or None once stopped."""
        with self.cond:  # hello goes out before any envelope can: send() only picks adopted links
            if self._server is None:
                return None
            retire = [c for c in self._links if c in self._draining]
            self._links.append(ws)
            hello = {"type": "hello", "num_connections": len(self._links) - len(retire),
                     "debug_info": {"host": "applink-standin", "build_number": 1,
                                    "approximate_connection_time": 18060},
                     "connection_info": {"app_id": self.app_id}}
            try:
                ws.send(json.dumps(hello))
            except ConnectionClosed:
                pass  # the handler's loop ends at once
            self.cond.notify_all()
            return retire

    def _received(self, raw: Union[str, bytes]) -> None:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        try:
            message = json.loads(text)
        except ValueError:
            message = {"raw": text}
        with self.cond:
            eid = message.get("envelope_id") if isinstance(message, dict) else None
            if eid is not None and self._acks.get(eid) is _WAITING:
                self._acks[eid] = message
                self.cond.notify_all()
            else:  # late acks, duplicates and anything else are kept for inspection
                self.received.append(message if isinstance(message, dict) else {"raw": message})

    # ---- delivering ----------------------------------------------------------------------------------
    def live(self) -> List[ServerConnection]:
        """Open links that receive envelopes (ones told to disconnect do not)."""
        with self.cond:
            return [c for c in self._links if c not in self._draining]

    def wait_for_links(self, count: int = 1, timeout: float = 10.0) -> int:
        """Block until `count` links are live; AssertionError otherwise."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.live()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} Socket Mode connection(s) within {timeout}s, "
                                         f"got {len(self.live())}")
                self.cond.wait(min(left, 0.05))
            return len(self.live())

    def send(self, envelope: dict, timeout: float) -> Optional[dict]:
        """Send an envelope on the newest live link and wait for its ack; None if no link or no ack in time."""
        eid = envelope["envelope_id"]
        with self.cond:
            links = self.live()
            if not links:
                return None
            self._acks[eid] = _WAITING  # before sending: the ack may come back on another thread at once
        try:
            links[-1].send(json.dumps(envelope))
        except ConnectionClosed:
            with self.cond:
                self._acks.pop(eid, None)
            return None
        deadline = time.monotonic() + timeout
        with self.cond:
            # The SDK acks on its current link, which after a reconnect is not the one that carried the envelope.
            while self._acks.get(eid) is _WAITING and time.monotonic() < deadline:
                self.cond.wait(min(deadline - time.monotonic(), 0.05))
            ack = self._acks.pop(eid, None)
        return None if ack is _WAITING else ack

    def disconnect(self, reason: str = "refresh_requested", grace: float = 10.0) -> int:
        """Ask every live link to reconnect; Slack closes them once replaced, or after `grace` seconds."""
        with self.cond:
            links = self.live()
            self._draining.update(links)
            self.cond.notify_all()
        for ws in links:
            try:
                ws.send(json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-standin"}}))
            except ConnectionClosed:
                continue
            timer = threading.Timer(grace, ws.close, args=(GOING_AWAY, reason))
            timer.daemon = True
            with self.cond:
                self._timers.append(timer)
            timer.start()
        return len(links)


def apps_connections_open(api, a):
    """apps.connections.open: a WebSocket URL for Socket Mode (app-level token only)."""
    if getattr(api, "sockets", None) is None:
        raise SlackError("internal_error")
    return {"url": api.sockets.url()}


# Methods called with the app-level token (xapp-…); connections:write comes with that token.
SOCKET_METHODS = {"apps.connections.open": (apps_connections_open, ())}
APP_TOKEN_METHODS = frozenset(SOCKET_METHODS)
