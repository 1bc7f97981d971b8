"""The SQLite store: the only code that touches sqlite_utils. Verbs over the dataclasses of bot.model."""

from storage.connection import Connection
from storage.replies import MAX_POST_ATTEMPTS, ReplyRows
from storage.sessions import SessionRows

__all__ = ["MAX_POST_ATTEMPTS", "Connection", "Store"]


class Store(SessionRows, ReplyRows):
    """The whole database: sessions and prompts, replies and votes, over one connection per thread."""
