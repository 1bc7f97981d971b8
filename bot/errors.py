"""The small family of errors whose messages are fit to show a person, translated at the edge:
the command line prints one line and exits 2, a listener answers privately in Slack."""

from __future__ import annotations


class HvisError(Exception):
    """A problem the user can fix; the message says what and where."""

    exit_code = 1


class BadInput(HvisError):
    """The user gave input we cannot use (a bad deck, time, zone, id, …)."""

    exit_code = 2


class NotFound(BadInput):
    """A session, prompt or reply that does not exist."""


class NotAllowed(HvisError):
    """The user may not do this (not a facilitator, wrong state, …)."""

    exit_code = 2


class Refused(NotAllowed):
    """A refusal told to a Slack user in their session's language: a message catalog key and its values."""

    def __init__(self, key: str, language: str | None = None, **values: object) -> None:
        super().__init__(key)
        self.key, self.language, self.values = key, language, values

    def text(self, default_language: str) -> str:
        from bot.i18n import t

        return t(self.language or default_language, self.key, **self.values)


class NotYet(Exception):
    """A request about something not settled yet (a reply in the thread of a prompt whose post is still being
    confirmed): it is answered with an error, so Slack delivers it again a little later."""
