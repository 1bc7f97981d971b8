"""What every listener needs from a Slack payload: who, where, the value pressed, the parts to work with."""

from __future__ import annotations

from datetime import timedelta

from slack_bolt import BoltContext, Respond

from bot.blocks import messages
from bot.services import facilitation


def value_of(body: dict) -> str:
    action = (body.get("actions") or [{}])[0]
    return str(action.get("value") or (action.get("selected_option") or {}).get("value") or "")[:2000]


def user_of(body: dict) -> str:
    return str((body.get("user") or {}).get("id") or "")


def private(respond: Respond, message: dict | str) -> None:
    """Answer the presser privately, never replacing the message they pressed on."""
    message = messages.message(message) if isinstance(message, str) else message
    respond(**message, response_type="ephemeral", replace_original=False)


def tell(body: dict, context: BoltContext, respond: Respond, message: dict | str) -> None:
    """Answer privately where the click came from: beside the message, or (from a modal or the Home tab,
    which give no response_url) in a direct message."""
    if body.get("response_url") or (body.get("response_urls") or []):
        private(respond, message)
        return
    slack = context["slack"]
    slack.post(slack.dm(user_of(body)), messages.message(message) if isinstance(message, str) else message)


def caller_of(body: dict, context: BoltContext) -> facilitation.Caller:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
    return facilitation.Caller(user_of(body), channel, context["settings"].language, body.get("trigger_id"))


def parts_of(context: BoltContext) -> facilitation.Parts:
    settings = context["settings"]
    return facilitation.Parts(context["store"], context["people"], context["linker"], context["slack"],
                              context["clock"].now(), timedelta(minutes=settings.grace_minutes), settings.timezone)
