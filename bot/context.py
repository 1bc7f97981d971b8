"""The running bot's parts, built once by the command line (or a test fixture) and handed to services."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from slack_sdk import WebClient

from bot import lease
from bot.clock import Clock
from bot.config import Settings
from bot.model import Session
from bot.people import Directory, Pseudonyms
from storage import Store

log = logging.getLogger(__name__)


@dataclass
class Hvis:
    settings: Settings
    store: Store
    client: WebClient
    clock: Clock
    pseudonyms: Pseudonyms
    directory: Directory
    team_id: str = ""
    bot_user_id: str = ""
    instance: str = field(default_factory=lease.owner_id)
    _background: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(2, "hvis-bg"))

    def facilitators(self, session: Session) -> list[str]:
        """Everyone who facilitates `session`: its own facilitators and creator, plus the configured ones.
        Guest accounts never facilitate (SPEC §2), whoever names them."""
        people = dict.fromkeys([*session.facilitators, *self.directory.expand(self.settings.facilitators)])
        return [user for user in people if not self.directory.is_guest(user)]

    def is_facilitator(self, session: Session, user_id: str) -> bool:
        return user_id in self.facilitators(session)

    def later(self, job: Callable[[], object]) -> None:
        """Run Slack calls that need not delay an acknowledgement (notices, greetings) off the request thread."""

        def run() -> None:
            try:
                job()
            except Exception:
                log.exception("background job failed")

        self._background.submit(run)

    def shutdown(self) -> None:
        self._background.shutdown(wait=True)
