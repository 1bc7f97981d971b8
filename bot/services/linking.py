"""Pseudonyms of people, keyed with each session's own secret from the key store (never the database).

While a session runs the bot can link an anonymous answer to its author (one vote per person, edits,
forget-me); once the session closes its secret is destroyed and `of` answers None for it for good.
"""

from __future__ import annotations

import secrets

from bot.rules.pseudonyms import is_author, pseudonym
from storage.keys import KeyStore

TOMBSTONES = 10_000  # tombstones remembered at most (a workspace's active people)


class Linker:
    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys
        self._tombstones: tuple[bytes, dict[str, str]] = (b"", {})  # (master key, user id → tombstone)

    def __deepcopy__(self, memo: dict) -> "Linker":
        """Shared by design: Bolt copies a request's context for lazy listeners, and this must stay one object."""
        return self

    def open(self, session_id: str) -> None:
        """Create the linking secret of a new session."""
        self.keys.session(session_id, create=True)

    def close(self, session_id: str) -> bool:
        """Destroy the session's linking secret: from now on nobody can link its anonymous answers."""
        return self.keys.drop(session_id)

    def of(self, session_id: str, purpose: str, user_id: str, *context: str) -> str | None:
        """A person's pseudonym for `purpose` in a session, or None once the session's secret is gone."""
        secret = self.keys.session(session_id)
        return pseudonym(secret, purpose, user_id, *context) if secret else None

    def author(self, session_id: str, user_id: str, reply_id: str) -> str:
        """The stored author of an anonymous answer: linkable while the session runs, random after."""
        return self.of(session_id, "answer", user_id, reply_id) or secrets.token_hex(16)

    def wrote(self, session_id: str, user_id: str, reply_id: str, author: str) -> bool:
        """Did `user_id` write this anonymous answer? Only knowable while the session's secret exists."""
        secret = self.keys.session(session_id)
        return bool(secret) and is_author(secret, user_id, reply_id, author)

    def tag(self, user_id: str) -> str:
        """A short keyed tag for a person in outbox keys (direct messages), so no user id sits in a key."""
        return pseudonym(self.keys.master(), "dm", user_id)[:16]

    def tombstone(self, user_id: str) -> str:
        """The forget-me marker of a person: checked against new events, never read back into an id.
        Remembered per person (every reply and vote asks), for as long as the master key stays the same."""
        master = self.keys.master()
        key, known = self._tombstones
        if key != master or len(known) >= TOMBSTONES:
            known = {}
            self._tombstones = (master, known)
        found = known.get(user_id)
        if found is None:
            found = known[user_id] = pseudonym(master, "forgotten", user_id)
        return found
