"""Modals: answering a prompt, planning a theme day, changing its plan, forget-me and one's own data."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Sequence

from bot.blocks import actions, button, confirm, context, divider, messages, option, plain, section
from bot.i18n import LANGUAGES, date, t
from bot.rules import anonymity, states
from bot.rules.schedule import local
from bot.rules.text import escape, shorten
from storage.records import Prompt, Reply, Session

ANSWER = "hvis_answer"
PLAN_SESSION = "hvis_plan_session"
PLAN = "hvis_plan"
EDIT_PROMPT = "hvis_edit_prompt"
FORGET_ME = "hvis_forget_me"
MAX_ANSWER = 3000


def _modal(callback_id: str, title: str, blocks: list[dict], submit: str | None = None, close: str | None = None,
           metadata: dict | None = None) -> dict:
    view = {"type": "modal", "callback_id": callback_id, "title": plain(title, 24), "blocks": blocks[:100]}
    if submit:
        view["submit"] = plain(submit, 24)
    if close:
        view["close"] = plain(close, 24)
    if metadata is not None:
        view["private_metadata"] = json.dumps(metadata, separators=(",", ":"))
    return view


def _input(block_id: str, label: str, element: dict, hint: str | None = None, optional: bool = False,
           dispatch: bool = False) -> dict:
    block = {"type": "input", "block_id": block_id, "label": plain(label, 2000), "element": element,
             "optional": optional}
    if hint:
        block["hint"] = plain(hint, 2000)
    if dispatch:
        block["dispatch_action"] = True
    return block


def answer(session: Session, prompt: Prompt, anonymous: bool) -> dict:
    """The answer modal; private_metadata carries only the prompt's id and the anonymity choice."""
    lang = session.language
    note = "modal.anonymous_note" if anonymous else (
        "modal.named_note" if anonymity.byline(session.anonymity, "channel", False) == anonymity.NAME
        else "modal.confidential_note")
    if prompt.kind == "open":
        element = {"type": "plain_text_input", "action_id": "value", "multiline": True, "max_length": MAX_ANSWER,
                   "placeholder": plain(t(lang, "modal.placeholder"), 150)}
        label = t(lang, "modal.label")
    elif prompt.kind == "vote":
        element = {"type": "radio_buttons", "action_id": "value",
                   "options": [option(choice, choice) for choice in prompt.options]}
        label = t(lang, "modal.choose")
    else:
        low, high = (list(prompt.scale_labels) + ["", ""])[:2]
        element = {"type": "radio_buttons", "action_id": "value", "options": [
            option(f"{n}" + (f" – {low}" if n == 1 and low else f" – {high}" if n == 5 and high else ""), str(n))
            for n in range(1, 6)]}
        label = t(lang, "modal.scale")
    return _modal(ANSWER, t(lang, "modal.title"), [
        section(escape(prompt.text, 3000)),
        _input("answer", label, element),
        context(t(lang, note)),
    ], t(lang, "modal.submit"), t(lang, "modal.close"), {"prompt_id": prompt.id, "anonymous": anonymous})


def plan_session(lang: str, decks: Sequence[tuple[str, str, str]], *, channel: str | None, user: str, tz: str,
                 today: datetime, errors_hint: str | None = None) -> dict:
    """The planning modal: title, channel, deck, date and time, anonymity, facilitators, language.
    `decks` are (name, title, language)."""
    channel_select = {"type": "conversations_select", "action_id": "channel",
                      "filter": {"include": ["public", "private"], "exclude_bot_users": True}}
    if channel and channel[:1] in "CG":
        channel_select["initial_conversation"] = channel
    else:
        channel_select["default_to_current_conversation"] = True
    deck_options = [option(shorten(title, 70), name, description=f"{name} ({language})")
                    for name, title, language in decks]
    order = ("choice", "named", "confidential", "anonymous")
    modes = [option(t(lang, f"anonymity.{mode}"), mode) for mode in order]
    languages = [option(t(lang, "language.da"), "da"), option(t(lang, "language.en"), "en")]
    blocks = [
        _input("title", t(lang, "new.title"), {"type": "plain_text_input", "action_id": "title", "max_length": 150,
                                              "placeholder": plain(t(lang, "new.title_placeholder"), 150)}),
        _input("channel", t(lang, "new.channel"), channel_select, hint=t(lang, "new.channel_hint"), dispatch=True),
        _input("join", t(lang, "new.join"), {"type": "checkboxes", "action_id": "join", "options": [
            option(t(lang, "new.join_option"), "join")]}, optional=True),
        _input("deck", t(lang, "new.deck"), {"type": "static_select", "action_id": "deck", "options": deck_options,
                                            "initial_option": deck_options[0]}),
        _input("date", t(lang, "new.date"), {"type": "datepicker", "action_id": "date",
                                            "initial_date": today.strftime("%Y-%m-%d")}),
        _input("time", t(lang, "new.time"), {"type": "timepicker", "action_id": "time"},
               hint=t(lang, "new.time_hint", zone=tz)),
        _input("anonymity", t(lang, "new.anonymity"), {"type": "radio_buttons", "action_id": "anonymity",
                                                      "options": modes, "initial_option": modes[0]}),
        context("\n".join(f"*{t(lang, f'anonymity.{mode}')}:* {t(lang, f'mode.{mode}')}" for mode in order)),
        _input("facilitators", t(lang, "new.facilitators"), {"type": "multi_users_select", "action_id": "facilitators",
                                                            "initial_users": [user]}),
        _input("language", t(lang, "new.language"), {"type": "static_select", "action_id": "language",
                                                    "options": languages,
                                                    "initial_option": languages[0 if lang == "da" else 1]},
               hint=t(lang, "new.language_hint")),
    ]
    if errors_hint:
        blocks.insert(0, context(errors_hint))
    return _modal(PLAN_SESSION, t(lang, "new.modal_title"), blocks, t(lang, "new.submit"), t(lang, "modal.close"),
                  {"tz": tz, "lang": lang})


