"""Clocks: time is a parameter, so tests and the demo can run a theme day faster than real time."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


class Clock:
    """Real UTC time."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ScaledClock(Clock):
    """Time that runs `factor` times faster than real time from `start` (the demo's compressed day)."""

    def __init__(self, start: datetime, factor: float) -> None:
        self.start = start
        self.factor = factor
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._t0) * self.factor)


class FixedClock(Clock):
    """A clock that only moves when told to (unit tests)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at
