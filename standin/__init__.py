"""A faithful local stand-in for Slack: Web API server + signed Events API / interactivity deliveries.

    stub = SlackStandIn(signing_secret="s3cret").start()
    client = WebClient(token=stub.bot_token, base_url=stub.api_url)
    stub.request_url = "http://127.0.0.1:3000/slack/events"
    stub.post_as_user("U1", "C1", "hej")          # delivers a signed event_callback
    stub.wait_for("chat.postMessage")              # what the bot answered

Socket Mode: the app calls apps.connections.open with stub.app_token and connects to the ws:// URL it gets;
after stub.use_socket_mode() every delivery goes as an envelope over that link and waits for its ack.
"""

from .delivery import Delivery, SignedSender, signature_for
from .methods import DEFAULT_SCOPES
from .server import Call
from .socket_mode import SocketModeServer
from .stub import SlackStandIn

__all__ = ["SlackStandIn", "SignedSender", "Delivery", "Call", "DEFAULT_SCOPES", "signature_for",
           "SocketModeServer"]
