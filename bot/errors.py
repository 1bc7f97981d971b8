"""The small family of errors whose messages are fit to show a user."""


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
