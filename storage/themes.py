"""Themes of a closed session's open prompts, kept so that exports and the wrap-up agree."""

from __future__ import annotations

import json
from typing import Mapping, Sequence

from storage.connection import Connection
from storage.records import Theme


class Themes:
    def __init__(self, db: Connection) -> None:
        self.db = db

    def save(self, session_id: str, themes: Mapping[int, Sequence[Theme]]) -> None:
        """Replace the session's themes (prompt id → themes, largest first)."""
        with self.db.write() as conn:
            conn.execute("DELETE FROM themes WHERE session_id = ?", [session_id])
            conn.executemany(
                "INSERT INTO themes (session_id, prompt_id, position, label, keywords, reply_ids, quotes) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(session_id, prompt_id, n, t.label, json.dumps(list(t.keywords), ensure_ascii=False),
                  json.dumps(list(t.reply_ids)), json.dumps(list(t.quotes)))
                 for prompt_id, found in themes.items() for n, t in enumerate(found)])

    def clear(self, session_id: str) -> None:
        """Forget a session's themes (an answer in them was deleted): they are found again from what is left."""
        with self.db.write() as conn:
            conn.execute("DELETE FROM themes WHERE session_id = ?", [session_id])

    def of(self, session_id: str) -> dict[int, list[Theme]]:
        """The stored themes per prompt id (empty when none were stored)."""
        rows = self.db.all("SELECT prompt_id, label, keywords, reply_ids, quotes FROM themes WHERE session_id = ? "
                           "ORDER BY prompt_id, position", [session_id])
        found: dict[int, list[Theme]] = {}
        for prompt_id, label, keywords, reply_ids, quotes in rows:
            found.setdefault(prompt_id, []).append(Theme(
                label, tuple(json.loads(keywords)), tuple(json.loads(reply_ids)), tuple(json.loads(quotes))))
        return found
