"""The shapes of Slack ids, checked wherever a person types one."""

from __future__ import annotations

import re

USER = re.compile(r"^[UW][A-Z0-9]{2,20}$")
USER_GROUP = re.compile(r"^S[A-Z0-9]{2,20}$")
CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,20}$")


def is_user(value: str) -> bool:
    return bool(USER.match(value))


def is_user_or_group(value: str) -> bool:
    return bool(USER.match(value) or USER_GROUP.match(value))


def is_channel(value: str) -> bool:
    return bool(CHANNEL.match(value))
