"""A faithful local stand-in for Slack: Web API server + signed Events API / interactivity deliveries.

    stub = SlackStandIn(signing_secret="s3cret").start()
    client = WebClient(token=stub.bot_token, base_url=stub.api_url)
    stub.request_url = "http://127.0.0.1:3000/slack/events"
    stub.post_as_user("U1", "C1", "hej")          # delivers a signed event_callback
    stub.wait_for("chat.postMessage")              # what the bot answered
"""

from .delivery import Delivery, SignedSender, signature_for
from .methods import DEFAULT_SCOPES
from .server import Call
from .stub import SlackStandIn

__all__ = ["SlackStandIn", "SignedSender", "Delivery", "Call", "DEFAULT_SCOPES", "signature_for"]
