"""The summary of a theme day: one pure computation that every export format and Slack post renders.

Counts follow `anonymity`: named people and anonymous people are counted apart and never merged,
roles of unnamed answers appear only above the threshold, and each audience sees only the names
its anonymity mode allows.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Mapping, Sequence

from bot.rules import anonymity
from bot.rules.text import unmarked
from storage.records import Prompt, Reply, Session, Theme

TIMELINE_MINUTES = 15
TOP_IDEAS = 5
UNKNOWN_ROLE = "unknown"  # the bucket for answers whose role may not be shown
SCALE = tuple(range(1, 6))
SCALE_VALUES = frozenset(str(n) for n in SCALE)


@dataclass(frozen=True)
class Turnout:
    """Anonymous people who took part, counted in a space of their own (storage: anonymous_people):
    distinct people per role over the whole session, never linked to their answers."""

    by_role: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """One answer as the audience may see it."""

    id: str
    prompt_key: str
    text: str
    byline: str                # anonymity.NAME, HIDDEN or ANONYMOUS
    author: str | None         # display name, only when byline is NAME
    user_id: str | None        # only for the facilitator audience, when byline is NAME
    role: str | None           # None where showing it could single someone out
    source: str
    created_at: str
    ts: str | None
    edited: bool
    late: bool
    votes: int


@dataclass(frozen=True)
class ThemeSummary:
    label: str
    keywords: tuple[str, ...]
    reply_ids: tuple[str, ...]
    quotes: tuple[Answer, ...]


@dataclass(frozen=True)
class ScaleSummary:
    n: int
    mean: float | None
    median: float | None
    distribution: tuple[tuple[int, int], ...]   # (value 1–5, count)
    labels: tuple[str, ...] = ()                # what 1 and 5 mean

    @property
    def meaning(self) -> dict[int, str]:
        """What a point of the scale means, for the points the deck named (1 and 5)."""
        return dict(zip((1, 5), self.labels))


@dataclass(frozen=True)
class PromptSummary:
    id: int
    key: str
    position: int
    text: str
    kind: str
    state: str
    due_at: str
    posted_at: str | None
    message_ts: str | None
    options: tuple[str, ...]
    replies: int
    participants: int
    by_role: Mapping[str, int]
    answers: tuple[Answer, ...]                  # every answer, in the order given
    comments: tuple[Answer, ...]                 # answers that are not a vote or rating (all, for open prompts)
    top: tuple[Answer, ...]
    themes: tuple[ThemeSummary, ...]
    unthemed: int
    scale: ScaleSummary | None = None
    vote: tuple[tuple[str, int], ...] | None = None   # options ranked by count


@dataclass(frozen=True)
class Narrative:
    """A machine-written summary (optional LLM) with only the quotes found verbatim in the answers."""

    text: str
    quotes: tuple[str, ...]
    model: str


@dataclass(frozen=True)
class Summary:
    session: Session
    audience: str
    replies: int
    participants: int
    named_people: int
    anonymous_people: int
    anonymous_answers: int
    members: int | None
    participation: float | None                  # at least this share of the channel took part (see summarize)
    votes: int
    by_role: Mapping[str, int]
    timeline: tuple[tuple[str, int], ...]        # (bucket start UTC ISO, answers) every TIMELINE_MINUTES
    top: tuple[Answer, ...]
    prompts: tuple[PromptSummary, ...]
    narrative: Narrative | None = None


def summarize(session: Session, prompts: Sequence[Prompt], replies: Sequence[Reply], *, audience: str,
              names: Mapping[str, str] | None = None, turnout: Turnout | None = None,
              themes: Mapping[int, Sequence[Theme]] | None = None, narrative: Narrative | None = None) -> Summary:
    """Everything a report needs, computed once from the stored records."""
    names, turnout, themes = names or {}, turnout or Turnout(), themes or {}
    named_roles = _named_people_by_role(replies)
    keys = {p.id: p.key for p in prompts}
    views = {r.id: _answer(session, r, keys.get(r.prompt_id, ""), audience, names, named_roles, turnout)
             for r in replies}
    per_prompt = [_prompt(session, p, [r for r in replies if r.prompt_id == p.id], views, themes.get(p.id, ()),
                          turnout, audience, named_roles) for p in prompts]
    named = {r.user_id for r in replies if r.user_id}
    anonymous_people = sum(turnout.by_role.values())
    people = anonymity.participants(named, anonymous_people)
    members = session.members
    return Summary(
        session=session, audience=audience, replies=len(replies), participants=people,
        named_people=len(named), anonymous_people=anonymous_people,
        anonymous_answers=sum(r.anonymous for r in replies), members=members,
        # A lower bound: named and anonymous people cannot be told apart, so the larger group is all we know.
        participation=min(1.0, max(len(named), anonymous_people) / members) if members else None,
        votes=sum(r.votes for r in replies),
        by_role=_by_role(views.values(), audience, named_roles, turnout),
        timeline=timeline([r.created_at for r in replies]),
        top=top_ideas([a for p in per_prompt for a in p.comments]), prompts=tuple(per_prompt), narrative=narrative,
    )


def _named_people_by_role(replies: Sequence[Reply]) -> dict[str, int]:
    people: dict[str, set[str]] = {}
    for reply in replies:
        if reply.user_id:
            people.setdefault(reply.role, set()).add(reply.user_id)
    return {role: len(users) for role, users in people.items()}


def _answer(session: Session, reply: Reply, prompt_key: str, audience: str, names: Mapping[str, str],
            named_roles: Mapping[str, int], turnout: Turnout) -> Answer:
    shown = anonymity.byline(session.anonymity, audience, reply.anonymous or not reply.user_id)
    named = shown == anonymity.NAME and reply.user_id
    return Answer(
        id=reply.id, prompt_key=prompt_key, text=reply.text, byline=shown,
        author=names.get(reply.user_id) if named else None,  # never a raw id: unknown names show as not given
        user_id=reply.user_id if named and audience == "facilitator" else None,
        role=anonymity.visible_role(reply.role, shown, named_roles, turnout.by_role),
        source=reply.source, created_at=reply.created_at, ts=reply.ts, edited=reply.edited, late=reply.late,
        votes=reply.votes)


def _by_role(answers, audience: str, named_roles: Mapping[str, int], turnout: Turnout) -> dict[str, int]:
    counts: dict[str, int] = {}
    for answer in answers:
        role = answer.role or UNKNOWN_ROLE
        counts[role] = counts.get(role, 0) + 1
    if audience == "channel":
        counts = anonymity.roles_for_channel(counts, named_roles, turnout.by_role)
    return dict(sorted(counts.items()))


def _prompt(session: Session, prompt: Prompt, replies: list[Reply], views: Mapping[str, Answer],
            found: Sequence[Theme], turnout: Turnout, audience: str, named_roles: Mapping[str, int]) -> PromptSummary:
    values = [r for r in replies if prompt.kind != "open" and r.source == "modal" and _is_value(prompt, r.text)]
    counted = {r.id for r in values}
    comments = [views[r.id] for r in replies if r.id not in counted]
    themed = {rid for theme in found for rid in theme.reply_ids}
    named = {r.user_id for r in replies if r.user_id}
    return PromptSummary(
        id=prompt.id, key=prompt.key, position=prompt.position, text=unmarked(prompt.text), kind=prompt.kind,
        state=prompt.state, due_at=prompt.due_at, posted_at=prompt.posted_at, message_ts=prompt.message_ts,
        options=prompt.options, replies=len(replies),
        # Within one prompt anonymous answers are counted as answers: a per-prompt person count would link them.
        participants=anonymity.participants(named, sum(r.anonymous or not r.user_id for r in replies)),
        by_role=_by_role([views[r.id] for r in replies], audience, named_roles, turnout),
        answers=tuple(views[r.id] for r in replies), comments=tuple(comments), top=top_ideas(comments),
        themes=tuple(ThemeSummary(t.label, t.keywords, t.reply_ids,
                                  tuple(views[q] for q in t.quotes if q in views)) for t in found),
        unthemed=sum(1 for a in comments if a.id not in themed),
        scale=scale_summary([int(r.text) for r in values], prompt.scale_labels) if prompt.kind == "scale" else None,
        vote=vote_counts(prompt.options, [r.text for r in values]) if prompt.kind == "vote" else None,
    )


def _is_value(prompt: Prompt, text: str) -> bool:
    if prompt.kind == "vote":
        return text in prompt.options
    if prompt.kind == "scale":
        return is_scale_value(text)
    return False


def is_scale_value(text: str) -> bool:
    """Whether an answer to a scale prompt is one of its points (1–5)."""
    return text.strip() in SCALE_VALUES


def scale_summary(values: Sequence[int], labels: Sequence[str] = ()) -> ScaleSummary:
    """n, mean, median and the distribution over 1–5."""
    return ScaleSummary(
        n=len(values), mean=round(statistics.fmean(values), 2) if values else None,
        median=statistics.median(values) if values else None,
        distribution=tuple((n, values.count(n)) for n in SCALE), labels=tuple(labels))


def vote_counts(options: Sequence[str], choices: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """Counts per option, most chosen first (ties keep the deck's order)."""
    counts = [(option, choices.count(option)) for option in options]
    return tuple(sorted(counts, key=lambda pair: -pair[1]))


def ranked(answers) -> tuple[Answer, ...]:
    """Answers by support: most votes first, then the earliest."""
    return tuple(sorted(answers, key=lambda a: (-a.votes, a.created_at, a.id)))


def top_ideas(answers, limit: int = TOP_IDEAS) -> tuple[Answer, ...]:
    """The most supported answers: most votes first, then the earliest; only answers someone supported."""
    return ranked(a for a in answers if a.votes > 0)[:limit]


def timeline(times: Sequence[str], minutes: int = TIMELINE_MINUTES) -> tuple[tuple[str, int], ...]:
    """Answers per `minutes` bucket from the first answer to the last, empty buckets included."""
    if not times:
        return ()
    moments = sorted(datetime.fromisoformat(t) for t in times)
    step = timedelta(minutes=minutes)

    def floor(moment: datetime) -> datetime:
        moment = moment.astimezone(timezone.utc)
        return moment.replace(minute=moment.minute - moment.minute % minutes, second=0, microsecond=0)

    start, end = floor(moments[0]), floor(moments[-1])
    counts: dict[datetime, int] = {}
    for moment in moments:
        counts[floor(moment)] = counts.get(floor(moment), 0) + 1
    buckets, at = [], start
    while at <= end:
        buckets.append((at.isoformat(timespec="seconds"), counts.get(at, 0)))
        at += step
    return tuple(buckets)
