"""The one scheduler: a short APScheduler interval tick that asks the database what is due.

State lives in SQLite, so a missed or doubled tick can neither lose nor repeat a post, and a session
created from the command line while the bot runs is picked up by the next tick. Exactly one process
schedules: it holds a lease row, renewed by its own heartbeat and taken over at once from a process
that died on the same host.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from datetime import datetime, timedelta, timezone
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from bot.clock import Clock
from bot.services import closing, outbox, posting, replies, summaries
from bot.services.directory import Directory
from bot.services.linking import Linker
from bot.webapi import Slack
from storage import Store

log = logging.getLogger(__name__)
TICK_ID = "hvis-tick"
LEASE = "scheduler"
LEASE_SECONDS = 10.0  # renewed every HEARTBEAT seconds; a hung process loses it after this
HEARTBEAT = 2.0
EMBED_BUDGET = 0.5    # seconds of a tick spent embedding new replies for themes


def owner_id() -> str:
    """Who holds a lease: host and process id (so a dead process can be recognised) plus a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _is_gone(holder: str) -> bool:
    """True if the holder ran on this host and its process no longer exists (e.g. killed by SIGKILL)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Ticker:
    """One pass over what is due, by the one process holding the scheduler lease."""

    def __init__(self, store: Store, slack: Slack, people: Directory, linker: Linker, clock: Clock, *,
                 grace: timedelta, wait: timedelta, llm: tuple[str, str, str] = ("", "", "")) -> None:
        self.store, self.slack, self.people, self.linker, self.clock = store, slack, people, linker, clock
        self.grace, self.wait, self.llm = grace, wait, llm
        self.owner = owner_id()
        self.tallies = posting.Tallies()
        self.kinds = {**posting.kinds(people, linker), **replies.KINDS, **closing.kinds(people)}
        # Sessions already running when the bot starts need no second read: the directory was read at start.
        self._running = {s.id for s in store.sessions.list(states=("running",))}
        self._newest = -1
        self.stopping = False  # set when the bot stops: the tick under way ends after its current step
        self.steps: list[Callable[[datetime], object]] = [
            self._adopt,
            lambda now: posting.queue_due(store, people, linker, now, grace),
            lambda now: posting.remind(store, now),
            lambda now: closing.close_finished(store, linker, now),
            lambda now: posting.close_prompts(store, slack, now),
            lambda now: closing.wrap_up(store, slack, people, linker, now, llm),
            lambda now: outbox.deliver(store, slack, self.kinds, now, wait, self.may_post),
            lambda now: self.tallies.refresh(store, slack),
            self._refresh_directory,
            lambda now: self._embed(),
        ]

    def keep(self) -> bool:
        """Take or renew the lease; True while this process may schedule."""
        return self.store.leases.hold(LEASE, self.owner, time.time(), LEASE_SECONDS, _is_gone)

    def holds(self) -> bool:
        """Checked right before posting: a process that lost the lease while waiting on Slack must not post."""
        return self.store.leases.holder(LEASE, time.time()) == self.owner

    def may_post(self) -> bool:
        """Asked before each post: not while stopping, and only while holding the lease."""
        return not self.stopping and self.holds()

    def release(self) -> None:
        self.store.leases.release(LEASE, self.owner)

    def tick(self) -> None:
        """Every step runs even if another fails; a failure is logged with its traceback and tried next tick."""
        if not self.keep():
            log.debug("another hvis process is scheduling; this one only answers Slack")
            return
        now = self.clock.now()
        for step in self.steps:
            if self.stopping:
                return
            try:
                step(now)
            except Exception:
                log.exception("a scheduler step failed; trying again next tick")

    def _adopt(self, now: datetime) -> None:
        if self.people.team_id:
            self.store.sessions.adopt(self.people.team_id)

    def _refresh_directory(self, now: datetime) -> None:
        """Read the workspace's members again whenever a session starts (new guests, politicians, names)."""
        running = {s.id for s in self.store.sessions.list(states=("running",))}
        if running - self._running:
            self.people.refresh()
        self._running = running

    def _embed(self) -> None:
        """Embed new replies for the themes, but only in a quiet moment: while replies keep arriving the
        cores belong to acknowledging them (what is left is embedded when a session closes)."""
        newest = self.store.replies.newest()
        quiet, self._newest = newest == self._newest, newest
        deadline = time.monotonic() + EMBED_BUDGET
        # One reply at a time (a long one takes a while), so the budget is kept to within one reply's time.
        while quiet and time.monotonic() < deadline and summaries.embed_new(self.store, batch=1):
            pass


def start(ticker: Ticker, seconds: float = 1.0) -> BackgroundScheduler:
    """Start ticking now, with the lease heartbeat as its own job (a tick waiting on Slack keeps the lease)."""
    scheduler = BackgroundScheduler(timezone=timezone.utc)
    scheduler.add_job(ticker.tick, "interval", seconds=seconds, id=TICK_ID, max_instances=1, coalesce=True,
                      misfire_grace_time=None, next_run_time=datetime.now(timezone.utc))
    scheduler.add_job(ticker.keep, "interval", seconds=HEARTBEAT, id="hvis-lease", max_instances=1, coalesce=True,
                      misfire_grace_time=None)
    scheduler.start()
    return scheduler


def stop(ticker: Ticker, scheduler: BackgroundScheduler | None) -> None:
    """Stop ticking (the tick under way finishes its current step) and hand the lease back, so a restarted
    bot schedules at once."""
    ticker.stopping = True
    if scheduler and scheduler.running:
        scheduler.shutdown(wait=True)
    ticker.release()


def healthy(scheduler: BackgroundScheduler | None) -> bool:
    return bool(scheduler and scheduler.running and scheduler.get_job(TICK_ID))
