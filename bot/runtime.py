"""Assemble and run the bot: Slack client, store, Bolt app, scheduler and a transport (HTTP or Socket Mode)."""

from __future__ import annotations

import logging
import threading

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot import __version__
from bot.app import create_app
from bot.clock import Clock
from bot.config import Settings
from bot.context import Hvis
from bot.errors import BadInput
from bot.people import Directory, Pseudonyms, load_key
from bot.scheduling import scheduler_healthy, start_scheduler, stop_scheduler
from bot.server import Server, SlackWsgi
from storage import Store

log = logging.getLogger(__name__)


def slack_client(settings: Settings, patient: bool = True) -> WebClient:
    """The Web API client: SLACK_API_URL honoured, 429 (Retry-After) and 5xx retried by slack_sdk itself.

    The impatient one (no retries, short timeout) is for look-ups made before acknowledging Slack,
    which must answer within 3 seconds.
    """
    if not patient:
        return WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=2, retry_handlers=[])
    return WebClient(
        token=settings.bot_token, base_url=settings.api_url, timeout=15,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2), RateLimitErrorRetryHandler(max_retry_count=3),
                        ServerErrorRetryHandler(max_retry_count=2)],
    )


def build(settings: Settings, clock: Clock | None = None) -> Hvis:
    """Everything a running bot needs; checks the token with auth.test (Bolt needs the bot's ids too)."""
    if not settings.bot_token:
        raise BadInput("SLACK_BOT_TOKEN is not set (copy the Bot User OAuth Token, xoxb-…, into .env)")
    if not settings.socket_mode and not settings.signing_secret:
        raise BadInput("SLACK_SIGNING_SECRET is not set (needed in HTTP mode; set SLACK_APP_TOKEN for Socket Mode)")
    store = Store(settings.db_path).migrate()
    key = load_key(settings.pseudonym_key_path, create=not store.holds_pseudonyms())
    if key is None:
        raise BadInput(f"the pseudonym key {settings.pseudonym_key_path} is missing but {settings.db_path} holds "
                       "answers made with it; restore the key (or set HVIS_KEY_FILE to where it is)")
    client = slack_client(settings)
    auth = client.auth_test()
    return Hvis(settings=settings, store=store, client=client, clock=clock or Clock(),
                pseudonyms=Pseudonyms(key),
                directory=Directory(slack_client(settings, patient=False), settings.politicians, store.role_of,
                                    patient_client=client),
                team_id=auth.get("team_id") or "", bot_user_id=auth.get("user_id") or "")


class Bot:
    """A running bot: the Bolt app, the scheduler and (in HTTP mode) the web server, started and stopped together."""

    def __init__(self, h: Hvis, tick_seconds: float = 1.0) -> None:
        self.h = h
        self.app: App = create_app(h)
        self.tick_seconds = tick_seconds
        self.scheduler = None
        self.server = None
        self.socket = None

    def health(self) -> dict:
        database, scheduler = self.h.store.healthy(), scheduler_healthy(self.scheduler)
        return {"ok": database and scheduler, "database": database, "scheduler": scheduler, "version": __version__}

    def start_http(self, host: str = "0.0.0.0", port: int | None = None) -> int:
        """Serve HTTP mode in a background thread; returns the port."""
        self.scheduler = start_scheduler(self.h, self.tick_seconds)
        self.server = Server(SlackWsgi(self.app, self.health), host, self.h.settings.port if port is None else port,
                             self.h.settings.threads)
        log.info("HTTP mode: listening on %s:%s (POST /slack/events, GET /healthz)", host, self.server.port)
        return self.server.port

    def start_socket_mode(self) -> None:
        """Socket Mode: connect out to Slack (no inbound port); the client reconnects by itself."""
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        self.scheduler = start_scheduler(self.h, self.tick_seconds)
        self.socket = SocketModeHandler(self.app, self.h.settings.app_token)
        self.socket.connect()
        log.info("Socket Mode: connected to Slack")

    def wait(self) -> None:
        """Block until the HTTP server stops or, in Socket Mode, until interrupted."""
        if self.server:
            self.server.wait()
        else:
            threading.Event().wait()

    def stop(self) -> None:
        if self.server:
            self.server.close()
        if self.socket:
            self.socket.close()
        stop_scheduler(self.h, self.scheduler)
        self.h.shutdown()
        self.h.store.close()
