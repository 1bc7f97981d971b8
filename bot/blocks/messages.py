"""Messages the bot posts in channels, threads and direct messages."""

from __future__ import annotations

from typing import Sequence

from bot.blocks import actions, button, context, header, message, section, value
from bot.i18n import clock, date, decimal, t
from bot.rules import anonymity
from bot.rules.schedule import local
from bot.rules.summary import Summary, is_scale_value, scale_summary, vote_counts
from bot.rules.text import MAX_SECTION, escape, shorten
from storage.records import Prompt, Reply, Session

BAR = 12  # characters in a full tally bar


def mode_sentence(session: Session) -> str:
    """The one plain sentence every prompt carries about who can see what."""
    return t(session.language, f"mode.{session.anonymity}")


def prompt_message(session: Session, prompt: Prompt, total: int, values: Sequence[str] | None = None,
                   closed: bool = False) -> dict:
    """A prompt as posted (and updated): the question as the deck wrote it, how to answer, the anonymity
    sentence, answer buttons while open, and for vote and scale prompts the live anonymous tally."""
    lang = session.language
    title = t(lang, "prompt.header", number=prompt.position, total=total)
    blocks = [header(title), section(escape(prompt.text, MAX_SECTION))]
    if prompt.help:
        blocks.append(context(escape(prompt.help)))
    if prompt.kind == "vote" and not values:
        blocks.append(section("\n".join(f"• {escape(option)}" for option in prompt.options)))
    if prompt.kind == "scale" and len(prompt.scale_labels) == 2:
        blocks.append(context(escape(t(lang, "prompt.scale_range", low=prompt.scale_labels[0],
                                       high=prompt.scale_labels[1]))))
    if prompt.kind in ("vote", "scale") and values:
        blocks.append(section(tally(lang, prompt, values)))
    if closed:
        blocks.append(context(f"🔒 {t(lang, 'prompt.closed')}\n{mode_sentence(session)}"))
    else:
        blocks.append(context(t(lang, f"prompt.how_{prompt.kind}") + "\n" + mode_sentence(session)))
        blocks.append(actions(*[
            button(t(lang, key), "answer_anonymously" if anonymous else "answer", str(prompt.id),
                   None if anonymous else "primary")
            for key, anonymous in anonymity.answer_buttons(session.anonymity)], block_id=f"prompt-{prompt.id}"))
    return message(f"{title}: {escape(shorten(prompt.text, 200))}", blocks)


def tally(lang: str, prompt: Prompt, values: Sequence[str]) -> str:
    """Bars in text with counts (and the mean of a scale): an aggregate, never who chose what."""
    if prompt.kind == "scale":
        numbers = [int(v) for v in values if is_scale_value(v)]
        summary = scale_summary(numbers, prompt.scale_labels)
        rows = [(str(n), count) for n, count in summary.distribution]
        head = t(lang, "tally.scale", n=summary.n, mean=decimal(lang, summary.mean) if summary.mean else "–")
    else:
        rows = list(vote_counts(prompt.options, list(values)))
        head = t(lang, "tally.vote", n=sum(count for _, count in rows))
    most = max((count for _, count in rows), default=0) or 1
    lines = [f"`{'█' * round(BAR * count / most):<{BAR}}` {count:>3}  {escape(label)}" for label, count in rows]
    return "\n".join([f"*{head}*", *lines])


def answer_post(session: Session, reply: Reply) -> dict:
    """The bot's post of a modal answer into the prompt's thread, attributed as the mode allows everyone."""
    lang = session.language
    shown = anonymity.byline(session.anonymity, "channel", reply.anonymous or not reply.user_id)
    byline = t(lang, "answer.named", user=reply.user_id) if shown == anonymity.NAME else t(lang, f"answer.{shown}")
    text = escape(reply.text, MAX_SECTION)
    return message(f"{byline} {escape(shorten(reply.text, 200))}", [
        context(byline), section(text),
        actions(button(t(lang, "button.support"), "vote", value({"r": reply.id, "on": 1})), block_id="vote")])


def vote_receipt(lang: str, reply_id: str, supported: bool) -> dict:
    """The private answer to a Support (or Withdraw) click, with the button for the opposite wish."""
    key, label, wish = ("vote.added", "button.withdraw", 0) if supported else ("vote.removed", "button.support", 1)
    return message(t(lang, key), [section(t(lang, key)),
                                  actions(button(t(lang, label), "vote", value({"r": reply_id, "on": wish})))])


def reminder(session: Session, answers: int) -> dict:
    """A nudge in the prompt's thread: how many answers so far, never who (counts must not link)."""
    lang = session.language
    return message(t(lang, "reminder.some", n=answers) if answers else t(lang, "reminder.none"))


