"""The JSON export: the contract of SPEC §8 (other programs read it), and a little more.

The text of every answer stays exact here (JSON cannot run anything); `user` is a Slack id only
where the Summary gives one, i.e. for the facilitator audience and named answers.
"""

from __future__ import annotations

import json

from bot.rules import anonymity
from bot.rules.summary import Answer, PromptSummary, Summary


def render(summary: Summary) -> bytes:
    """The document as UTF-8 JSON, indented, ending in a newline."""
    return (json.dumps(document(summary), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def document(summary: Summary) -> dict:
    """The export as plain data."""
    s = summary.session
    return {
        "session": {"id": s.id, "title": s.title, "channel": s.channel, "state": s.state, "timezone": s.timezone,
                    "anonymity": s.anonymity, "channel_name": s.channel_name, "language": s.language,
                    "deck": s.deck, "start_at": s.start_at, "closed_at": s.closed_at},
        "audience": summary.audience,
        "prompts": [_prompt(p) for p in summary.prompts],
        "stats": {"replies": summary.replies, "participants": summary.participants,
                  "named_people": summary.named_people, "anonymous_people": summary.anonymous_people,
                  "anonymous_answers": summary.anonymous_answers, "votes": summary.votes,
                  "members": summary.members, "participation": summary.participation,
                  "by_role": dict(summary.by_role)},
        "top": [a.id for a in summary.top],
        "timeline": [{"start": start, "answers": n} for start, n in summary.timeline],
        "narrative": None if summary.narrative is None else {
            "text": summary.narrative.text, "quotes": list(summary.narrative.quotes),
            "model": summary.narrative.model},
    }


def _prompt(p: PromptSummary) -> dict:
    return {
        "id": p.key, "number": p.position, "text": p.text, "kind": p.kind, "state": p.state,
        "options": list(p.options), "due_at": p.due_at, "posted_at": p.posted_at, "message_ts": p.message_ts,
        "participants": p.participants, "by_role": dict(p.by_role),
        "replies": [_reply(a) for a in p.answers],
        "themes": [{"label": th.label, "keywords": list(th.keywords), "reply_ids": list(th.reply_ids),
                    "quotes": [q.id for q in th.quotes]} for th in p.themes],
        "scale": None if p.scale is None else {
            "n": p.scale.n, "mean": p.scale.mean, "median": p.scale.median,
            "distribution": [{"value": value, "count": n} for value, n in p.scale.distribution],
            "labels": list(p.scale.labels)},
        "vote": None if p.vote is None else [{"option": option, "count": n} for option, n in p.vote],
        "top": [a.id for a in p.top],
    }


def _reply(a: Answer) -> dict:
    return {"id": a.id, "user": a.user_id, "role": a.role, "text": a.text, "ts": a.ts, "edited": a.edited,
            "votes": a.votes, "name": a.author, "byline": a.byline, "anonymous": a.byline == anonymity.ANONYMOUS,
            "source": a.source, "created_at": a.created_at, "late": a.late}
