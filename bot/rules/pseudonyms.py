"""Keyed pseudonyms: who did something, as far as the running bot needs to know, and no further.

Every pseudonym of a session is keyed with that session's own secret (kept in the key store, never in
the database) and with a purpose, so rows of one kind cannot be joined to rows of another: a vote
cannot be matched to an anonymous answer, nor an anonymous answer to another. When the session
closes its secret is destroyed, and none of these values can be recomputed from a user id again.
"""

from __future__ import annotations

import hashlib
import hmac

# answer: an anonymous answer's author, one per answer; vote: a voter; person: an anonymous participant,
# counted once per session; notice: someone told something once; forgotten / dm use the master key.
PURPOSES = ("answer", "vote", "person", "notice", "forgotten", "dm")


def pseudonym(secret: bytes, purpose: str, user_id: str, *context: str) -> str:
    """HMAC-SHA256 of the purpose, the user and any context (e.g. the reply id), as 32 hex digits."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown pseudonym purpose {purpose!r}")
    message = "\x1f".join((purpose, user_id, *context)).encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def is_author(secret: bytes, user_id: str, reply_id: str, author: str) -> bool:
    """Whether `user_id` wrote the anonymous answer `reply_id` (for edits, deletion and forget-me)."""
    return hmac.compare_digest(pseudonym(secret, "answer", user_id, reply_id), author)