def plan(session: Session, prompts: Sequence[Prompt]) -> dict:
    """A session's plan: each prompt with its time, *Ret* and *Fjern* while it is not yet posted, and *Tilføj*."""
    lang = session.language
    start = local(session.start_at, session.timezone)
    modes = [option(t(lang, f"anonymity.{mode}"), mode) for mode in anonymity.MODES
             if anonymity.may_change(session.anonymity, mode, session.anonymity_fixed)]
    chooser = {"type": "static_select", "action_id": "plan_anonymity", "options": modes,
               "initial_option": next(o for o in modes if o["value"] == session.anonymity)}
    blocks = [section(t(lang, "plan.intro", title=escape(session.title), day=date(lang, start),
                        state=t(lang, f"state.{session.state}"))),
              section(t(lang, "plan.anonymity"), accessory=chooser if session.state != "closed" and len(modes) > 1
                      else None, block_id="anonymity"),
              context(messages.mode_sentence(session)), divider()]
    for prompt in prompts[:30]:
        text = messages.schedule_line(lang, session, prompt, 150)
        if prompt.state in states.EDITABLE_PROMPT_STATES:
            blocks.append(section(text))
            blocks.append(actions(
                button(t(lang, "plan.edit"), "plan_edit", str(prompt.id)),
                button(t(lang, "plan.remove"), "plan_remove", str(prompt.id), confirm=confirm(
                    t(lang, "plan.remove_title"), t(lang, "plan.remove_text"), t(lang, "plan.remove"),
                    t(lang, "modal.close")))))
        else:
            blocks.append(section(f"{text}  _({t(lang, 'state.' + prompt.state)})_"))
    if session.state != "closed":
        blocks.append(actions(button(t(lang, "plan.add"), "plan_add", session.id, "primary")))
    return _modal(PLAN, t(lang, "plan.title"), blocks, close=t(lang, "modal.done"), metadata={"session_id": session.id})


def edit_prompt(session: Session, prompt: Prompt | None) -> dict:
    """Change a prompt's text and time (or add a new open prompt when `prompt` is None)."""
    lang = session.language
    when = local(prompt.due_at, session.timezone) if prompt else None
    text = {"type": "plain_text_input", "action_id": "text", "multiline": True, "max_length": 1000}
    if prompt:
        text["initial_value"] = prompt.text
    day = {"type": "datepicker", "action_id": "date"}
    time_ = {"type": "timepicker", "action_id": "time"}
    if when:
        day["initial_date"], time_["initial_time"] = when.strftime("%Y-%m-%d"), when.strftime("%H:%M")
    else:
        day["initial_date"] = local(session.start_at, session.timezone).strftime("%Y-%m-%d")
    return _modal(EDIT_PROMPT, t(lang, "plan.edit_title" if prompt else "plan.add_title"), [
        _input("text", t(lang, "plan.text"), text),
        _input("date", t(lang, "new.date"), day),
        _input("time", t(lang, "new.time"), time_, hint=t(lang, "new.time_hint", zone=session.timezone)),
    ], t(lang, "plan.save"), t(lang, "modal.close"),
        {"session_id": session.id, "prompt_id": prompt.id if prompt else None})


def language_of(view: dict, default: str) -> str:
    """The language a modal was opened in (kept in its private_metadata), so what follows speaks it too."""
    try:
        lang = json.loads(view.get("private_metadata") or "{}").get("lang")
    except (ValueError, AttributeError):
        lang = None
    return lang if lang in LANGUAGES else default


def forget_me(lang: str, answers: int) -> dict:
    """The confirmation step before forget-me."""
    return _modal(FORGET_ME, t(lang, "forget.title"), [
        section(t(lang, "forget.text", n=answers, answers=answers)),
        context(t(lang, "forget.note")),
    ], t(lang, "forget.submit"), t(lang, "modal.close"), {"lang": lang})


def my_data(lang: str, answers: Sequence[tuple[Session, Reply]]) -> dict:
    """What is stored about a person: their answers (with delete buttons) and how to be forgotten."""
    return _modal("hvis_my_data", t(lang, "mine.title"), [*mine_blocks(lang, answers)], close=t(lang, "modal.done"),
                  metadata={"lang": lang})


def mine_blocks(lang: str, answers: Sequence[tuple[Session, Reply]]) -> list[dict]:
    blocks = [section(t(lang, "mine.intro", n=len(answers), answers=len(answers)))]
    for session, reply in answers[-20:]:
        shown = t(lang, "mine.anonymous") if reply.anonymous else ""
        text = f"*{escape(shorten(session.title, 60))}* {shown}\n{escape(shorten(reply.text, 200))}"
        if reply.source == "modal":
            blocks.append(section(text, accessory=button(t(lang, "mine.delete"), "delete_answer", reply.id, confirm=confirm(
                t(lang, "mine.delete_title"), t(lang, "mine.delete_text"), t(lang, "mine.delete"), t(lang, "modal.close")))))
        else:
            blocks.append(section(text))
            blocks.append(context(t(lang, "mine.thread_note")))
    blocks.append(actions(button(t(lang, "button.forget_me"), "forget_me", "forget", "danger")))
    return blocks
