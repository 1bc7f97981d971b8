"""Modal submissions: answers, a new theme day, a changed prompt, forget-me."""

from __future__ import annotations

import json
from dataclasses import replace

from slack_bolt import Ack, BoltContext

from bot.blocks import messages, modals
from bot.errors import BadInput, Refused
from bot.i18n import t
from bot.rules.schedule import from_pickers
from bot.services import facilitation, privacy, replies, sessions
from bot.slack.listeners.common import caller_of, parts_of, user_of


def answer_view(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    """Store the answer, then close the modal; the outbox posts an open answer into the thread."""
    user, store = user_of(body), context["store"]
    try:
        reply = replies.modal_answer(store, context["people"], context["linker"], view, user, context["clock"].now(),
                                     user_team=(body.get("user") or {}).get("team_id"))
    except Refused as refusal:
        ack(response_action="errors", errors={"answer": refusal.text(context["settings"].language)})
        return
    ack()
    if reply:
        session, slack = store.sessions.get(reply.session_id), context["slack"]
        # Privately, in the channel: the modal has closed, and an anonymous answer shows up without a name.
        context["later"](lambda: slack.ephemeral(session.channel, user, messages.message(
            t(session.language, "modal.thanks"))))


def plan_session_view(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    """A new theme day from the planning modal: checked field by field, created, then confirmed privately."""
    caller, parts = caller_of(body, context), parts_of(context)
    caller = replace(caller, language=modals.language_of(view, caller.language))
    team = (body.get("team") or {}).get("id") or context["people"].team_id
    values = (view.get("state") or {}).get("values") or {}
    session, errors, join = facilitation.planned(values, str(view.get("id")), caller, parts, team)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    context["later"](lambda: facilitation.after_planning(session, join, caller, parts))


def edit_prompt_view(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    """A prompt changed (or added) in the plan; the plan below is redrawn."""
    store, user = context["store"], user_of(body)
    meta = json.loads(view.get("private_metadata") or "{}")
    session = store.sessions.get(str(meta.get("session_id")))
    if session is None or not context["people"].is_facilitator(user, session):
        ack()
        return
    values = (view.get("state") or {}).get("values") or {}
    text = (values.get("text", {}).get("text") or {}).get("value") or ""
    day = (values.get("date", {}).get("date") or {}).get("selected_date")
    clock_time = (values.get("time", {}).get("time") or {}).get("selected_time")
    try:
        due = from_pickers(day, clock_time, session.timezone)
        sessions.save_prompt(store, session, meta.get("prompt_id"), text, due, context["clock"].now())
    except BadInput:
        ack(response_action="errors", errors={"time": t(session.language, "new.error_time")})
        return
    except Refused as refusal:
        ack(response_action="errors", errors={"time" if "past" in refusal.key else "text": refusal.text(session.language)})
        return
    ack()
    previous, slack = view.get("previous_view_id"), context["slack"]
    if previous:
        plan = modals.plan(store.sessions.get(session.id), store.prompts.of(session.id))
        context["later"](lambda: slack.update_view(previous, plan))


def forget_me_view(body: dict, context: BoltContext) -> None:
    """Forget-me confirmed: everything about the person goes, and they get a private report."""
    user, slack = user_of(body), context["slack"]
    report = privacy.forget(context["store"], context["linker"], context["people"], slack, user)
    lang = modals.language_of(body.get("view") or {}, context["settings"].language)
    lines = [t(lang, "forget.done", n=report.replies, answers=report.replies)]
    if report.left_in_slack:
        lines.append(t(lang, "forget.by_hand") + "\n" + "\n".join(f"• {link}" for link in report.left_in_slack[:20]))
    slack.post(slack.dm(user), messages.message("\n\n".join(lines)))
