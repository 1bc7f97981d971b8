"""Assemble and run the bot: store, key store, Slack client, directory, Bolt app, scheduler and a transport
(HTTP mode on uvicorn, or Socket Mode)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bot import __version__, scheduling
from bot.clock import Clock
from bot.errors import BadInput
from bot.rules import states
from bot.services.directory import Directory
from bot.services.linking import Linker
from bot.slack.app import Deps, Later, create_app
from bot.slack.server import Server, SlackAsgi
from bot.webapi import Slack, SlackFailure, build_clients
from storage import Store
from storage.keys import KeyStore

log = logging.getLogger(__name__)


def slack_for(settings) -> Slack:
    """The Web API as configured (SLACK_API_URL honoured; neither slack_sdk nor Bolt reads it themselves)."""
    writer, reader = build_clients(settings.bot_token, settings.api_url, settings.slack_timeout)
    return Slack(writer, reader)


def close_socket_mode(handler) -> None:
    """Close a Socket Mode handler without waiting out slack_sdk's one-second queue poll: its message
    processor is told it is closed and woken with an empty message."""
    handler.client.closed = True
    handler.client.message_queue.put(None)
    handler.close()


class Bot:
    """A running bot: the Bolt app, the scheduler and (in HTTP mode) the web server, started and stopped together."""

    def __init__(self, settings, clock: Clock | None = None, tick_seconds: float = 1.0) -> None:
        if not settings.bot_token:
            raise BadInput("SLACK_BOT_TOKEN is not set (copy the Bot User OAuth Token, xoxb-…, into .env)")
        if not settings.socket_mode and not settings.signing_secret:
            raise BadInput("SLACK_SIGNING_SECRET is not set (needed in HTTP mode; set SLACK_APP_TOKEN for Socket Mode)")
        self.settings, self.clock, self.tick_seconds = settings, clock or Clock(), tick_seconds
        self.store = Store(settings.db_path).migrate()
        self.keys = KeyStore(settings.key_store_path)
        self.linker = Linker(self.keys)
        self.slack = slack_for(settings)
        try:
            auth = self.slack.auth()
        except SlackFailure as failure:
            raise BadInput(f"Slack refused the bot token ({failure.error}); run `hvis doctor`") from None
        self.people = Directory(self.store, self.slack, auth.get("team_id") or "", auth.get("user_id") or "",
                                settings.politicians, settings.facilitators)
        self.people.refresh()
        self._check_secrets()
        self.pool = ThreadPoolExecutor(settings.threads, "hvis-worker")
        deps = Deps(self.store, self.slack, self.people, self.linker, self.clock, settings, Later(self.pool))
        self.app = create_app(deps, self.slack.writer, self.pool)
        wait = timedelta(seconds=settings.slack_timeout + settings.settle_seconds)
        self.ticker = scheduling.Ticker(self.store, self.slack, self.people, self.linker, self.clock,
                                        grace=timedelta(minutes=settings.grace_minutes), wait=wait,
                                        llm=(settings.llm_url, settings.llm_model, settings.llm_key))
        self.scheduler = None
        self.server: Server | None = None
        self.socket = None
        log.info("key store: %s (keep it out of database backups)", self.keys.path)

    def _check_secrets(self) -> None:
        """Sessions not yet closed need their linking secret; a lost key store gets new ones (said plainly)."""
        for session in self.store.sessions.list(states=states.LIVE_SESSION_STATES):
            if self.keys.session(session.id) is None:
                log.warning("session %s had no linking secret in %s; a new one is made, so one-vote-per-person "
                            "cannot recognise votes given before", session.id, self.keys.path)
                self.linker.open(session.id)

    def health(self) -> dict:
        database, scheduler = self.store.healthy(), scheduling.healthy(self.scheduler)
        return {"ok": database and scheduler, "database": database, "scheduler": scheduler, "version": __version__}

    def start_http(self, host: str = "0.0.0.0", port: int | None = None) -> int:
        """Serve HTTP mode in a background thread; returns the port."""
        self.scheduler = scheduling.start(self.ticker, self.tick_seconds)
        asgi = SlackAsgi(self.app, self.settings.signing_secret, self.health, self.people.knows, self.pool)
        self.server = Server(asgi, host, self.settings.port if port is None else port)
        log.info("HTTP mode: listening on %s:%s (POST /slack/events, GET /healthz)", host, self.server.port)
        return self.server.port

    def start_socket_mode(self) -> None:
        """Socket Mode: connect out to Slack (no inbound port); the client reconnects by itself."""
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        self.scheduler = scheduling.start(self.ticker, self.tick_seconds)
        self.socket = SocketModeHandler(self.app, self.settings.app_token, concurrency=self.settings.threads)
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
            close_socket_mode(self.socket)
        scheduling.stop(self.ticker, self.scheduler)
        self.pool.shutdown(wait=True)
        self.store.close()
