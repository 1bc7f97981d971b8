"""The private greeting for someone who joins a session channel."""

from __future__ import annotations

from bot.context import Hvis
from bot.i18n import t


def greet(h: Hvis, channel: str, user_id: str) -> bool:
    """Tell a newcomer how to take part and what the anonymity mode means; only in live session channels."""
    if not user_id or user_id == h.bot_user_id:
        return False
    sessions = h.store.sessions(states=("scheduled", "running", "paused"), channel=channel)
    if not sessions:
        return False
    session = sessions[-1]
    text = t(session.language, "notice.greeting", title=session.title,
             mode=t(session.language, f"mode.{session.anonymity}"))
    h.client.chat_postEphemeral(channel=channel, user=user_id, text=text)
    return True
