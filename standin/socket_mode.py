"""Socket Mode on loopback: apps.connections.open tickets, a small RFC 6455 server, envelopes and their acks."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import socket
import struct
import threading
import time
import uuid
from typing import Dict, List, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

from .workspace import SlackError

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_MESSAGE = 16 * 1024 * 1024       # far above anything Slack sends or the SDK acks
HANDSHAKE_TIMEOUT = 5.0
CLOSE_TIMEOUT = 2.0                  # how long a closing peer gets to answer our close frame
_WAITING = object()                  # an envelope sent and not acknowledged yet


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a client's Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1((key.strip() + GUID).encode("ascii")).digest()).decode("ascii")


def encode_frame(opcode: int, payload: bytes = b"", mask: bool = False, fin: bool = True) -> bytes:
    """One frame; servers send unmasked frames, clients masked ones (RFC 6455 §5.1)."""
    head = bytes([(0x80 if fin else 0) | opcode])
    bit, n = (0x80 if mask else 0), len(payload)
    if n <= 125:
        head += bytes([bit | n])
    elif n <= 0xFFFF:
        head += struct.pack("!BH", bit | 126, n)
    else:
        head += struct.pack("!BQ", bit | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def _read_exact(reader, n: int) -> bytes:
    data = reader.read(n) if n else b""
    if len(data) < n:
        raise EOFError("connection closed mid-frame")
    return data


def read_frame(reader) -> Tuple[bool, int, bool, bytes]:
    """(fin, opcode, masked, unmasked payload) of the next frame; EOFError when the peer is gone."""
    b1, b2 = _read_exact(reader, 2)
    n = b2 & 0x7F
    if n == 126:
        n = struct.unpack("!H", _read_exact(reader, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", _read_exact(reader, 8))[0]
    if n > MAX_MESSAGE:
        raise ValueError(f"frame of {n} bytes is too large")
    masked = bool(b2 & 0x80)
    key = _read_exact(reader, 4) if masked else b""
    data = _read_exact(reader, n)
    if masked:
        data = bytes(b ^ key[i % 4] for i, b in enumerate(data))
    return bool(b1 & 0x80), b1 & 0x0F, masked, data


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


class _Connection:
    """One WebSocket the app opened: a send lock, and a reader thread that answers pings and collects acks."""

    def __init__(self, server: "SocketModeServer", sock: socket.socket, peer) -> None:
        self.server, self.sock, self.peer = server, sock, peer
        self.reader = sock.makefile("rb")
        self.send_lock = threading.Lock()
        self.open = False          # handshake done and not closed
        self.draining = False      # told to disconnect: no new envelopes go here
        self.closing = False       # our close frame is out

    def send(self, opcode: int, payload: bytes = b"") -> bool:
        """Send one frame; False when the socket is gone."""
        with self.send_lock:
            if self.closing and opcode != OP_CLOSE:
                return False
            try:
                self.sock.sendall(encode_frame(opcode, payload))
                return True
            except OSError:
                return False

    def send_json(self, obj: dict) -> bool:
        """Send a text frame holding obj as JSON."""
        return self.open and self.send(OP_TEXT, json.dumps(obj).encode("utf-8"))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake; the reader finishes it (or gives up after CLOSE_TIMEOUT)."""
        with self.send_lock:
            if self.closing:
                return
            self.closing = True
            try:
                self.sock.sendall(encode_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode("utf-8")))
            except OSError:
                pass
        # A peer that never answers must not keep the reader (and the port) forever.
        timer = threading.Timer(CLOSE_TIMEOUT, self._abort)
        timer.daemon = True
        timer.start()

    def _abort(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the reader blocked in recv
        except OSError:
            pass

    def run(self) -> None:
        """Thread body: handshake, then frames until close or EOF."""
        try:
            if self._handshake():
                self._frames()
        except (EOFError, OSError, ValueError):
            pass  # the peer went away or broke the protocol: either way this link is over
        finally:
            self.open = False
            self.server._forget(self)
            for closer in (self.reader.close, self.sock.close):
                try:
                    closer()
                except OSError:
                    pass

    def _handshake(self) -> bool:
        self.sock.settimeout(HANDSHAKE_TIMEOUT)
        lines: List[str] = []
        while True:
            line = self.reader.readline(8192)
            if not line:
                return False
            if line in (b"\r\n", b"\n"):
                break
            lines.append(line.decode("latin-1").rstrip("\r\n"))
            if len(lines) > 100:
                return self._refuse(431, "Request Header Fields Too Large")
        method, _, rest = (lines[0] if lines else "").partition(" ")
        target = rest.rsplit(" ", 1)[0]
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])}
        url = urlsplit(target)
        if method != "GET" or url.path.rstrip("/") != "/link":
            return self._refuse(404, "Not Found")
        if (headers.get("upgrade", "").lower() != "websocket" or "upgrade" not in headers.get("connection", "").lower()
                or headers.get("sec-websocket-version") != "13" or not headers.get("sec-websocket-key")):
            return self._refuse(400, "Bad Request")
        ticket = (parse_qs(url.query).get("ticket") or [""])[0]
        if not self.server._redeem(ticket):
            return self._refuse(401, "Unauthorized")  # tickets are single-use, as Slack's are
        self.sock.settimeout(None)
        response = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Accept: {accept_key(headers['sec-websocket-key'])}\r\n\r\n").encode("ascii")
        with self.send_lock:  # hello must be the first frame, before any envelope another thread sends
            count = self.server._adopt(self)
            hello = {"type": "hello", "num_connections": count,
                     "debug_info": {"host": "applink-standin", "build_number": 1,
                                    "approximate_connection_time": 18060},
                     "connection_info": {"app_id": self.server.app_id}}
            self.sock.sendall(response + encode_frame(OP_TEXT, json.dumps(hello).encode("utf-8")))
        return True

    def _refuse(self, status: int, reason: str) -> bool:
        body = reason.encode("ascii")
        self.sock.sendall(f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
                          f"Connection: close\r\n\r\n".encode("ascii") + body)
        return False

    def _frames(self) -> None:
        parts: List[bytes] = []
        while True:
            fin, opcode, masked, data = read_frame(self.reader)
            if not masked:  # RFC 6455 §5.1: a server must fail the connection on unmasked client frames
                self.close(1002, "unmasked frame")
                continue
            if opcode == OP_PING:
                self.send(OP_PONG, data)
            elif opcode == OP_CLOSE:
                code = data[:2] if len(data) >= 2 else struct.pack("!H", 1000)
                with self.send_lock:
                    if not self.closing:  # echo the close, then the link is over
                        self.closing = True
                        self.sock.sendall(encode_frame(OP_CLOSE, code))
                return
            elif opcode in (OP_TEXT, OP_BINARY, OP_CONTINUATION):
                parts.append(data)
                if sum(map(len, parts)) > MAX_MESSAGE:
                    raise ValueError("message too large")
                if fin:
                    message, parts = b"".join(parts), []
                    self.server._received(message)
            # pongs and unknown opcodes need no answer


