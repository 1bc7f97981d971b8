"""The /hvis slash command: facilitators plan and run a theme day; anyone sees their data or is forgotten."""

from __future__ import annotations

from slack_bolt import BoltContext, Respond

from bot.blocks import messages
from bot.errors import Refused
from bot.i18n import t
from bot.rules.commands import parse
from bot.services import facilitation
from bot.slack.listeners.common import parts_of
from bot.webapi import SlackFailure


def hvis_command(command: dict, context: BoltContext, respond: Respond) -> None:
    """Acknowledged at once; here the subcommand runs and its answer comes privately."""
    parsed = parse(str(command.get("text") or ""))
    settings = context["settings"]
    caller = facilitation.Caller(str(command.get("user_id") or ""), str(command.get("channel_id") or ""),
                                 "en" if parsed.english else settings.language, command.get("trigger_id"))
    try:
        answer = facilitation.run(parsed, caller, parts_of(context))
    except Refused as refusal:
        answer = messages.message(refusal.text(caller.language))
    except SlackFailure:  # a modal that could not open in time (its trigger lasts 3 s)
        answer = messages.message(t(caller.language, "modal.retry"))
    if answer:
        respond(**answer, response_type="ephemeral")
