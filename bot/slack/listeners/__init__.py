"""Slack in: each listener reads the payload, calls one service and answers. All registered here.

Acknowledgement paths touch only SQLite and memory; anything that calls Slack runs after the
acknowledgement, in a Bolt lazy listener or handed to `later` (when it needs what the ack stored).
"""

from __future__ import annotations

from slack_bolt import App

from bot.blocks import modals
from bot.slack.listeners import actions, commands, events, views


def _ack(ack) -> None:
    """Acknowledge at once; the lazy part does the work."""
    ack()


def register(app: App) -> None:
    app.event("message")(events.message_event)
    app.event("reaction_added")(events.reaction_added_event)
    app.event("reaction_removed")(events.reaction_removed_event)
    app.event("member_joined_channel")(events.member_joined_event)
    app.event("member_left_channel")(events.member_left_event)
    app.event("channel_left")(events.channel_left_event)
    app.event("group_left")(events.channel_left_event)
    app.event("app_home_opened")(ack=events.noop, lazy=[events.app_home_opened_event])
    app.event("tokens_revoked")(events.uninstalled_event)
    app.event("app_uninstalled")(events.uninstalled_event)

    app.action("answer")(ack=_ack, lazy=[actions.answer_action])
    app.action("answer_anonymously")(ack=_ack, lazy=[actions.answer_anonymously_action])
    app.action("vote")(actions.vote_action)
    app.action("post_now")(actions.post_now_action)
    app.action("test_prompt")(ack=_ack, lazy=[actions.test_prompt_action])
    app.action("plan")(ack=_ack, lazy=[actions.plan_action])
    app.action("plan_edit")(ack=_ack, lazy=[actions.plan_edit_action])
    app.action("plan_add")(ack=_ack, lazy=[actions.plan_add_action])
    app.action("plan_remove")(actions.plan_remove_action)
    app.action("plan_anonymity")(actions.plan_anonymity_action)
    app.action("new_session")(ack=_ack, lazy=[actions.new_session_action])
    app.action("channel")(ack=_ack, lazy=[actions.channel_chosen_action])
    app.action("delete_answer")(actions.delete_answer_action)
    app.action("forget_me")(ack=_ack, lazy=[actions.forget_me_action])
    for action_id in actions.HOME_ACTIONS:
        app.action(action_id)(ack=_ack, lazy=[actions.home_action])

    app.view(modals.ANSWER)(views.answer_view)
    app.view(modals.PLAN_SESSION)(views.plan_session_view)
    app.view(modals.EDIT_PROMPT)(views.edit_prompt_view)
    app.view(modals.FORGET_ME)(ack=_ack, lazy=[views.forget_me_view])

    app.command("/hvis")(ack=_ack, lazy=[commands.hvis_command])
