"""Loopback HTTP server speaking Slack's Web API wire format, with a call log and failure injection."""

from __future__ import annotations

import collections
import copy
import json
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl, urlsplit

from .methods import METHODS as _CORE
from .socket_mode import APP_TOKEN_METHODS, SOCKET_METHODS
from .surfaces import SURFACE_METHODS, response_url
from .workspace import SlackError, Workspace

METHODS = {**_CORE, **SURFACE_METHODS, **SOCKET_METHODS}

# Fields Slack documents as JSON-encoded strings when sent as form data.
JSON_FIELDS = ("blocks", "attachments", "metadata", "view", "files", "user_auth_blocks")


@dataclass
class Call:
    """One request the stand-in answered (including injected failures)."""

    method: str
    args: dict
    headers: dict
    status: int
    at: float
    response: Optional[dict] = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """HTTP 200 with "ok": true — what slack_sdk treats as success."""
        return self.status == 200 and bool((self.response or {}).get("ok"))


class CallLog:
    """Thread-safe list of Calls with a blocking wait."""

    def __init__(self):
        self._calls: List[Call] = []
        self._cond = threading.Condition()

    def record(self, call: Call) -> None:
        """Append a call and wake waiters."""
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()

    def all(self) -> List[Call]:
        """Snapshot of every call so far."""
        with self._cond:
            return list(self._calls)

    def reset(self) -> None:
        """Forget every call."""
        with self._cond:
            self._calls.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0,
                 predicate: Optional[Callable[[Call], bool]] = None) -> List[Call]:
        """Block until `count` successful calls of `method` (matching predicate) exist."""
        deadline = time.monotonic() + timeout

        def matching() -> List[Call]:
            return [c for c in self._calls if c.method == method and c.ok and (predicate is None or predicate(c))]

        with self._cond:
            while len(matching()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [f"{c.method} status={c.status} ok={c.ok} args={c.args}" for c in self._calls]
                    raise AssertionError(f"expected {count} successful {method} call(s) within {timeout}s, "
                                         f"got {len(matching())}; calls seen:\n  " + "\n  ".join(seen or ["(none)"]))
                self._cond.wait(min(left, 0.05))
            return matching()


class Injections:
    """FIFO of planned failures per method."""

    def __init__(self):
        self._q: Dict[str, collections.deque] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def add(self, method: str, times: int = 1, **spec: Any) -> None:
        """Queue `spec` for the next `times` calls of `method`."""
        with self._lock:
            for _ in range(times):
                self._q[method].append(spec)

    def pop(self, method: str) -> Optional[dict]:
        """Take the next planned failure for `method`, if any."""
        with self._lock:
            q = self._q.get(method)
            return q.popleft() if q else None


def parse_args(headers: Dict[str, str], query: str, raw: bytes) -> dict:
    """Merge query string and JSON / urlencoded / multipart body into one dict, like Slack does."""
    args: Dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "") or ""
    if raw:
        if "json" in ctype:
            body = json.loads(raw.decode("utf-8"))
            if not isinstance(body, dict):
                raise ValueError("JSON body is not an object")
            args.update(body)
        elif "multipart/form-data" in ctype:
            msg = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + raw)
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                args[name] = payload if part.get_filename() else payload.decode("utf-8")
        else:
            args.update(dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)))
    for key in JSON_FIELDS:
        if isinstance(args.get(key), str) and args[key][:1] in ("{", "["):
            try:
                args[key] = json.loads(args[key])
            except ValueError:
                pass  # left as a string; the method reports the bad format like Slack would
    return args


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 - http.server naming
        self._serve()

    def do_GET(self):  # noqa: N802 - Slack also accepts GET with a query string
        self._serve()

    def _serve(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, headers, body, after = self.server.api.route(self.path, dict(self.headers.items()), raw)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        for fn in after:  # e.g. echo events: Slack emits them after answering the API call
            fn()

    def log_message(self, fmt, *args):  # keep test output quiet
        pass


class ApiServer:
    """Routes /api/<method>, the file upload URLs and response_urls onto the workspace."""

    def __init__(self, ws: Workspace, token: str, scopes, enforce_scopes: bool = True,
                 on_bot_message: Optional[Callable[[str, dict], None]] = None, app_token: Optional[str] = None,
                 sockets=None):
        self.ws, self.token, self.scopes, self.enforce_scopes = ws, token, tuple(scopes), enforce_scopes
        self.app_token, self.sockets = app_token, sockets  # sockets: the SocketModeServer behind apps.connections.open
        self.on_bot_message = on_bot_message
        self.calls, self.injections = CallLog(), Injections()
        self.httpd: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._local = threading.local()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port> of the running server."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind and serve on a daemon thread."""
        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.api = self
        # A short poll interval keeps stop() fast (shutdown waits for the serve loop to notice).
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="slack-standin", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self._thread.join(timeout=5)
            self.httpd = None

    def after(self, fn: Callable[[], None]) -> None:
        """Run fn once the current response has been written."""
        self._local.after.append(fn)

    def bot_posted(self, channel: str, msg: dict) -> None:
        """Hook for methods that create bot messages (drives the optional echo event)."""
        if self.on_bot_message is not None:
            snapshot = copy.deepcopy(msg)
            self.after(lambda: self.on_bot_message(channel, snapshot))

    def _headers(self, scopes: Tuple[str, ...] = ()) -> Dict[str, str]:
        return {"Content-Type": "application/json; charset=utf-8", "x-oauth-scopes": ",".join(self.scopes),
                "x-accepted-oauth-scopes": ",".join(scopes), "x-slack-req-id": secrets.token_hex(16),
                "access-control-allow-origin": "*"}

    def route(self, path: str, headers: Dict[str, str], raw: bytes) -> Tuple[int, Dict[str, str], bytes, list]:
        """Dispatch one HTTP request; returns (status, headers, body, after-callbacks)."""
        self._local.after = []
        url = urlsplit(path)
        if url.path.startswith("/api/"):
            status, hdrs, body = self._api(url.path[len("/api/"):], url.query, headers, raw)
        elif url.path.startswith("/upload/v1/"):
            status, hdrs, body = self._upload(url.path[len("/upload/v1/"):], headers, raw)
        elif url.path.startswith("/response/"):
            status, hdrs, body = self._response_url(url.path[len("/response/"):], headers, raw)
        else:
            status, hdrs, body = 404, {"Content-Type": "text/plain"}, b"not found"
        return status, hdrs, body, self._local.after

    def _api(self, method: str, query: str, headers: Dict[str, str], raw: bytes):
        entry = METHODS.get(method)
        scopes = entry[1] if entry else ()
        app_method = method in APP_TOKEN_METHODS
        hdrs = self._headers(scopes)
        if app_method:  # an app-level token carries its own scope, not the bot's
            hdrs["x-oauth-scopes"] = "connections:write"
        try:
            args = parse_args(headers, query, raw)
        except (ValueError, UnicodeDecodeError):
            return self._answer(method, {}, headers, 200, hdrs, {"ok": False, "error": "invalid_json"})
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        token = auth[len("Bearer "):].strip() if auth.startswith("Bearer ") else args.get("token")
        args.pop("token", None)

        planned = self.injections.pop(method)
        if planned:
            if planned.get("delay"):
                time.sleep(planned["delay"])  # outside the workspace lock: other calls keep flowing
            status, error = planned.get("status"), planned.get("error")
            if status == 429:
                retry = planned.get("retry_after")
                hdrs["Retry-After"] = str(math.ceil(retry if retry is not None else 1))  # whole seconds, as Slack
                return self._answer(method, args, headers, 429, hdrs, {"ok": False, "error": "ratelimited"})
            if status and status != 200:
                err = {503: "service_unavailable"}.get(status, "internal_error" if status >= 500 else "request_error")
                return self._answer(method, args, headers, status, hdrs, {"ok": False, "error": err})
            if error:
                return self._answer(method, args, headers, 200, hdrs, {"ok": False, "error": error})

        if entry is None:
            resp = {"ok": False, "error": "unknown_method"}
        elif not token:
            resp = {"ok": False, "error": "not_authed"}
        elif (token == self.token and app_method) or (self.app_token and token == self.app_token and not app_method):
            resp = {"ok": False, "error": "not_allowed_token_type"}
        elif token != (self.app_token if app_method else self.token):
            resp = {"ok": False, "error": "invalid_auth"}
        elif self.enforce_scopes and scopes and not set(scopes) & set(self.scopes):
            resp = {"ok": False, "error": "missing_scope", "needed": scopes[0], "provided": ",".join(self.scopes)}
        else:
            try:
                with self.ws.lock:
                    resp = {"ok": True, **entry[0](self, copy.deepcopy(args))}
            except SlackError as e:
                self._local.after = []  # a failed call has no side effects to announce
                resp = {"ok": False, "error": e.error, **e.extra}
        return self._answer(method, args, headers, 200, hdrs, resp)

    def _answer(self, method, args, req_headers, status, hdrs, resp):
        self.calls.record(Call(method, args, req_headers, status, time.time(), resp))
        return status, hdrs, json.dumps(resp).encode("utf-8")

    def _upload(self, token: str, headers: Dict[str, str], raw: bytes):
        planned = self.injections.pop("files.upload_url")
        if planned and planned.get("delay"):
            time.sleep(planned["delay"])
        with self.ws.lock:
            pending = self.ws.uploads.get(token)
            if planned and (planned.get("status") or 200) != 200:
                status, body = planned["status"], b"upload failed"
            elif pending is None:
                status, body = 404, b"invalid upload url"
            else:
                pending["bytes"] = raw
                status, body = 200, f"OK - {len(raw)}".encode()
        self.calls.record(Call("files.upload_url", {"upload_token": token, "length": len(raw)}, headers, status,
                               time.time(), {"ok": status == 200}))
        return status, {"Content-Type": "text/plain; charset=utf-8"}, body

    def _response_url(self, rid: str, headers: Dict[str, str], raw: bytes):
        try:
            args = parse_args(headers, "", raw)
            if "payload" in args and isinstance(args["payload"], str):
                args = json.loads(args["payload"])
        except (ValueError, UnicodeDecodeError):
            args = None
        with self.ws.lock:
            ctx = self.ws.response_urls.get(rid)
            if ctx is None:
                status, body = 404, b"no_such_response_url"
            elif args is None:
                status, body = 400, b"invalid_payload"
            else:
                try:
                    response_url(self, ctx, args)
                    status, body = 200, b"ok"
                except SlackError as e:
                    status, body = 400, e.error.encode()
        self.calls.record(Call("response_url", args or {}, headers, status, time.time(), {"ok": status == 200}))
        return status, {"Content-Type": "text/html"}, body
