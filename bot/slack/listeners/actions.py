"""Button presses: on prompts, under answers, in facilitators' messages, in modals and in the App Home."""

from __future__ import annotations

import json

from slack_bolt import Ack, BoltContext, Respond

from bot.blocks import messages, modals
from bot.errors import Refused
from bot.i18n import t
from bot.rules.commands import Command
from bot.services import facilitation, home, posting, privacy, replies, sessions
from bot.slack.listeners.common import caller_of, parts_of, private, tell, user_of, value_of
from bot.webapi import SlackFailure

HOME_ACTIONS = ("home_plan", "home_start", "home_pause", "home_resume", "home_send", "home_close", "home_summary",
                "home_export")


def _open_answer(body: dict, context: BoltContext, respond: Respond, anonymous: bool) -> None:
    lang = context["settings"].language
    try:
        prompt, session, hidden = replies.open_answer(context["store"], value_of(body), anonymous)
    except Refused as refusal:
        private(respond, refusal.text(lang))
        return
    try:
        context["slack"].open_view(body["trigger_id"], modals.answer(session, prompt, hidden))
    except SlackFailure:  # the trigger lasts 3 s; a slow moment in Slack or here lets it expire
        private(respond, t(session.language, "modal.retry"))


def answer_action(body: dict, context: BoltContext, respond: Respond) -> None:
    """*Svar*: open the answer modal (named where the mode allows)."""
    _open_answer(body, context, respond, anonymous=False)


def answer_anonymously_action(body: dict, context: BoltContext, respond: Respond) -> None:
    """*Svar anonymt*: the same modal, stored without a name."""
    _open_answer(body, context, respond, anonymous=True)


def vote_action(ack: Ack, body: dict, context: BoltContext, respond: Respond) -> None:
    """*Støt* / *Træk tilbage* under an answer: stored before the acknowledgement; the receipt follows."""
    ack()
    action = (body.get("actions") or [{}])[0]
    lang = context["settings"].language
    try:
        session, reply_id, supported = replies.vote_button(context["store"], context["linker"], value_of(body),
                                                           user_of(body), str(action.get("action_ts") or "0"))
        receipt = messages.vote_receipt(session.language, reply_id, supported)
    except Refused as refusal:
        receipt = messages.message(refusal.text(lang))
    context["later"](lambda: private(respond, receipt))


def post_now_action(ack: Ack, body: dict, context: BoltContext, respond: Respond) -> None:
    """A facilitator's *Send nu* on a missed or failed prompt: due now, posted by the next tick."""
    ack()
    store, lang = context["store"], context["settings"].language
    try:
        prompt, session = sessions.prompt_of(store, value_of(body))
        if not context["people"].is_facilitator(user_of(body), session):
            raise Refused("notice.not_facilitator", session.language, title=session.title)
        answer = facilitation.sent_now(session, prompt, *sessions.send_now(store, session, prompt,
                                                                            context["clock"].now()))
    except Refused as refusal:
        answer = messages.message(refusal.text(lang))
    context["later"](lambda: tell(body, context, respond, answer))


def test_prompt_action(body: dict, context: BoltContext, respond: Respond) -> None:
    """*Test det første spørgsmål på mig*: the first prompt, to the facilitator alone."""
    store = context["store"]
    session = store.sessions.get(value_of(body))
    if session is None or not context["people"].is_facilitator(user_of(body), session):
        private(respond, t(context["settings"].language, "notice.gone"))
        return
    prompts = store.prompts.of(session.id)
    private(respond, messages.test_prompt(session, prompts[0], len(prompts)))


def plan_action(body: dict, context: BoltContext, respond: Respond) -> None:
    """*Ret planen*: the session's plan in a modal."""
    _run(Command("plan", (value_of(body),), False), body, context, respond)


def plan_edit_action(body: dict, context: BoltContext) -> None:
    """*Ret* beside a prompt in the plan: its edit form on top of the plan."""
    prompt, session = sessions.prompt_of(context["store"], value_of(body))
    if context["people"].is_facilitator(user_of(body), session):
        context["slack"].push_view(body["trigger_id"], modals.edit_prompt(session, prompt))


def plan_add_action(body: dict, context: BoltContext) -> None:
    """*Tilføj spørgsmål*: an empty form on top of the plan."""
    session = context["store"].sessions.get(value_of(body))
    if session and context["people"].is_facilitator(user_of(body), session):
        context["slack"].push_view(body["trigger_id"], modals.edit_prompt(session, None))


