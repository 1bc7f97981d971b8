"""The App Home tab: a dashboard for facilitators; for everyone how to take part and their own data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from bot.blocks import actions, button, confirm, context, divider, header, section
from bot.blocks.modals import mine_blocks
from bot.i18n import clock, date, t
from bot.rules import states
from bot.rules.schedule import local
from bot.rules.text import escape
from storage.records import Prompt, Reply, Session


@dataclass(frozen=True)
class Card:
    """One session on a facilitator's dashboard."""

    session: Session
    next_prompt: Prompt | None
    answers: int
    participants: int
    total_prompts: int


def home(lang: str, cards: Sequence[Card], answers: Sequence[tuple[Session, Reply]], may_plan: bool) -> dict:
    blocks: list[dict] = []
    if cards or may_plan:
        blocks += [header(t(lang, "home.facilitator_header"))]
        if may_plan:
            blocks.append(actions(button(t(lang, "button.new_session"), "new_session", "new", "primary")))
        if not cards:
            blocks.append(context(t(lang, "home.no_sessions")))
        for card in cards[:15]:
            blocks += [divider(), *_card(lang, card)]
        blocks.append(divider())
    blocks += [header(t(lang, "home.participant_header")), section(t(lang, "home.how")),
               section(t(lang, "home.modes")), divider(), *mine_blocks(lang, answers)]
    return {"type": "home", "blocks": blocks[:100]}


def _card(lang: str, card: Card) -> list[dict]:
    session = card.session
    start = local(session.start_at, session.timezone)
    lines = [f"*{escape(session.title)}*  ·  <#{session.channel}>  ·  {t(lang, 'state.' + session.state)}",
             t(lang, "home.when", day=date(lang, start), time=clock(lang, start)),
             t(lang, "home.counts", answers=card.answers, people=card.participants, n=card.participants)]
    if card.next_prompt:
        when = clock(lang, local(card.next_prompt.due_at, session.timezone))
        lines.append(t(lang, "home.next", number=card.next_prompt.position, total=card.total_prompts, time=when))
    buttons = [button(t(lang, "button.plan"), "home_plan", session.id)]
    if session.state == "scheduled":
        buttons.append(button(t(lang, "button.start"), "home_start", session.id, "primary"))
    if session.state in states.session_sources("paused"):
        buttons.append(button(t(lang, "button.pause"), "home_pause", session.id))
    if session.state == "paused":
        buttons.append(button(t(lang, "button.resume"), "home_resume", session.id, "primary"))
    if session.state in ("running", "paused") and card.next_prompt:
        buttons.append(button(t(lang, "button.send_next"), "home_send", session.id))
    if session.state != "closed":
        buttons.append(button(t(lang, "button.close"), "home_close", session.id, confirm=confirm(
            t(lang, "close.title"), t(lang, "close.text", title=escape(session.title)), t(lang, "button.close"),
            t(lang, "modal.close"))))
    buttons += [button(t(lang, "button.summary"), "home_summary", session.id),
                button(t(lang, "button.export"), "home_export", session.id)]
    return [section("\n".join(lines)), actions(*buttons)]
