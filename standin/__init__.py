"""A faithful local stand-in for Slack: Web API server + signed Events API / interactivity deliveries."""

from .delivery import Delivery, SignedSender, signature_for
from .methods import DEFAULT_SCOPES
from .server import Call
from .stub import SlackStandIn

__all__ = ["SlackStandIn", "SignedSender", "Delivery", "Call", "DEFAULT_SCOPES", "signature_for"]