class SocketModeServer:
    """The WebSocket side of Socket Mode: issues tickets, accepts links, sends envelopes, waits for acks."""

    def __init__(self, app_id: str, host: str = "127.0.0.1", ping_interval: float = 0.1) -> None:
        self.app_id, self.host = app_id, host
        # Slack pings its links. It also matters here: slack_sdk's reader holds a lock inside recv (3 s timeout)
        # that its close()/reconnect must take, so frequent pings keep stopping and reconnecting quick.
        self.ping_interval = ping_interval
        self.cond = threading.Condition()
        self.received: List[dict] = []          # what the app sent that was not an ack
        self._listener: Optional[socket.socket] = None
        self._tickets: set = set()              # issued by apps.connections.open, not yet used
        self._conns: List[_Connection] = []     # handshake done, oldest first
        self._acks: Dict[str, object] = {}      # envelope_id -> _WAITING or the ack
        self._timers: List[threading.Timer] = []

    # ---- lifecycle -------------------------------------------------------------------------------
    def _ensure_listening(self) -> int:
        with self.cond:
            if self._listener is None:
                sock = socket.create_server((self.host, 0))
                sock.settimeout(0.05)  # lets the accept loop notice stop() quickly
                self._listener = sock
                threading.Thread(target=self._accept, args=(sock,), name="standin-socket-mode",
                                 daemon=True).start()
                threading.Thread(target=self._ping, args=(sock,), name="standin-socket-ping", daemon=True).start()
            return self._listener.getsockname()[1]

    def _accept(self, listener: socket.socket) -> None:
        while True:
            with self.cond:
                if self._listener is not listener:
                    return
            try:
                sock, peer = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Connection(self, sock, peer)
            threading.Thread(target=conn.run, name="standin-socket-link", daemon=True).start()

    def _ping(self, listener: socket.socket) -> None:
        while True:
            time.sleep(self.ping_interval)
            with self.cond:
                if self._listener is not listener:
                    return
                conns = [c for c in self._conns if c.open]
            for conn in conns:
                conn.send(OP_PING, b"ping")  # never empty: the SDK's parser waits for more after a 2-byte frame

    def stop(self) -> None:
        """Close every link (1001 going away) and the listener; pending deliveries give up."""
        with self.cond:
            listener, self._listener = self._listener, None
            conns, timers = list(self._conns), self._timers
            self._tickets.clear()
            self._timers = []
            for eid, ack in list(self._acks.items()):
                if ack is _WAITING:
                    del self._acks[eid]
            self.cond.notify_all()
        for timer in timers:
            timer.cancel()
        for conn in conns:
            conn.close(1001, "going away")
        if listener is not None:
            listener.close()

    # ---- Web API side ------------------------------------------------------------------------------
    def url(self) -> str:
        """A fresh single-use ws:// URL, as apps.connections.open returns (plain socket: port is not 443)."""
        port = self._ensure_listening()
        ticket = str(uuid.uuid4())
        with self.cond:
            self._tickets.add(ticket)
        return f"ws://{self.host}:{port}/link/?ticket={ticket}&app_id={secrets.token_hex(32)}"

    # ---- called by connections ----------------------------------------------------------------------
    def _redeem(self, ticket: str) -> bool:
        with self.cond:
            if ticket not in self._tickets:
                return False
            self._tickets.discard(ticket)
            return True

    def _adopt(self, conn: _Connection) -> int:
        with self.cond:
            conn.open = True
            self._conns.append(conn)
            draining = [c for c in self._conns if c.draining]
            self.cond.notify_all()
            count = len(self._conns) - len(draining)
        # The app has its new link: Slack retires the ones it asked to refresh.
        for old in draining:
            threading.Thread(target=old.close, args=(1001, "refreshed"), daemon=True).start()
        return count

    def _forget(self, conn: _Connection) -> None:
        with self.cond:
            if conn in self._conns:
                self._conns.remove(conn)
            self.cond.notify_all()

    def _received(self, raw: bytes) -> None:
        try:
            message = json.loads(raw.decode("utf-8"))
        except ValueError:
            message = {"raw": raw.decode("utf-8", "replace")}
        with self.cond:
            eid = message.get("envelope_id") if isinstance(message, dict) else None
            if eid is not None and self._acks.get(eid) is _WAITING:
                self._acks[eid] = message
                self.cond.notify_all()
            else:  # late acks, duplicates and anything else are kept for inspection
                self.received.append(message if isinstance(message, dict) else {"raw": message})

    # ---- delivering ----------------------------------------------------------------------------------
    def live(self) -> List[_Connection]:
        """Open links that receive envelopes (ones told to disconnect do not)."""
        with self.cond:
            return [c for c in self._conns if c.open and not c.draining and not c.closing]

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
        if not links[-1].send_json(envelope):
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
        links = self.live()
        with self.cond:
            for conn in links:
                conn.draining = True
            self.cond.notify_all()
        for conn in links:
            conn.send_json({"type": "disconnect", "reason": reason,
                            "debug_info": {"host": "applink-standin"}})
            timer = threading.Timer(grace, conn.close, args=(1001, reason))
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
