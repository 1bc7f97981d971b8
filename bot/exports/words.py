"""The words every export format shares: who wrote an answer, role and state labels, local times, numbers."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Mapping

from bot.i18n import catalog, clock, date, t
from bot.rules import anonymity, schedule
from bot.rules.summary import UNKNOWN_ROLE, Answer, Summary
from storage.records import Session

ROLE_ORDER = ("employee", "politician", "guest", "facilitator")


def language(summary: Summary) -> str:
    """The language every text of this export is written in: the session's."""
    return summary.session.language


def label(lang: str, key: str, fallback: str) -> str:
    """A catalog text, or `fallback` (the raw value) when the catalog has none for it."""
    return t(lang, key) if key in catalog(lang) else fallback


def who(lang: str, answer: Answer) -> str:
    """The display name, "navn skjult" or "anonym": never more than the Summary gives."""
    if answer.byline == anonymity.NAME and answer.author:
        return answer.author
    return t(lang, "byline.anonymous" if answer.byline == anonymity.ANONYMOUS else "byline.hidden")


def role(lang: str, name: str | None) -> str:
    """A role as the reader says it; None (a role that may not be shown) is "rolle ikke vist"."""
    if name is None or name == UNKNOWN_ROLE:
        return t(lang, "byline.role_unknown")
    return label(lang, f"role.{name}", name)


def by_role(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """Counts by role in a fixed order (employees first, the unknown bucket last), so tables and charts agree."""
    rank = {name: n for n, name in enumerate(ROLE_ORDER)}
    return sorted(counts.items(), key=lambda pair: (pair[0] == UNKNOWN_ROLE, rank.get(pair[0], len(rank)), pair[0]))


def byline(lang: str, answer: Answer) -> str:
    """"role, who" (the role left out where it may not be shown)."""
    name = who(lang, answer)
    return f"{role(lang, answer.role)}, {name}" if answer.role else name


def marks(lang: str, answer: Answer) -> list[str]:
    """What else a reader should know of an answer: its votes, an edit, a late arrival."""
    found = [t(lang, "byline.votes", n=answer.votes)] if answer.votes else []
    if answer.edited:
        found.append(t(lang, "byline.edited"))
    if answer.late:
        found.append(t(lang, "byline.late"))
    return found


def local(session: Session, iso: str) -> datetime:
    """A stored UTC time in the session's time zone (DST-correct)."""
    return schedule.local(iso, session.timezone)


def moment(lang: str, when: datetime) -> str:
    """`12. marts 2026, kl. 09.00` / `12 March 2026, 09:00`."""
    return f"{date(lang, when)}, {clock(lang, when)}"


def span(lang: str, session: Session) -> str:
    """When the theme day ran, in its own time zone: start and (once closed) end."""
    start = local(session, session.start_at)
    if not session.closed_at:
        return t(lang, "report.span_open", start=moment(lang, start), timezone=session.timezone)
    end = local(session, session.closed_at)
    end_text = clock(lang, end) if end.date() == start.date() else moment(lang, end)
    return t(lang, "report.span", start=moment(lang, start), end=end_text, timezone=session.timezone)


def number(lang: str, value: float | int | None) -> str:
    """A number as the language writes it (`3,5` in Danish); whole numbers without decimals."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").replace(".", t(lang, "number.decimal"))


def caveat(lang: str, summary: Summary) -> str:
    """What the figures cannot say, and (when both kinds answered) that named and anonymous people are
    counted apart."""
    counted_apart = summary.named_people and summary.anonymous_people
    return t(lang, "report.caveat") + (" " + t(lang, "report.counted_apart") if counted_apart else "")


def percent(lang: str, fraction: float) -> str:
    """`75 %` in Danish, `75%` in English."""
    return t(lang, "number.percent", value=math.floor(fraction * 100 + 0.5))   # half up: 12.5 % is "13 %"


def channel(session: Session) -> str:
    """The channel by name, or its id when the name was never read."""
    return f"#{session.channel_name}" if session.channel_name else session.channel


def mode(lang: str, summary: Summary) -> str:
    """The anonymity mode in one plain sentence, as it applies to this export's readers."""
    name = summary.session.anonymity
    if name == "confidential":
        name = f"confidential_{'facilitator' if summary.audience == 'facilitator' else 'report'}"
    return label(lang, f"report.mode_{name}", summary.session.anonymity)
