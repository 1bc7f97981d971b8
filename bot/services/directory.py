"""Who someone is (role, guest, display name) and who facilitates, answered from memory on the request
path; Slack is read in the background (users.list at start and when a session starts, users.info for a
newcomer) so that no acknowledgement ever waits for Slack."""

from __future__ import annotations

import logging
import threading
from typing import Iterable

from bot.webapi import Slack, SlackFailure
from storage import Store
from storage.records import Person, Session

log = logging.getLogger(__name__)
ROLES = ("employee", "politician", "guest", "external")


class Directory:
    """The workspace as far as the bot needs it, kept in memory and in the `people` table."""

    def __init__(self, store: Store, slack: Slack | None, team_id: str = "", bot_user_id: str = "",
                 politicians: Iterable[str] = (), facilitators: Iterable[str] = ()) -> None:
        self.store = store
        self.slack = slack
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self._politician_entries = frozenset(politicians)
        self._facilitator_entries = frozenset(facilitators)
        self._groups: dict[str, list[str]] = {}
        self._politicians: tuple[dict, frozenset[str]] = ({}, frozenset())  # (groups read, politicians then)
        self._channels: dict[str, dict] = {}
        self._people: dict[str, Person] = {p.user_id: p for p in store.people.of_team(team_id)} if team_id else {}
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict) -> "Directory":
        """Shared by design: Bolt copies a request's context for lazy listeners, and this must stay one object."""
        return self

    # ---- answered from memory (safe on the request path) -------------------------------------------
    def person(self, user_id: str) -> Person | None:
        return self._people.get(user_id)

    def knows(self, user_id: str) -> bool:
        return user_id in self._people

    def role(self, user_id: str, user_team: str | None = None) -> str:
        """The role a reply made now is tagged with (configuration, a facilitator's choice, the account)."""
        if user_team and self.team_id and user_team != self.team_id:
            return "external"  # Slack Connect: someone from another organisation in a shared channel
        if user_id in self._politician_ids():
            return "politician"
        person = self._people.get(user_id)
        if person and person.role:
            return person.role
        return "guest" if person and person.guest else "employee"

    def name(self, user_id: str) -> str:
        """A display name for reports; the user id only when nothing better is known."""
        person = self._people.get(user_id)
        return person.name if person and person.name else user_id

    def names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """Display names of the people known by name (nobody's raw id stands in for a name)."""
        return {user: self._people[user].name for user in user_ids if user in self._people and self._people[user].name}

    def is_guest(self, user_id: str) -> bool:
        person = self._people.get(user_id)
        return bool(person and person.guest)

    def is_bot(self, user_id: str) -> bool:
        person = self._people.get(user_id)
        return user_id == self.bot_user_id or bool(person and person.bot)

    def configured_facilitators(self) -> list[str]:
        return [user for user in self._expand(self._facilitator_entries) if not self.is_guest(user)]

    def facilitators(self, session: Session) -> list[str]:
        """Everyone who facilitates `session`: its own facilitators and creator, plus the configured ones.
        Guest accounts never facilitate (SPEC §2), whoever names them."""
        named = [*session.facilitators, *([session.created_by] if session.created_by else [])]
        people = dict.fromkeys([*self._expand(named), *self._expand(self._facilitator_entries)])
        return [user for user in people if not self.is_guest(user)]

    def is_facilitator(self, user_id: str, session: Session | None = None) -> bool:
        """May `user_id` facilitate `session` (or, without one, create sessions at all)?"""
        if self.is_guest(user_id):
            return False
        if session is not None:
            return user_id in self.facilitators(session)
        return user_id in self.configured_facilitators() or not self._facilitator_entries

    def channel(self, channel_id: str) -> dict | None:
        """What was last read about a channel: name, is_private, is_member."""
        return self._channels.get(channel_id)

    def _politician_ids(self) -> frozenset[str]:
        """The configured politicians, user groups expanded; worked out again only when the groups were re-read
        (`_groups` is replaced, never changed in place)."""
        groups, ids = self._politicians
        if groups is not self._groups:
            groups = self._groups
            ids = frozenset(self._expand(self._politician_entries))
            self._politicians = (groups, ids)
        return ids

    def _expand(self, entries: Iterable[str]) -> list[str]:
        users: list[str] = []
        for entry in sorted(entries):
            users += self._groups.get(entry, []) if entry.startswith("S") else [entry]
        return list(dict.fromkeys(users))

    # ---- read from Slack (background work, the scheduler, start-up) ---------------------------------
    def refresh(self) -> int:
        """Read every member (users.list) and the configured user groups; returns how many people."""
        if self.slack is None:
            return 0
        try:
            people = [person_from(user, self.team_id) for user in self.slack.users()]
        except SlackFailure as failure:
            log.warning("could not read the workspace's members (%s); roles stay as they were", failure.error)
            return 0
        self.store.people.save(people)
        self._reload()
        self.refresh_groups()
        return len(people)

    def refresh_groups(self) -> None:
        for group in {e for e in self._politician_entries | self._facilitator_entries if e.startswith("S")}:
            try:
                self._groups = {**self._groups, group: self.slack.group_members(group)}
            except SlackFailure as failure:
                log.warning("could not read user group %s (%s)", group, failure.error)

    def learn(self, user_id: str, quick: bool = False) -> Person | None:
        """Read one person Slack has not told us about yet (users.info; `quick` before an acknowledgement)."""
        if self.slack is None:
            return None
        try:
            person = person_from(self.slack.user(user_id, quick), self.team_id)
        except SlackFailure as failure:
            log.warning("could not read a member (%s)", failure.error)
            return None
        self.store.people.save([person])
        return self._reload_one(user_id)

    def learn_channel(self, channel_id: str, quick: bool = False) -> dict | None:
        """Read a channel's name, privacy and whether the bot is in it (conversations.info; `quick` before an
        acknowledgement)."""
        if self.slack is None:
            return None
        try:
            info = self.slack.channel(channel_id, quick)
        except SlackFailure as failure:
            return {"id": channel_id, "error": failure.error}
        found = {"id": channel_id, "name": info.get("name") or channel_id, "is_private": bool(info.get("is_private")),
                 "is_member": bool(info.get("is_member")), "is_archived": bool(info.get("is_archived"))}
        self._channels = {**self._channels, channel_id: found}
        return found

    def joined(self, channel_id: str, member: bool) -> None:
        """The bot was added to (or removed from) a channel: remember it without asking Slack."""
        known = self._channels.get(channel_id) or {"id": channel_id, "name": channel_id, "is_private": False}
        self._channels = {**self._channels, channel_id: {**known, "is_member": member}}

    def set_role(self, user_id: str, role: str | None) -> None:
        """A facilitator's `/hvis rolle`: future replies of this person carry `role` (None: back to automatic)."""
        self.store.people.set_role(self.team_id, user_id, role)
        self._reload_one(user_id)

    def forget(self, user_id: str) -> None:
        with self._lock:
            self._people = {k: v for k, v in self._people.items() if k != user_id}

    def _reload_one(self, user_id: str) -> Person | None:
        """One person read again from the table (with a role a facilitator set), the others kept as they are."""
        person = self.store.people.get(self.team_id, user_id)
        with self._lock:
            if person is not None:  # a new dict, never one changed in place: readers take no lock
                self._people = {**self._people, user_id: person}
        return person

    def _reload(self) -> None:
        with self._lock:
            self._people = {p.user_id: p for p in self.store.people.of_team(self.team_id)}


def person_from(user: dict, team_id: str) -> Person:
    """A Slack user object as a Person (display name first, as Slack shows people)."""
    profile = user.get("profile") or {}
    name = (profile.get("display_name") or profile.get("real_name") or user.get("real_name")
            or user.get("name") or user.get("id") or "")
    return Person(user_id=user["id"], team_id=team_id, name=name,
                  guest=bool(user.get("is_restricted") or user.get("is_ultra_restricted")),
                  bot=bool(user.get("is_bot") or user.get("id") == "USLACKBOT"))

