"""Clocks: time is a parameter, so tests and the demo can run a theme day faster than real time."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


class Clock:
    """Real UTC time."""

    def __deepcopy__(self, memo: dict) -> "Clock":
        """Shared by design: Bolt copies a request's context for lazy listeners, and this must stay one object."""
        return self

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ScaledClock(Clock):
    """Time that runs `factor` times faster than real time from `start` (the demo's compressed day).

    It can be paused, so simulated people can act "at" one moment however slow the machine is.
    """

    def __init__(self, start: datetime, factor: float) -> None:
        self.start = start
        self.factor = factor
        self._t0 = time.monotonic()
        self._paused_at: float | None = None

    def _elapsed(self) -> float:
        return (self._paused_at if self._paused_at is not None else time.monotonic()) - self._t0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self._elapsed() * self.factor)

    def pause(self) -> None:
        if self._paused_at is None:
            self._paused_at = time.monotonic()

    def resume(self) -> None:
        if self._paused_at is not None:
            self._t0 += time.monotonic() - self._paused_at
            self._paused_at = None


class FixedClock(Clock):
    """A clock that only moves when told to (unit tests)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at
