"""Schedule maths: session start times, prompt due times and what a tick should do. Pure: no clock, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.decks import Deck, TimeSpec
from bot.config import check_timezone
from bot.errors import BadInput


@dataclass(frozen=True)
class PromptTimes:
    due_at: datetime
    remind_at: datetime | None
    close_at: datetime | None


def localize(naive: datetime, tz: ZoneInfo, where: str) -> datetime:
    """Attach `tz` to a wall-clock time, refusing times that do not exist (the spring DST gap)."""
    aware = naive.replace(tzinfo=tz)
    round_trip = aware.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)
    if round_trip != naive:
        raise BadInput(f"{where} {naive:%Y-%m-%d %H:%M} does not exist in {tz.key} (the clocks skip it for daylight saving)")
    return aware


def parse_start(text: str, tz_name: str) -> datetime:
    """Parse an ISO 8601 start; a time without offset is wall-clock time in `tz_name`. Returns UTC."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"start {text!r} is not an ISO 8601 time (e.g. 2026-03-12T09:30)") from None
    if parsed.tzinfo is None:
        parsed = localize(parsed, ZoneInfo(check_timezone(tz_name)), "start")
    return parsed.astimezone(timezone.utc)


def _resolve(spec: TimeSpec, base: datetime, day_start: datetime, tz: ZoneInfo, where: str) -> datetime:
    if spec.minutes is not None:
        return base + timedelta(minutes=spec.minutes)
    local_day = day_start.astimezone(tz)
    hour, minute = spec.clock or (0, 0)
    wall = local_day.replace(hour=hour, minute=minute, second=0, microsecond=0, tzinfo=None)
    return localize(wall, tz, where).astimezone(timezone.utc)


def plan(deck: Deck, start: datetime, tz_name: str) -> list[PromptTimes]:
    """Due, reminder and close times (UTC) for each prompt of `deck` in a session starting at `start`.

    Offsets count real elapsed time, so a session across a DST change keeps its rhythm;
    clock times are wall-clock times on the start day.
    """
    tz = ZoneInfo(tz_name)
    times = []
    for prompt in deck.prompts:
        where = f"prompt {prompt.id!r}"
        due = _resolve(prompt.at, start, start, tz, f"{where}: at")
        if due < start:
            raise BadInput(f"{where}: at {prompt.at} is before the session start "
                           f"{start.astimezone(tz):%H:%M}")
        remind = _resolve(prompt.remind, due, start, tz, f"{where}: remind") if prompt.remind else None
        close = _resolve(prompt.close, due, start, tz, f"{where}: close") if prompt.close else None
        if remind and remind <= due or close and close <= due:
            raise BadInput(f"{where}: remind and close must be after the prompt's own time")
        if times and due < times[-1].due_at:
            raise BadInput(f"{where}: at {prompt.at} comes before the previous prompt; list prompts in time order")
        times.append(PromptTimes(due, remind, close))
    return times


POST, MISS = "post", "miss"


def iso(moment: datetime) -> str:
    """The one timestamp format stored: UTC to the second, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times are always time-zone aware here")
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def due_action(due_at: datetime, now: datetime, grace: timedelta) -> str | None:
    """What a tick does with a pending prompt: post it, mark it missed, or nothing yet."""
    if now < due_at:
        return None
    return POST if now - due_at <= grace else MISS
