"""The summary of a session as each audience may see it, its themes, and its exports in every format."""

from __future__ import annotations

import json
import logging
from array import array
from typing import Mapping, Sequence

from bot import exports
from bot.rules import themes as theming
from bot.rules.summary import Narrative, Summary, Turnout, summarize
from bot.services.directory import Directory
from bot.webapi import Upload
from storage import Store
from storage.records import Prompt, Reply, Session, Theme

log = logging.getLogger(__name__)


def session_summary(store: Store, session: Session, audience: str, people: Directory | None = None) -> Summary:
    """Everything a report shows, computed from the stored records (themes stored at close, else found now,
    and kept if the session is closed)."""
    prompts = store.prompts.of(session.id)
    replies = store.replies.of_session(session.id)
    found = store.themes.of(session.id)
    if not found:
        found = find_themes(store, session, prompts, replies)
        if session.state == "closed" and any(found.values()):
            store.themes.save(session.id, found)
    names = people.names({r.user_id for r in replies if r.user_id}) if people else {}
    return summarize(session, prompts, replies, audience=audience, names=names,
                     turnout=Turnout(store.replies.turnout(session.id)), themes=found,
                     narrative=stored_narrative(store, session.id))


def find_themes(store: Store, session: Session, prompts: Sequence[Prompt], replies: Sequence[Reply]
                ) -> dict[int, list[Theme]]:
    """Themes of every open prompt's answers, from their texts and the vectors embedded when they were stored."""
    vectors = {reply_id: list(decode(blob)) for reply_id, blob in store.replies.embeddings(session.id).items()}
    found: dict[int, list[Theme]] = {}
    for prompt in prompts:
        if prompt.kind != "open":
            continue
        # Most supported first: if a prompt has more answers than can be grouped, these are the ones grouped.
        answers = [(r.id, r.text) for r in sorted((r for r in replies if r.prompt_id == prompt.id),
                                                 key=lambda r: (-r.votes, r.created_at, r.id))]
        found[prompt.id] = theming.find_themes(answers, session.language, vectors)
    return found


def keep_themes(store: Store, session: Session, embed_first: int = 96) -> None:
    """Compute the themes once at close, so the wrap-up and every later export agree. Answers the scheduler
    had no quiet moment to embed are embedded first (up to `embed_first` of them)."""
    while embed_first > 0 and (done := embed_new(store, 8, session.id)):
        embed_first -= done
    store.themes.save(session.id, find_themes(store, session, store.prompts.of(session.id),
                                              store.replies.of_session(session.id)))


def answers_removed(store: Store, session_id: str | None) -> None:
    """An answer of a closed session was deleted or forgotten: what was derived from it goes too (themes are
    found again from what is left; the machine-written summary, which may quote it, is dropped)."""
    session = store.sessions.get(session_id) if session_id else None
    if session is not None and session.state == "closed":
        store.themes.clear(session.id)
        store.sessions.set_narrative(session.id, None)


def embed_new(store: Store, batch: int = 16, session_id: str | None = None) -> int:
    """Embed replies not yet embedded (off the request path), so themes at close are fast; 0 when there are
    none or this machine cannot embed (the themes then come from the words alone)."""
    if not theming.can_embed():
        return 0
    pending = store.replies.without_embedding(batch, session_id)
    if not pending:
        return 0
    vectors = theming.embed([text for _, text in pending]) or [[] for _ in pending]
    store.replies.set_embeddings({reply_id: encode(vector) for (reply_id, _), vector in zip(pending, vectors,
                                                                                          strict=True)})
    return len(pending)


def encode(vector: Sequence[float]) -> bytes:
    return array("f", vector).tobytes()


def decode(blob: bytes) -> array:
    vector = array("f")
    vector.frombytes(blob)
    return vector


def stored_narrative(store: Store, session_id: str) -> Narrative | None:
    raw = store.sessions.narrative(session_id)
    if not raw:
        return None
    data = json.loads(raw)
    return Narrative(text=data["text"], quotes=tuple(data["quotes"]), model=data["model"])


def keep_narrative(store: Store, session_id: str, narrative: Narrative | None) -> None:
    store.sessions.set_narrative(session_id, json.dumps(
        {"text": narrative.text, "quotes": list(narrative.quotes), "model": narrative.model}, ensure_ascii=False)
        if narrative else None)


def export(store: Store, session: Session, fmt: str, people: Directory | None = None, delimiter: str = ";") -> bytes:
    """One export file's bytes; the format decides the audience (reports hide what facilitators may see)."""
    if fmt not in exports.FORMATS:
        raise ValueError(fmt)
    return exports.render(session_summary(store, session, exports.AUDIENCE[fmt], people), fmt, delimiter=delimiter)


def export_all(store: Store, session: Session, formats: Sequence[str], people: Directory | None = None,
               known: Mapping[str, Summary] | None = None) -> Mapping[str, bytes]:
    """Several formats from one summary per audience (the summary is the expensive part; `known` ones,
    by audience, are used as they are)."""
    summaries: dict[str, Summary] = dict(known or {})
    files = {}
    for fmt in formats:
        audience = exports.AUDIENCE[fmt]
        if audience not in summaries:
            summaries[audience] = session_summary(store, session, audience, people)
        files[fmt] = exports.render(summaries[audience], fmt)
    return files


def export_uploads(store: Store, session: Session, formats: Sequence[str], people: Directory | None = None,
                   known: Mapping[str, Summary] | None = None) -> tuple[Upload, ...]:
    """The export files a facilitator gets in a direct message, each named and titled for the session."""
    return tuple(Upload(exports.filename(session, fmt), f"{session.title} ({fmt.upper()})", data)
                 for fmt, data in export_all(store, session, formats, people, known).items())
