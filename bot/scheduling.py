"""The one scheduler: a short APScheduler interval tick that asks the database what is due."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler

from bot import followup, lease, posting
from bot.context import Hvis

log = logging.getLogger(__name__)
TICK_ID = "hvis-tick"
STEPS = (posting.post_due_prompts, followup.post_pending_answers, followup.remind_and_close,
         followup.wrap_up_closed_sessions)


def tick(h: Hvis) -> None:
    """One pass over what is due, by the one process holding the scheduler lease; each step runs even if another fails."""
    if not lease.keep(h.store, h.instance):
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
    # Its own job, so a tick waiting on Slack (Retry-After) does not let the lease lapse.
    scheduler.add_job(lease.keep, "interval", seconds=lease.HEARTBEAT, args=[h.store, h.instance],
                      id="hvis-lease", max_instances=1, coalesce=True, misfire_grace_time=None)
    scheduler.start()
    return scheduler


def stop_scheduler(h: Hvis, scheduler: BackgroundScheduler | None) -> None:
    """Stop ticking and hand the lease back, so a restarted bot schedules at once."""
    if scheduler and scheduler.running:
        scheduler.shutdown(wait=True)
    lease.release(h.store, h.instance)


def scheduler_healthy(scheduler: BackgroundScheduler | None) -> bool:
    return bool(scheduler and scheduler.running and scheduler.get_job(TICK_ID))
