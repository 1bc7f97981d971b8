"""Who someone is: keyed pseudonyms for privacy, and the role a reply is tagged with."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import BadInput

log = logging.getLogger(__name__)


def load_key(path: Path, create: bool = True) -> bytes | None:
    """Read the pseudonym key, creating it (mode 0600) on first use; None if absent and not to be created.

    The key lives outside the database so that a copy of the database alone cannot be used to
    test which Slack user wrote an anonymous reply.
    """
    if not create and not path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        try:
            key = bytes.fromhex(path.read_text().strip())
        except ValueError:
            key = b""
        if len(key) < 16:
            raise BadInput(f"{path}: the pseudonym key is damaged (expected 64 hex digits); restore it from your "
                           "copy — without it anonymous answers cannot be matched for forget-me or votes") from None
        return key
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex() + "\n")
    return key


# Each use gets its own pseudonym, so rows of one kind cannot be joined to rows of another: an
# anonymous answer's author never equals the same person's named-reply author, vote or presence.
# Anonymous answers go further: each has a pseudonym of its own (see `of_answer`).
PURPOSES = ("named", "vote", "participant")


class Pseudonyms:
    """Keyed pseudonyms per session and purpose: enough for one vote per person and forget-me, and unlinkable
    across sessions and across purposes."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, session_id: str, user_id: str, purpose: str) -> str:
        if purpose not in PURPOSES:
            raise ValueError(f"unknown pseudonym purpose {purpose!r}")
        message = f"{purpose}\x1f{session_id}\x1f{user_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def of_answer(self, session_id: str, user_id: str, reply_id: str) -> str:
        """An anonymous answer's own pseudonym: two anonymous answers by one person cannot be linked either,
        yet with the key, forget-me can still test each answer against a person."""
        message = f"anonymous\x1f{session_id}\x1f{user_id}\x1f{reply_id}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def all_of(self, session_id: str, user_id: str) -> dict[str, str]:
        """Every pseudonym a person has in a session (for forget-me)."""
        return {purpose: self.of(session_id, user_id, purpose) for purpose in PURPOSES}


class Directory:
    """Resolves a Slack user's role: configured politicians, roles set by facilitators, guest accounts."""

    def __init__(self, client: WebClient, politicians: frozenset[str], role_of_stored=None, ttl: float = 600,
                 patient_client: WebClient | None = None) -> None:
        self._client = client  # for look-ups before an acknowledgement: fails fast
        self._patient = patient_client or client  # for the scheduler's look-ups: retries
        self._politicians = politicians
        self._role_of_stored = role_of_stored or (lambda team, user: None)
        self._ttl = ttl
        self._cache: dict[str, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def user(self, user_id: str) -> dict:
        """users.info, cached for a while: it is rate limited and called on every reply."""
        with self._lock:
            hit = self._cache.get(user_id)
        if hit and time.monotonic() - hit[0] < self._ttl:
            return hit[1]
        try:
            info = self._client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            log.warning("users.info failed (%s); treating the person as an employee", exc.response.get("error"))
            return {}
        except OSError as exc:  # a timeout must not hold up Slack's acknowledgement
            log.warning("users.info failed (%s); treating the person as an employee", exc)
            return {}
        with self._lock:
            self._cache[user_id] = (time.monotonic(), info)
        return info

    def expand(self, ids: frozenset[str] | list[str]) -> list[str]:
        """User ids, with Slack user groups (S…) replaced by their members (cached like users.info)."""
        users: list[str] = []
        for entry in sorted(ids):
            users += self._group(entry) if entry.startswith("S") else [entry]
        return list(dict.fromkeys(users))

    def _group(self, group_id: str) -> list[str]:
        with self._lock:
            hit = self._cache.get(group_id)
        if hit and time.monotonic() - hit[0] < self._ttl:
            return hit[1]["users"]
        try:
            members = list(self._patient.usergroups_users_list(usergroup=group_id).get("users") or [])
        except SlackApiError as exc:
            log.warning("could not read user group %s (%s)", group_id, exc.response.get("error"))
            return []
        except OSError as exc:  # network trouble: try again next time, nothing cached
            log.warning("could not read user group %s (%s)", group_id, exc)
            return []
        with self._lock:
            self._cache[group_id] = (time.monotonic(), {"users": members})
        return members

    def is_guest(self, user_id: str) -> bool:
        info = self.user(user_id)
        return bool(info.get("is_restricted") or info.get("is_ultra_restricted"))

    def role(self, team_id: str, user_id: str) -> str:
        """The role a reply made now is tagged with."""
        if user_id in self._politicians:
            return "politician"
        stored = self._role_of_stored(team_id, user_id)
        if stored:
            return stored
        return "guest" if self.is_guest(user_id) else "employee"
