"""Exports: the JSON of SPEC §8 built from the store, and Markdown rendered from that JSON."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.model import Prompt, Reply, Session
from bot.sessions import get_session
from storage import Store

FORMATS = ("json", "md")


def session_export(store: Store, session_id: str) -> dict:
    """The export document for a session: session, prompts with replies and votes, and totals."""
    session = get_session(store, session_id)
    return build(session, store.prompts(session.id), store.replies(session.id), store.participant_counts(session.id))


def build(session: Session, prompts: list[Prompt], replies: list[Reply],
          participants: tuple[int, dict[int, int]] | None = None) -> dict:
    """Pure: assemble the export. Anonymous replies carry no user; their pseudonyms never leave the database.

    `participants` is (people in the session, people per prompt id), counted apart from the replies;
    without it, distinct reply authors are counted.
    """
    if participants is None:
        per_prompt: dict[int, set[str]] = {}
        for reply in replies:
            per_prompt.setdefault(reply.prompt_id, set()).add(reply.author)
        participants = (len({r.author for r in replies}), {k: len(v) for k, v in per_prompt.items()})
    by_prompt: dict[int, list[Reply]] = {}
    for reply in replies:
        by_prompt.setdefault(reply.prompt_id, []).append(reply)
    return {
        "session": {
            "id": session.id, "title": session.title, "channel": session.channel, "state": session.state,
            "timezone": session.timezone, "anonymity": session.anonymity, "language": session.language,
            "deck": session.deck, "start_at": session.start_at, "closed_at": session.closed_at,
            "team_id": session.team_id,
        },
        "prompts": [
            {"id": p.key, "position": p.position, "text": p.text, "kind": p.kind, "state": p.state,
             "options": p.options, "due_at": p.due_at, "posted_at": p.posted_at, "message_ts": p.message_ts,
             "participants": participants[1].get(p.id, 0),
             "replies": [_reply(r) for r in by_prompt.get(p.id, [])], "themes": []}
            for p in prompts
        ],
        "stats": {
            "replies": len(replies),
            "participants": participants[0],
            "by_role": _count(r.role for r in replies),
            "anonymous_replies": sum(r.anonymous for r in replies),
            "votes": sum(r.votes for r in replies),
        },
    }


def _reply(reply: Reply) -> dict:
    return {"id": reply.id, "user": None if reply.anonymous else reply.user_id, "role": reply.role,
            "anonymous": reply.anonymous, "source": reply.source, "text": reply.text, "ts": reply.ts,
            "created_at": reply.created_at, "edited": reply.edited, "votes": reply.votes}


def _count(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def to_json(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def to_markdown(data: dict, language: str) -> str:
    """A readable report for the political follow-up; names only where the export carries them."""
    s = data["session"]
    tz = ZoneInfo(s["timezone"])
    start = datetime.fromisoformat(s["start_at"]).astimezone(tz).strftime("%Y-%m-%d %H:%M")
    lines = [f"# {t(language, 'export.title', title=s['title'])}", "",
             f"- {t(language, 'export.channel')}: <#{s['channel']}>",
             f"- {t(language, 'export.start')}: {start} ({s['timezone']})",
             f"- {t(language, 'export.anonymity')}: {t(language, 'anonymity.' + s['anonymity'])}",
             f"- {t(language, 'export.totals', **data['stats'])}", "",
             f"_{t(language, 'export.caveat')}_", ""]
    for prompt in data["prompts"]:
        lines += [f"## {t(language, 'export.prompt', number=prompt['position'])}: {prompt['text']}",
                  f"_{t(language, 'state.' + prompt['state'])}_", ""]
        replies = sorted(prompt["replies"], key=lambda r: -r["votes"])
        if not replies:
            lines += [t(language, "export.no_replies"), ""]
        for reply in replies:
            who = t(language, "export.anonymous") if reply["user"] is None else (
                f"<@{reply['user']}>" if s["anonymity"] in ("named", "choice") else t(language, "export.hidden"))
            extra = [t(language, f"role.{reply['role']}"), who]
            if reply["votes"]:
                extra.append(t(language, "export.votes", votes=reply["votes"]))
            if reply["edited"]:
                extra.append(t(language, "export.edited"))
            text = " ".join(reply["text"].split())
            lines.append(f"- {text} ({', '.join(extra)})")
        lines.append("")
    return "\n".join(lines)
