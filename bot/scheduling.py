"""The one scheduler: a short APScheduler interval tick that asks the database what is due."""

from __future__ import annotations

from datetime import datetime, timezone

from apscheduler.schedulers.background import BackgroundScheduler

from bot import posting
from bot.context import Hvis

TICK_ID = "hvis-tick"


def start_scheduler(h: Hvis, seconds: float = 1.0) -> BackgroundScheduler:
    """Start ticking now. State lives in SQLite, so a missed or doubled tick can neither lose nor repeat a post."""
    scheduler = BackgroundScheduler(timezone=timezone.utc)
    scheduler.add_job(posting.tick, "interval", seconds=seconds, args=[h], id=TICK_ID,
                      max_instances=1, coalesce=True, misfire_grace_time=None,
                      next_run_time=datetime.now(timezone.utc))
    scheduler.start()
    return scheduler


def scheduler_healthy(scheduler: BackgroundScheduler | None) -> bool:
    return bool(scheduler and scheduler.running and scheduler.get_job(TICK_ID))
