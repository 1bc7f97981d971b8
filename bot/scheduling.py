"""The one scheduler: a short APScheduler interval tick that asks the database what is due."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler

from bot import followup, posting
from bot.context import Hvis

log = logging.getLogger(__name__)
TICK_ID = "hvis-tick"
LEASE = "scheduler"
# A live bot renews every tick; a crashed one's lease lapses after this, and another process may take over.
LEASE_SECONDS = 15.0
STEPS = (posting.post_due_prompts, followup.post_pending_answers, followup.remind_and_close,
         followup.wrap_up_closed_sessions)


def tick(h: Hvis) -> None:
    """One pass over what is due, by the one process holding the scheduler lease; each step runs even if another fails."""
    if not h.store.hold_lease(LEASE, h.instance, time.time(), LEASE_SECONDS):
        log.debug("another hvis process is scheduling; this one only answers Slack")
        return
    now = h.clock.now()
    if h.team_id:
        h.store.adopt_sessions(h.team_id)
    for step in STEPS:
        try:
            step(h, now)
        except Exception:
            log.exception("%s failed; trying again next tick", step.__name__)


def start_scheduler(h: Hvis, seconds: float = 1.0) -> BackgroundScheduler:
    """Start ticking now. State lives in SQLite, so a missed or doubled tick can neither lose nor repeat a post."""
    scheduler = BackgroundScheduler(timezone=timezone.utc)
    scheduler.add_job(tick, "interval", seconds=seconds, args=[h], id=TICK_ID,
                      max_instances=1, coalesce=True, misfire_grace_time=None,
                      next_run_time=datetime.now(timezone.utc))
    scheduler.start()
    return scheduler


def stop_scheduler(h: Hvis, scheduler: BackgroundScheduler | None) -> None:
    """Stop ticking and hand the lease back, so a restarted bot schedules at once."""
    if scheduler and scheduler.running:
        scheduler.shutdown(wait=True)
    h.store.release_lease(LEASE, h.instance)


def scheduler_healthy(scheduler: BackgroundScheduler | None) -> bool:
    return bool(scheduler and scheduler.running and scheduler.get_job(TICK_ID))
