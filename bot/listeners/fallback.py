"""Acknowledge whatever no other listener takes.

Bolt answers 404 to an unhandled request; Slack treats that as a failed delivery, retries it and,
if failures keep up, disables the app's event subscriptions. So everything we receive gets a 2xx.
"""

import logging
import re

from slack_bolt import Ack, App

from bot.context import Hvis

log = logging.getLogger(__name__)
ANY = re.compile(".*")


def register(app: App, h: Hvis) -> None:
    @app.event(ANY)
    def other_event(event: dict, ack: Ack) -> None:
        """An event type the bot does not use."""
        log.debug("ignored event %s", event.get("type"))
        ack()

    @app.action(ANY)
    def other_action(ack: Ack) -> None:
        """A button or menu with no handler (e.g. from an older message)."""
        ack()

    @app.view(ANY)
    def other_view(ack: Ack) -> None:
        """A view submission with no handler."""
        ack()

    @app.shortcut(ANY)
    def other_shortcut(ack: Ack) -> None:
        """A shortcut the bot does not offer."""
        ack()