def plan_remove_action(ack: Ack, body: dict, context: BoltContext) -> None:
    """*Fjern* beside a prompt not yet posted: gone from the plan, and the plan redrawn."""
    ack()
    store = context["store"]
    prompt, session = sessions.prompt_of(store, value_of(body))
    if not context["people"].is_facilitator(user_of(body), session):
        return
    sessions.remove_prompt(store, session, prompt)
    view_id, slack = (body.get("view") or {}).get("id"), context["slack"]
    if view_id:
        view = modals.plan(session, store.prompts.of(session.id))
        context["later"](lambda: slack.update_view(view_id, view))


def plan_anonymity_action(ack: Ack, body: dict, context: BoltContext) -> None:
    """A stricter anonymity mode chosen in the plan (a looser one only until the first prompt is out)."""
    ack()
    store, session_id = context["store"], json.loads((body.get("view") or {}).get("private_metadata") or "{}")
    session = store.sessions.get(str(session_id.get("session_id")))
    if session is None or not context["people"].is_facilitator(user_of(body), session):
        return
    try:
        session = sessions.set_anonymity(store, session, value_of(body))
    except Refused:
        pass  # the select only offers allowed modes; a forged one changes nothing
    view_id, slack, prompts = (body.get("view") or {}).get("id"), context["slack"], store.prompts.of(session.id)
    context["later"](lambda: posting.restate(slack, session, prompts, view_id, modals.plan(session, prompts)))


def new_session_action(body: dict, context: BoltContext, respond: Respond) -> None:
    """*Ny temadag* in the App Home: the planning modal."""
    _run(Command("new", (), False), body, context, respond)


def channel_chosen_action(body: dict, context: BoltContext) -> None:
    """A channel picked in the planning modal: find out now whether the bot is in it."""
    action = (body.get("actions") or [{}])[0]
    channel = action.get("selected_conversation")
    if isinstance(channel, str):
        context["people"].learn_channel(channel)


def delete_answer_action(ack: Ack, body: dict, context: BoltContext) -> None:
    """A person deletes one of their own answers (App Home or *Mine data*); the bot's post of it goes too."""
    ack()
    user, store, slack = user_of(body), context["store"], context["slack"]
    try:
        reply = privacy.delete_answer(store, context["linker"], user, value_of(body))
    except Refused:
        return
    view = body.get("view") or {}

    def after() -> None:  # after the acknowledgement: the deletion is stored, the rest is Slack's to show
        if reply.source == "modal" and reply.ts:
            slack.delete(reply.channel, reply.ts)
        if view.get("type") == "home":
            slack.publish_home(user, _home(context, user))
        elif view.get("id"):
            slack.update_view(view["id"], modals.my_data(modals.language_of(view, context["settings"].language),
                                                         privacy.mine(store, context["linker"], user)))
    context["later"](after)


def forget_me_action(body: dict, context: BoltContext, respond: Respond) -> None:
    """*Glem mig*: the confirmation step first."""
    _run(Command("forget", (), False), body, context, respond)


def home_action(body: dict, context: BoltContext, respond: Respond) -> None:
    """A dashboard button in the App Home: do it, tell the facilitator in a direct message, redraw the Home tab."""
    action = (body.get("actions") or [{}])[0].get("action_id")
    user, slack = user_of(body), context["slack"]
    try:
        answer = facilitation.home_action(action, value_of(body), caller_of(body, context), parts_of(context))
    except Refused as refusal:
        answer = messages.message(refusal.text(context["settings"].language))
    except SlackFailure:
        answer = messages.message(t(context["settings"].language, "modal.retry"))
    if answer:
        slack.post(slack.dm(user), answer)
    slack.publish_home(user, _home(context, user))


def _home(context: BoltContext, user: str) -> dict:
    return home.view(context["store"], context["people"], context["linker"], user, context["settings"].language,
                     context["clock"].now())


def _run(command: Command, body: dict, context: BoltContext, respond: Respond) -> None:
    lang = context["settings"].language
    try:
        answer = facilitation.run(command, caller_of(body, context), parts_of(context))
    except Refused as refusal:
        answer = messages.message(refusal.text(lang))
    except SlackFailure:  # a modal that could not open in time (its trigger lasts 3 s)
        answer = messages.message(t(lang, "modal.retry"))
    if answer:
        tell(body, context, respond, answer)

