"""HTTP mode: a thin ASGI app on uvicorn serving POST /slack/events and GET /healthz.

It caps the body, checks Slack's signature itself (so a forged request is logged by its reason
only, never by its body), refuses malformed requests with 400 (or acknowledges a signed one it
cannot use), and hands the rest to the same Bolt app Socket Mode uses. Requests whose listener
only touches SQLite are dispatched on the event loop (no thread hand-off); a reply from someone
the bot does not know yet (it asks Slack who they are first) and interactivity run on worker threads,
so a slow Slack can never hold up another acknowledgement.

The loop holds its commits: the requests it took in at once are stored in one transaction, committed
as soon as all of them were dispatched and before any of them is answered (group commit).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from storage.connection import Batch, held, hold_commits

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024        # Slack's payloads are far smaller; anything bigger is not from Slack
DRAIN = 16 * 1024 * 1024      # how much of a refused body is read (and dropped) so the client sees the 413
MAX_DEPTH = 64                # JSON nested deeper than any Slack payload is refused before parsing it
LOG_EVERY = 10.0              # at most one line per this many seconds about refused requests
HOT_EVENTS = ("message", "reaction_added", "reaction_removed", "member_joined_channel", "member_left_channel")


class SlackAsgi:
    """The ASGI callable: Slack requests to Bolt, health checks to `health`."""

    def __init__(self, app: App, signing_secret: str | None, health: Callable[[], dict],
                 knows: Callable[[str], bool], pool: ThreadPoolExecutor) -> None:
        self.app = app
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.health = health
        self.knows = knows
        self.pool = pool
        self._refused_at = 0.0
        self._refused = 0
        self._commits: dict[Batch, asyncio.Future] = {}

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path, method = scope.get("path", ""), scope.get("method", "")
        if path == "/healthz" and method in ("GET", "HEAD"):
            report = self.health()
            await _answer(send, 200 if report.get("ok") else 503, json.dumps(report), "application/json")
        elif path != "/slack/events":
            await _answer(send, 404, "not found")
        elif method != "POST":
            await _answer(send, 405, "use POST")
        else:
            await self._slack(scope, receive, send)

    async def _slack(self, scope: dict, receive: Callable, send: Callable) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        try:
            declared = int(headers.get("content-length") or 0)
        except ValueError:
            await self._refuse(send, 400, "bad Content-Length")
            return
        raw = await _read(receive, MAX_BODY) if declared <= MAX_BODY else None
        if raw is None:
            await _drain(receive, DRAIN)  # a client that sends it all before reading still gets the 413
            await self._refuse(send, 413, "body too large")
            return
        if self.verifier and not self._signed(raw, headers):
            await self._refuse(send, 401, "signature check failed")
            return
        try:
            text = raw.decode("utf-8")
            request = bolt_request(text, headers, scope.get("query_string", b"").decode("latin-1"))
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:  # Bolt's parser chokes too
            # Signed (or Socket Mode-less) but unusable: acknowledged so Slack never retries it, and ignored.
            self._note(f"unusable request ({exc})")
            await _answer(send, 200, "", extra={"x-slack-no-retry": "1"})
            return
        try:
            if self._hot(request.body):
                response = await self._dispatch_here(request)
            else:
                response = await asyncio.get_running_loop().run_in_executor(self.pool, self.app.dispatch, request)
        except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
            # Bolt's own parsing of a signed but odd payload failed: acknowledged, never retried, never a 500.
            self._note(f"unusable request ({type(exc).__name__})")
            await _answer(send, 200, "", extra={"x-slack-no-retry": "1"})
            return
        await _bolt_answer(send, response)

    async def _dispatch_here(self, request: BoltRequest) -> BoltResponse:
        """Dispatch on the loop; answer once everything this request wrote (or read) in the loop's batch is
        committed, or 500 if that failed (nothing was stored, so Slack must deliver it again)."""
        hold_commits()
        try:
            response = self.app.dispatch(request)
        finally:
            batch = held()
            committed = self._commit_soon(batch) if batch else None
        if committed is not None and not await committed:
            return BoltResponse(status=500, body="")
        return response

    def _commit_soon(self, batch: Batch) -> asyncio.Future:
        """The batch's commit, run once the loop has dispatched the requests it already took in."""
        committed = self._commits.get(batch)
        if committed is None:
            loop = asyncio.get_running_loop()
            committed = self._commits[batch] = loop.create_future()
            loop.call_soon(self._commit, batch, committed)
        return committed

    def _commit(self, batch: Batch, committed: asyncio.Future) -> None:
        del self._commits[batch]
        stored = False
        try:
            stored = batch.commit()
        finally:  # whatever happens, its requests are answered
            if not stored:
                log.error("could not store a batch of requests; they are answered 500 and Slack delivers them again")
            committed.set_result(stored)

    def _signed(self, raw: bytes, headers: dict) -> bool:
        timestamp = headers.get("x-slack-request-timestamp", "")
        try:
            if abs(time.time() - int(timestamp)) > 300:
                return False
            return self.verifier.is_valid(raw, timestamp, headers.get("x-slack-signature", ""))
        except ValueError:  # a timestamp that is no number, or a body that is not UTF-8 (which Slack never signs)
            return False

    def _hot(self, body: dict) -> bool:
        """Events that only touch SQLite and memory: run on the loop. A message from someone unknown
        (the listener asks Slack who they are) and everything else go to a worker thread."""
        if body.get("type") != "event_callback":
            return False
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        if event.get("type") not in HOT_EVENTS:
            return event.get("type") == "app_home_opened"
        if event.get("type") == "message":
            author = event.get("user") if "message" not in event else (event.get("message") or {}).get("user")
            return not isinstance(author, str) or self.knows(author)
        return True

    async def _refuse(self, send: Callable, status: int, reason: str) -> None:
        self._note(reason)
        await _answer(send, status, reason)

    def _note(self, reason: str) -> None:
        """Log why requests were refused, never their content, and at most one line every LOG_EVERY seconds."""
        self._refused += 1
        now = time.monotonic()
        if now - self._refused_at >= LOG_EVERY:
            log.warning("refused %d request(s) to /slack/events; latest: %s", self._refused, reason)
            self._refused_at, self._refused = now, 0


