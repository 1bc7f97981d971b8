"""Events API listeners. Each stores what it must before returning (Bolt then acknowledges);
Slack's retries of the same message, edit, deletion or reaction are caught by the store's keys."""

from __future__ import annotations

import logging

from slack_bolt import BoltContext

from bot.blocks import messages
from bot.i18n import t
from bot.services import home, replies, welcome

log = logging.getLogger(__name__)


def noop() -> None:
    """Nothing to store: the lazy part does the work."""


def message_event(event: dict, context: BoltContext) -> None:
    """Thread replies, edits and deletions; joins, bot posts and other subtypes are acknowledged and ignored."""
    store, people, linker, now = context["store"], context["people"], context["linker"], context["clock"].now()
    subtype = event.get("subtype")
    if subtype == "message_deleted":
        replies.deleted(store, event, context.team_id or people.team_id)
        return
    if subtype == "message_changed":
        stored = replies.edited(store, people, linker, event, now)
    else:
        user = event.get("user")
        if isinstance(user, str) and event.get("thread_ts") not in (None, event.get("ts")) and not people.knows(user):
            people.learn(user, quick=True)  # a newcomer: the HTTP server runs this request on a worker thread
        stored = replies.thread_reply(store, people, linker, event, now)
    if stored and stored.tell_button:
        slack = context["slack"]
        context["later"](lambda: _tell_about_button(store, slack, linker, stored))


def _tell_about_button(store, slack, linker, stored: replies.Stored) -> None:
    notice = replies.button_notice(store, linker, stored)
    if notice:
        slack.ephemeral(stored.session.channel, stored.user_id, notice)


def reaction_added_event(event: dict, context: BoltContext) -> None:
    """A vote, when it is the vote reaction on a reply; refused privately once the session has closed."""
    refused = replies.reaction(context["store"], context["linker"], event, True, context["settings"].vote_reaction)
    if refused:
        slack, item = context["slack"], event["item"]
        context["later"](lambda: slack.ephemeral(item["channel"], event["user"], messages.message(
            t(refused.language, "vote.closed", title=refused.title))))


def reaction_removed_event(event: dict, context: BoltContext) -> None:
    """Taking the reaction back takes the vote back."""
    replies.reaction(context["store"], context["linker"], event, False, context["settings"].vote_reaction)


def member_joined_event(event: dict, context: BoltContext) -> None:
    """Greet a newcomer to a session channel privately, after acknowledging; note the bot's own joins."""
    people, channel, user = context["people"], event.get("channel"), event.get("user")
    if not isinstance(channel, str) or not isinstance(user, str):
        return
    if user == people.bot_user_id:
        people.joined(channel, True)
        return
    greeting = welcome.greeting(context["store"], people, channel, user)
    if greeting:
        slack = context["slack"]
        context["later"](lambda: slack.ephemeral(channel, user, greeting))


def member_left_event(event: dict, context: BoltContext) -> None:
    """Someone left a channel; if it was the bot, remember that it can no longer post there."""
    if event.get("user") == context["people"].bot_user_id and isinstance(event.get("channel"), str):
        context["people"].joined(event["channel"], False)


def channel_left_event(event: dict, context: BoltContext) -> None:
    """The bot was removed from a channel."""
    if isinstance(event.get("channel"), str):
        context["people"].joined(event["channel"], False)


def app_home_opened_event(event: dict, context: BoltContext) -> None:
    """Draw the Home tab: a dashboard for facilitators, how to take part and one's own data for everyone."""
    user = event.get("user")
    if event.get("tab", "home") != "home" or not isinstance(user, str):
        return
    settings = context["settings"]
    view = home.view(context["store"], context["people"], context["linker"], user, settings.language,
                     context["clock"].now())
    context["slack"].publish_home(user, view)


def uninstalled_event(event: dict) -> None:
    """The app was removed or its tokens revoked: say so plainly in the log."""
    log.warning("Slack says this app was uninstalled or its tokens revoked; reinstall it to go on")
