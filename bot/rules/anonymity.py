"""Who sees what of an answer: the one home of the anonymity rules (SPEC §3 and §5).

Modes: `named` (everyone sees names), `choice` (each answer named or anonymous, the default),
`confidential` (only facilitators see names), `anonymous` (nobody can learn who answered).
Audiences: `channel` (Slack posts everyone sees), `report` (Markdown and HTML, made to be passed on)
and `facilitator` (the facilitator's working data: XLSX, CSV, JSON and the summary in Slack).
"""

from __future__ import annotations

from typing import Iterable, Mapping

MODES = ("named", "confidential", "anonymous", "choice")
DEFAULT_MODE = "choice"
# From loosest to strictest: once the first prompt is out a mode may only move right.
STRICTNESS = {"named": 0, "choice": 1, "confidential": 2, "anonymous": 3}
AUDIENCES = ("channel", "report", "facilitator")
NAME, HIDDEN, ANONYMOUS = "name", "hidden", "anonymous"
# A role (or a count by role) is shown for answers without a name only when this many people of the
# role took part: one politician answering anonymously must not be singled out by the tag.
ROLE_THRESHOLD = 3

_NAMES_SHOWN = {
    "named": {"channel", "report", "facilitator"},
    "choice": {"channel", "report", "facilitator"},
    "confidential": {"facilitator"},
    "anonymous": set(),
}


def is_anonymous(mode: str, source: str, chose_anonymous: bool) -> bool:
    """Whether an answer is stored without its author: always in `anonymous`; through the modal when the person
    chose *Svar anonymt* (offered in `choice`), and that choice stands even if the mode changed meanwhile.

    A thread reply shows its author's name in Slack whatever the mode, so only the modal can hide it;
    `confidential` answers keep the author for the facilitators.
    """
    return mode == "anonymous" or (source == "modal" and chose_anonymous)


def byline(mode: str, audience: str, anonymous: bool) -> str:
    """How an answer is attributed for `audience`: NAME, HIDDEN ("navn skjult") or ANONYMOUS."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    if anonymous:
        return ANONYMOUS
    return NAME if audience in _NAMES_SHOWN[mode] else HIDDEN


def people_of_role(named: Mapping[str, int], anonymous: Mapping[str, int], role: str) -> int:
    """People of `role` who took part, never overstated: named and anonymous people are counted apart
    (linking them is what we must not do), so the larger of the two is all we know for sure."""
    return max(named.get(role, 0), anonymous.get(role, 0))


def visible_role(role: str, shown: str, named: Mapping[str, int], anonymous: Mapping[str, int]) -> str | None:
    """The role shown beside an answer attributed as `shown`, or None where it could single someone out."""
    if shown == NAME:
        return role
    return role if people_of_role(named, anonymous, role) >= ROLE_THRESHOLD else None


def roles_for_channel(counts: Mapping[str, int], named: Mapping[str, int], anonymous: Mapping[str, int]) -> dict[str, int]:
    """Counts by role fit to show the whole channel: only roles with at least ROLE_THRESHOLD people."""
    return {role: n for role, n in counts.items()
            if people_of_role(named, anonymous, role) >= ROLE_THRESHOLD}


def participants(named_people: Iterable[str], anonymous_people: int) -> int:
    """People who took part, counted so that no count links a named and an anonymous answer: named people
    plus anonymous people, each counted in their own space (someone who answered both ways counts twice)."""
    return len(set(named_people)) + anonymous_people


def may_change(current: str, new: str, fixed: bool) -> bool:
    """A mode may change freely until the first prompt is out, then only become stricter."""
    return new in MODES and (not fixed or STRICTNESS[new] >= STRICTNESS[current])


def answer_buttons(mode: str) -> list[tuple[str, bool]]:
    """(label key, anonymous?) for each answer button a prompt offers in `mode`."""
    return {
        "named": [("button.answer", False)],
        "confidential": [("button.answer_confidential", False)],
        "anonymous": [("button.answer_anonymously", True)],
        "choice": [("button.answer", False), ("button.answer_anonymously", True)],
    }[mode]
