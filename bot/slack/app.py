"""The Bolt app: built on purpose (never at import), its listeners registered in one place, its
dependencies handed to them through Bolt's context by one middleware, and one error handler."""

from __future__ import annotations

import logging
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

from bot.clock import Clock
from bot.errors import HvisError, NotYet
from bot.services.directory import Directory
from bot.services.linking import Linker
from bot.slack import listeners
from bot.webapi import Slack
from storage import Store

log = logging.getLogger(__name__)


class Later:
    """Work that follows an acknowledgement (a private note, a greeting, a refreshed Home tab), run on the
    same thread pool as Bolt's lazy listeners so that Slack's answer never waits for it."""

    def __init__(self, pool: ThreadPoolExecutor) -> None:
        self.pool = pool

    def __deepcopy__(self, memo: dict) -> "Later":
        """Shared by design: Bolt copies a request's context for lazy listeners, and this must stay one object."""
        return self

    def __call__(self, job: Callable[[], object]) -> None:
        self.pool.submit(self._run, job)

    @staticmethod
    def _run(job: Callable[[], object]) -> None:
        try:
            job()
        except Exception:
            log.exception("work after an acknowledgement failed")


@dataclass(frozen=True)
class Deps:
    """What listeners hand to the services (each listener takes only what it uses)."""

    store: Store
    slack: Slack
    people: Directory
    linker: Linker
    clock: Clock
    settings: object
    later: Later


def create_app(deps: Deps, client: WebClient, pool: ThreadPoolExecutor) -> App:
    """A Bolt app whose listeners store first and acknowledge after (process_before_response).

    Requests are verified by the HTTP server before they reach Bolt (so a forged request is never
    logged with its body), and arrive unsigned over Socket Mode's authenticated WebSocket."""
    app = App(
        client=client,
        request_verification_enabled=False,
        # Bolt asks auth.test now rather than on the first request (which would then wait for Slack).
        token_verification_enabled=True,
        process_before_response=True,
        raise_error_for_unhandled_request=True,
        listener_executor=pool,
        logger=logging.getLogger("hvis.bolt"),
    )
    app.use(Inject(deps))
    listeners.register(app)
    app.error(_on_error)
    return app


class Inject(Middleware):
    """The one middleware: hand the bot's parts to the listeners; acknowledge what is not ours to act on.
    (A Middleware class, not a function, so Bolt does not inspect its arguments on every request.)"""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.parts = {"store": deps.store, "slack": deps.slack, "people": deps.people, "linker": deps.linker,
                      "clock": deps.clock, "settings": deps.settings, "later": deps.later}

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        body = req.body
        if body.get("type") == "app_rate_limited":
            log.warning("Slack is dropping events: over 30,000 in an hour (minute %s)", body.get("minute_rate_limited"))
            return BoltResponse(status=200, body="")
        team, ours = _team(body), self.deps.people.team_id
        if ours and team and team != ours:
            log.warning("ignored a request from another workspace (%s); this installation serves %s", team[:20], ours)
            return BoltResponse(status=200, body="")
        actor = _actor(body)
        if actor and not self.deps.people.knows(actor):  # before any role or permission check reads them
            self.deps.people.learn(actor, quick=True)  # (not an event: this runs on a worker thread)
        req.context.update(self.parts)
        return next()


def _actor(body: dict) -> str | None:
    """Who ran a command, pressed a button or submitted a modal (events are learnt by their listeners)."""
    if body.get("type") == "event_callback":
        return None
    user = body.get("user_id") if "command" in body else (body.get("user") or {}).get("id") if isinstance(
        body.get("user"), dict) else None
    return user if isinstance(user, str) and user else None


def _on_error(error: Exception, body: dict, response: BoltResponse) -> BoltResponse:
    """One place for errors. User errors were answered already. A storage failure answers 500, so Slack
    delivers the event again (nothing acknowledged is lost); anything else is logged with its traceback
    and acknowledged, since delivering the same request again cannot help."""
    if isinstance(error, BoltUnhandledRequestError):
        return BoltResponse(status=200, body="")  # an event or button we do not use: never a 404
    if isinstance(error, HvisError):
        log.info("refused: %s", error)
        return BoltResponse(status=200, body="")
    if isinstance(error, NotYet):
        log.info("not ready for a %s request yet (%s); Slack will deliver it again", _kind(body), error)
        return BoltResponse(status=500, body="")
    if isinstance(error, (sqlite3.Error, OSError)):
        log.error("could not store a %s request; Slack will deliver it again", _kind(body), exc_info=error)
        return BoltResponse(status=500, body="")
    log.error("a listener failed on a %s request", _kind(body), exc_info=error)
    return BoltResponse(status=200, body="", headers={"X-Slack-No-Retry": "1"})


def _team(body: dict) -> str | None:
    """The installation a request is for. In a Slack Connect channel the envelope's team_id is the channel's
    home workspace and a submitting user's team may be theirs: the installation is in `authorizations`
    (events) or `view.app_installed_team_id` (views), as Bolt reads it too."""
    authorizations = body.get("authorizations")
    if isinstance(authorizations, list) and authorizations and isinstance(authorizations[0], dict):
        team = authorizations[0].get("team_id")
    elif isinstance(body.get("view"), dict) and body["view"].get("app_installed_team_id"):
        team = body["view"]["app_installed_team_id"]
    else:
        team = body.get("team_id") or (body["team"].get("id") if isinstance(body.get("team"), dict) else None)
    return team if isinstance(team, str) else None


def _kind(body: dict) -> str:
    event = body.get("event") if isinstance(body.get("event"), dict) else {}
    return str(event.get("type") or body.get("type") or "slash command")[:40]
