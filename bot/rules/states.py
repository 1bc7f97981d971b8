"""The states of sessions, prompts and posts, and the moves allowed between them (one home; storage applies
each move as a conditional update, so two processes or ticks cannot both make it)."""

from __future__ import annotations

SESSION_STATES = ("scheduled", "running", "paused", "closed")
PROMPT_STATES = ("pending", "posting", "posted", "missed", "failed", "closed")
POST_STATES = ("queued", "sending", "sent", "failed")

# target state -> the states it may be reached from
SESSION_MOVES: dict[str, tuple[str, ...]] = {
    "running": ("scheduled", "paused"),   # the first prompt went out, `start`, or `fortsæt` after a pause
    "paused": ("scheduled", "running"),
    "scheduled": ("paused",),             # `fortsæt` on a session paused before anything was posted
    "closed": ("scheduled", "running", "paused"),
}
PROMPT_MOVES: dict[str, tuple[str, ...]] = {
    "posting": ("pending",),              # due (or sent now by a facilitator): queued for Slack
    "posted": ("posting",),
    "missed": ("pending",),               # fell due while the bot was down or the session paused
    "failed": ("posting",),               # Slack refused it for good
    "pending": ("missed", "failed"),      # *Send nu* on a missed or failed prompt
    "closed": ("posted",),                # its close time came, or the session closed
}
POST_MOVES: dict[str, tuple[str, ...]] = {
    "sending": ("queued",),
    "sent": ("queued", "sending"),        # sent, or found in Slack after an unknown outcome
    "queued": ("sending", "failed"),      # refused for now, not found after an unknown outcome, or asked again
    "failed": ("queued", "sending"),
}
# A prompt in these states can still be edited, moved or removed in the plan.
EDITABLE_PROMPT_STATES = ("pending", "missed")
# A prompt in these states is not out yet: *Send nu* or `/hvis send` may post it now.
UNSENT_PROMPT_STATES = ("pending", *PROMPT_MOVES["pending"])
# Sessions whose prompts the tick looks after.
LIVE_SESSION_STATES = ("scheduled", "running", "paused")


def session_sources(to: str) -> tuple[str, ...]:
    """The session states a move to `to` may start from."""
    return SESSION_MOVES[to]


def prompt_sources(to: str) -> tuple[str, ...]:
    """The prompt states a move to `to` may start from."""
    return PROMPT_MOVES[to]


def post_sources(to: str) -> tuple[str, ...]:
    """The post states a move to `to` may start from."""
    return POST_MOVES[to]
