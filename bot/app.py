"""The Bolt app: built on purpose (never at import) from the bot's parts, with every listener registered."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from slack_bolt import App, BoltResponse

from bot.context import Hvis
from bot.errors import HvisError
from bot.listeners import actions, commands, events, fallback, views

log = logging.getLogger(__name__)


def create_app(h: Hvis) -> App:
    """A Bolt app whose listeners store first and acknowledge after (process_before_response)."""
    app = App(
        client=h.client,
        signing_secret=h.settings.signing_secret,
        # Socket Mode traffic arrives over an authenticated WebSocket, unsigned; HTTP requests must be signed.
        request_verification_enabled=not h.settings.socket_mode,
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(h.settings.threads, "hvis-listener"),
        logger=logging.getLogger("hvis.bolt"),
    )
    @app.middleware
    def rate_limited_notice(body: dict, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        """Slack's `app_rate_limited` notice is not an event, so no listener matches it; take it here."""
        if body.get("type") == "app_rate_limited":
            log.warning("Slack is dropping events: over 30,000 in an hour (minute %s)", body.get("minute_rate_limited"))
            return BoltResponse(status=200, body="")
        return next()

    for module in (events, actions, views, commands, fallback):  # fallback last: it takes what nobody else did
        module.register(app, h)

    @app.error
    def on_error(error: Exception, body: dict, response: BoltResponse) -> BoltResponse:
        """One place for errors: user errors were already answered; anything else is logged with its traceback.

        The 500 tells Slack the event was not taken, so it delivers it again: nothing acknowledged is lost.
        """
        if isinstance(error, HvisError):
            log.info("refused: %s", error)
            return BoltResponse(status=200, body="")
        log.error("listener failed for a %s request", body.get("type") or "slash command", exc_info=error)
        return BoltResponse(status=500, body="")

    return app