def facilitator_notice(session: Session, prompts: Sequence[Prompt], text: str) -> dict:
    """A direct message to facilitators about prompts that did not go out, with a *Send nu* button each."""
    lang = session.language
    blocks = [section(text)]
    for prompt in prompts[:20]:
        blocks.append(section(f"*{prompt.position}.* {escape(shorten(prompt.text, 150))}",
                              accessory=button(t(lang, "button.post_now"), "post_now", str(prompt.id), "primary")))
    return message(text, blocks)


def greeting(session: Session, is_guest: bool) -> dict:
    """The private welcome for someone who joins a session channel: how to take part and a privacy note."""
    lang = session.language
    text = t(lang, "greeting.text", title=escape(session.title))
    blocks = [section(text), context(mode_sentence(session) + " " + t(lang, "greeting.privacy"))]
    if is_guest:
        blocks.append(context(t(lang, "greeting.guest")))
    return message(text, blocks)


def wrapup(summary: Summary) -> dict:
    """The short post in the channel when a session closes: counts, the top ideas, theme headlines."""
    lang = summary.session.language
    text = t(lang, "wrapup.text", title=escape(summary.session.title), answers=summary.replies,
             people=summary.participants, n=summary.participants, prompts=len(summary.prompts))
    blocks = [header(t(lang, "wrapup.header")), section(text)]
    if summary.top:
        blocks.append(_top_ideas(lang, summary, 180))
    themes = [theme.label for prompt in summary.prompts for theme in prompt.themes[:2]]
    if themes:
        blocks.append(section(f"*{t(lang, 'wrapup.themes')}*\n" + " · ".join(escape(label) for label in themes[:8])))
    blocks.append(context(t(lang, "summary.caveat") + " " + t(lang, "wrapup.followup")))
    return message(text, blocks)


def _top_ideas(lang: str, summary: Summary, limit: int) -> dict:
    """The three most supported ideas, each with its 👍 count."""
    return section(f"*{t(lang, 'wrapup.top')}*\n" + "\n".join(
        f"• “{escape(shorten(a.text, limit))}” ({a.votes} 👍)" for a in summary.top[:3]))


def schedule_line(lang: str, session: Session, prompt: Prompt, limit: int) -> str:
    """One prompt of the plan as people read it: `kl. 09.30  1. Tænk nu, hvis …`."""
    when = clock(lang, local(prompt.due_at, session.timezone))
    return f"`{when}`  *{prompt.position}.* {escape(shorten(prompt.text, limit))}"


def schedule_lines(session: Session, prompts: Sequence[Prompt]) -> str:
    """The plan, a line per prompt, with the state of those no longer simply waiting."""
    lang = session.language
    return "\n".join(schedule_line(lang, session, prompt, 90) + (
        "" if prompt.state == "pending" else f" _({t(lang, 'state.' + prompt.state)})_") for prompt in prompts)


def planned(session: Session, prompts: Sequence[Prompt]) -> dict:
    """The facilitator's confirmation after planning: when, where, how anonymous, the schedule, a test button."""
    lang = session.language
    start = local(session.start_at, session.timezone)
    text = t(lang, "planned.text", title=escape(session.title), channel=session.channel,
             day=date(lang, start), time=clock(lang, start))
    return message(text, [
        section(text), context(mode_sentence(session)), section(schedule_lines(session, prompts)),
        actions(button(t(lang, "button.test_prompt"), "test_prompt", session.id),
                button(t(lang, "button.plan"), "plan", session.id))])


def test_prompt(session: Session, prompt: Prompt, total: int) -> dict:
    """The first prompt shown to the facilitator alone, as participants will see it (buttons inert)."""
    posted = prompt_message(session, prompt, total)
    note = context(t(session.language, "planned.test_note"))
    return {**posted, "blocks": [note, *posted["blocks"][:-1]]}


def summary(summary: Summary) -> dict:
    """The summary a facilitator asks for in Slack: totals, the top ideas, and each prompt in a line or two."""
    lang = summary.session.language
    text = t(lang, "summary.head", title=escape(summary.session.title), answers=summary.replies,
             people=summary.participants, n=summary.participants, votes=summary.votes)
    blocks = [section(text)]
    if summary.top:
        blocks.append(_top_ideas(lang, summary, 150))
    for prompt in summary.prompts[:20]:
        line = f"*{prompt.position}.* {escape(shorten(prompt.text, 80))} — {t(lang, 'summary.answers', n=prompt.replies)}"
        if prompt.scale and prompt.scale.n:
            line += " · " + t(lang, "summary.scale", mean=decimal(lang, prompt.scale.mean), n=prompt.scale.n)
        if prompt.vote and prompt.vote[0][1]:
            line += " · " + t(lang, "summary.vote", option=escape(shorten(prompt.vote[0][0], 60)), n=prompt.vote[0][1])
        if prompt.themes:
            line += "\n   " + t(lang, "summary.themes", themes=" · ".join(escape(th.label) for th in prompt.themes[:4]))
        blocks.append(section(line))
    blocks.append(context(t(lang, "summary.caveat")))
    return message(text, blocks[:50])