def bolt_request(text: str, headers: dict, query: str) -> BoltRequest:
    """Bolt's request from a body checked to be what Slack sends (a JSON object, or a form whose
    `payload` is one). Mends one Bolt 1.30 quirk: a form body that merely *contains* the word
    "payload" (e.g. `/hvis eksport payload`) was parsed as an empty interactivity payload."""
    stripped = text.lstrip()
    form = {} if stripped.startswith(("{", "[")) or not text else \
        dict(parse_qsl(text, keep_blank_values=True, max_num_fields=200))
    if text.startswith("{"):
        _shallow(text)  # Bolt parses it (once) as JSON; a parse error there is a ValueError too
    elif stripped.startswith(("{", "[")):
        _object(stripped)
    elif "payload" in form:
        _object(form["payload"])
    elif "payload" in text:
        # Bolt takes any form body containing the word for an interactivity payload; spelling it `%70ayload`
        # parses to the same text but is no longer mistaken (also in the copy Bolt makes for lazy listeners).
        text = text.replace("payload", "%70ayload")
    request = BoltRequest(body=text, query=query, headers=headers)
    if not isinstance(request.body, dict):
        raise ValueError("not a Slack payload")
    return request


def _object(text: str) -> dict:
    """Parse a JSON object, refusing anything Slack never sends (arrays, scalars, absurd nesting)."""
    _shallow(text)
    try:
        found = json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(found, dict):
        raise ValueError("JSON is not an object")
    return found


def _shallow(text: str) -> None:
    """Refuse JSON nested deeper than any Slack payload before anything parses it."""
    if text.count("{") + text.count("[") > MAX_DEPTH:  # only then can it be nested too deeply: measure
        depth = 0
        for char in text:  # counts brackets inside strings too: conservative
            if char in "{[":
                depth += 1
                if depth > MAX_DEPTH:
                    raise ValueError("nested too deeply")
            elif char in "}]":
                depth -= 1


async def _read(receive: Callable, limit: int) -> bytes | None:
    """The whole body, or None as soon as it grows past `limit` (nothing more is buffered)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        body = message.get("body", b"")
        size += len(body)
        if size > limit:
            return None
        chunks.append(body)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _drain(receive: Callable, limit: int, pause: float = 0.2) -> None:
    """Read and drop what a client is still sending of a refused body (nothing is kept), so one that sends
    everything before reading sees the 413; stop at `limit` bytes or when nothing comes for `pause` s."""
    size = 0
    while size <= limit:
        try:
            message = await asyncio.wait_for(receive(), pause)
        except asyncio.TimeoutError:
            return
        size += len(message.get("body", b""))
        if message["type"] == "http.disconnect" or not message.get("more_body"):
            return


async def _answer(send: Callable, status: int, body: str, content_type: str = "text/plain",
                  extra: dict | None = None) -> None:
    data = body.encode("utf-8")
    headers = [(b"content-type", f"{content_type}; charset=utf-8".encode()), (b"content-length", str(len(data)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def _bolt_answer(send: Callable, response: BoltResponse) -> None:
    data = (response.body or "").encode("utf-8")
    headers = [(name.encode(), value.encode()) for name, values in response.headers.items() for value in values
               if name.lower() != "content-length"]
    headers.append((b"content-length", str(len(data)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


async def _lifespan(receive: Callable, send: Callable) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class Server:
    """uvicorn serving `app` from a background thread: `.port` once started, `.close()` to stop."""

    def __init__(self, app: SlackAsgi, host: str, port: int) -> None:
        import uvicorn

        class Uvicorn(uvicorn.Server):
            """uvicorn, stopping as soon as it is told rather than at its next tenth-of-a-second look, and
            without a grace period when no request is in flight."""

            async def main_loop(self) -> None:
                self.loop, self.stopping = asyncio.get_running_loop(), asyncio.Event()
                counter = 0
                while not await self.on_tick(counter):
                    counter = (counter + 1) % 864000
                    try:
                        await asyncio.wait_for(self.stopping.wait(), 0.1)
                    except asyncio.TimeoutError:
                        pass

            async def shutdown(self, sockets: list | None = None) -> None:
                if self.server_state.connections or self.server_state.tasks:
                    await super().shutdown(sockets)
                    return
                for server in self.servers:
                    server.close()

        self._socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(2048)
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, loop=_loop(), http=_http(), lifespan="off", access_log=False,
                                log_level="warning", timeout_graceful_shutdown=5, server_header=False,
                                h11_max_incomplete_event_size=64 * 1024)
        self._server = Uvicorn(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="hvis-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)

    def wait(self) -> None:
        self._thread.join()

    def close(self) -> None:
        """Let requests in progress finish, then stop."""
        self._server.should_exit = True
        if getattr(self._server, "stopping", None):
            self._server.loop.call_soon_threadsafe(self._server.stopping.set)
        self._thread.join(10)
        self._socket.close()


def _loop() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def _http() -> str:
    try:
        import httptools  # noqa: F401
    except ImportError:
        return "h11"
    return "httptools"
