"""HTTP mode: one WSGI app serving POST /slack/events and GET /healthz, on waitress (a production server)."""

from __future__ import annotations

import json
import logging
import threading
from typing import Callable, Iterable
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest
from slack_bolt.context import BoltContext
from slack_bolt.request.internals import build_context

log = logging.getLogger(__name__)
MAX_BODY = 2 * 1024 * 1024  # Slack's payloads are far smaller; anything bigger is not from Slack
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            413: "Payload Too Large", 500: "Internal Server Error", 503: "Service Unavailable"}


class SlackWsgi:
    """The WSGI callable: Slack requests go to Bolt, health checks to `health`."""

    def __init__(self, app: App, health: Callable[[], dict]) -> None:
        self.app = app
        self.health = health

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/healthz":
            report = self.health()
            return _answer(start_response, 200 if report.get("ok") else 503, json.dumps(report), "application/json")
        if path != "/slack/events":
            return _answer(start_response, 404, "not found")
        if method != "POST":
            return _answer(start_response, 405, "use POST")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _answer(start_response, 400, "bad Content-Length")
        if length > MAX_BODY:
            return _answer(start_response, 413, "too large")
        raw = environ["wsgi.input"].read(length).decode("utf-8", errors="replace")
        try:
            request = bolt_request(raw, environ)
        except ValueError:
            return _answer(start_response, 400, "body is not valid JSON or form data")
        response = self.app.dispatch(request)
        headers = [(name, value) for name, values in response.headers.items() for value in values]
        start_response(f"{response.status} {_REASONS.get(response.status, '')}".strip(), headers)
        return [response.body.encode("utf-8")]


def bolt_request(raw: str, environ: dict) -> BoltRequest:
    """Build Bolt's request, mending one parsing quirk: Bolt 1.30 parses a form body that merely
    *contains* the word "payload" (e.g. `/hvis export payload`) as an empty interactivity payload."""
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    request = BoltRequest(body=raw, query=environ.get("QUERY_STRING", ""), headers=headers)
    if not request.body and "payload" in raw and not raw.lstrip().startswith("{"):
        form = dict(parse_qsl(raw, keep_blank_values=True))
        if "payload" not in form:
            request.body = form
            request.context = build_context(BoltContext({}), form)
    return request


def _answer(start_response: Callable, status: int, body: str, content_type: str = "text/plain") -> list[bytes]:
    data = body.encode("utf-8")
    start_response(f"{status} {_REASONS[status]}",
                   [("Content-Type", f"{content_type}; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


class Server:
    """waitress serving `wsgi` from a background thread: `.port` once started, `.close()` to stop."""

    def __init__(self, wsgi: SlackWsgi, host: str, port: int, threads: int) -> None:
        from waitress.server import create_server

        self._server = create_server(wsgi, host=host, port=port, threads=threads, ident="hvis",
                                     clear_untrusted_proxy_headers=True)
        self.port: int = self._server.effective_port
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="hvis-http", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._server.run()
        except OSError:
            if not self._closing:  # closing the sockets under waitress's select loop is how it stops
                raise

    def wait(self) -> None:
        self._thread.join()

    def close(self) -> None:
        """Let requests in progress finish (their answers still need the server's trigger), then stop."""
        self._closing = True
        self._server.task_dispatcher.shutdown(timeout=5)
        self._server.close()
        self._thread.join(5)
