"""The SQLite store: the only code that touches SQLite and sqlite-utils. Named verbs returning records.

    store = Store("hvis.db").migrate()
    store.sessions.get(session_id); store.prompts.due(now); store.replies.add(reply); store.posts.queue(post)
"""

from __future__ import annotations

from pathlib import Path

from storage.connection import Connection, StorageError
from storage.people import Forgotten, Leases, People
from storage.posts import Notices, Posts, WrittenFiles
from storage.replies import Replies, Votes
from storage.sessions import Prompts, Sessions
from storage.themes import Themes

__all__ = ["Store", "StorageError"]


class Store:
    """The whole database over one connection per thread, grouped by what the verbs act on."""

    def __init__(self, path: Path | str) -> None:
        self.db = Connection(path)
        self.sessions = Sessions(self.db)
        self.prompts = Prompts(self.db)
        self.replies = Replies(self.db)
        self.votes = Votes(self.db)
        self.posts = Posts(self.db)
        self.notices = Notices(self.db)
        self.people = People(self.db)
        self.forgotten = Forgotten(self.db)
        self.leases = Leases(self.db)
        self.themes = Themes(self.db)
        self.written = WrittenFiles(self.db)

    @property
    def path(self) -> Path:
        return self.db.path

    def __deepcopy__(self, memo: dict) -> "Store":
        """Shared by design: Bolt copies a request's context for lazy listeners, and this must stay one object."""
        return self

    def migrate(self) -> "Store":
        """Create or upgrade the schema."""
        self.db.migrate()
        return self

    def existing(self) -> "Store":
        """Refuse a database file that does not exist yet, then upgrade it."""
        self.db.check_exists()
        return self.migrate()

    def healthy(self) -> bool:
        return self.db.healthy()

    def scrub(self) -> bool:
        return self.db.scrub()

    def backup(self, target: Path) -> None:
        self.db.backup(target)

    def close(self) -> None:
        self.db.close()
