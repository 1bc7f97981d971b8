"""Schedule maths: session start times, prompt due times and what a tick should do. Pure: no clock, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import BadInput
from bot.rules.decks import Deck, TimeSpec

# A start is planned: within ten years ahead (a typo like 9999 is caught), never further back than the grace period.
LATEST_START = timedelta(days=3653)
_HAS_TIME = re.compile(r"\d[T ]\d")


def check_timezone(name: str, where: str = "time zone") -> str:
    """Return `name` if it is a known IANA time zone, else raise BadInput."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"{where} {name!r} is not a known time zone (try Europe/Copenhagen)") from None
    return name


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
    """Parse an ISO 8601 date and time; a time without offset is wall-clock time in `tz_name`. Returns UTC.

    A date alone is refused: it would mean midnight, which is never what a facilitator meant."""
    text = text.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(f"start {text[:40]!r} is not an ISO 8601 time (e.g. 2026-03-12T09:30)") from None
    if not _HAS_TIME.search(text):
        raise BadInput(f"start {text!r} has no time of day; give one, e.g. {text[:10]}T09:30")
    if parsed.tzinfo is None:
        parsed = localize(parsed, ZoneInfo(check_timezone(tz_name)), "start")
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        raise BadInput(f"start {text!r} is out of range") from None


def from_pickers(day: str | None, clock_time: str | None, tz_name: str) -> datetime:
    """A date picker's and a time picker's values as a UTC time; both must be given."""
    if not day or not clock_time:
        raise BadInput("choose both a date and a time")
    try:
        naive = datetime.fromisoformat(f"{day}T{clock_time}")
    except ValueError:
        raise BadInput(f"{day} {clock_time} is not a date and time") from None
    return localize(naive, ZoneInfo(tz_name), "time").astimezone(timezone.utc)


def check_start(start: datetime, now: datetime, grace: timedelta, tz_name: str) -> datetime:
    """A start may be at most `grace` in the past (its first prompt is then posted late) and at most ten years ahead."""
    local = start.astimezone(ZoneInfo(tz_name))
    if start < now - grace:
        raise BadInput(f"start {local:%Y-%m-%d %H:%M} ({tz_name}) has passed; the first prompt could no longer "
                       f"be posted on time (at most {int(grace.total_seconds() // 60)} minutes late). "
                       "Choose a later start")
    if start > now + LATEST_START:
        raise BadInput(f"start {local:%Y-%m-%d %H:%M} is more than ten years ahead; check the year")
    return start


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


def shifted(due_at: str, remind_at: str | None, close_at: str | None, new_due: datetime) -> tuple[str, str | None, str | None]:
    """A prompt's times moved so it is due at `new_due`; its reminder and close keep their distance."""
    delta = new_due - parse_iso(due_at)
    return (iso(new_due), iso(parse_iso(remind_at) + delta) if remind_at else None,
            iso(parse_iso(close_at) + delta) if close_at else None)


def local(moment: datetime | str, tz_name: str) -> datetime:
    """A stored UTC time as wall-clock time in the session's zone."""
    if isinstance(moment, str):
        moment = parse_iso(moment)
    return moment.astimezone(ZoneInfo(tz_name))


def due_action(due_at: datetime, now: datetime, grace: timedelta) -> str | None:
    """What a tick does with a pending prompt: post it, mark it missed, or nothing yet."""
    if now < due_at:
        return None
    return POST if now - due_at <= grace else MISS
