"""Events API listeners. Each stores what it must before acknowledging; Slack retries carry the same event_id."""

from slack_bolt import Ack, App

from bot import replies, welcome
from bot.context import Hvis


def register(app: App, h: Hvis) -> None:
    @app.event("message")
    def message_event(event: dict, body: dict, ack: Ack) -> None:
        """Thread replies, edits and deletions; joins, bot posts and other subtypes are acknowledged and ignored."""
        replies.message(h, event, body.get("event_id"))
        ack()

    @app.event("reaction_added")
    def reaction_added_event(event: dict, body: dict, ack: Ack) -> None:
        """A vote, when it is the vote reaction on a reply."""
        replies.reaction(h, event, body.get("event_id"), added=True)
        ack()

    @app.event("reaction_removed")
    def reaction_removed_event(event: dict, body: dict, ack: Ack) -> None:
        """Taking the reaction back takes the vote back."""
        replies.reaction(h, event, body.get("event_id"), added=False)
        ack()

    @app.event("member_joined_channel")
    def member_joined_event(event: dict, ack: Ack) -> None:
        """Greet a newcomer to a session channel privately, after acknowledging."""
        ack()
        h.later(lambda: welcome.greet(h, event.get("channel", ""), event.get("user", "")))
