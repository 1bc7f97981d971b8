"""bot/schedule.py: start times in Danish wall-clock time, prompt plans across DST, and what a tick does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.decks import parse_deck
from bot.errors import BadInput
from bot.schedule import due_action, iso, parse_start, plan

CPH = "Europe/Copenhagen"
UTC = timezone.utc
GRACE = timedelta(minutes=15)


def deck(*prompts: dict):
    return parse_deck({"title": "Temadag", "language": "da", "prompts": [{"kind": "open", **p} for p in prompts]},
                      "test deck")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize("text, expected", [
    ("2026-01-15T09:00", utc(2026, 1, 15, 8, 0)),         # winter, +01:00
    ("2026-07-15T09:00", utc(2026, 7, 15, 7, 0)),         # summer, +02:00
    ("2026-07-15T09:00+05:00", utc(2026, 7, 15, 4, 0)),   # explicit offset wins over the zone
    ("2026-07-15T09:00Z", utc(2026, 7, 15, 9, 0)),
    (" 2026-03-12T09:30 ", utc(2026, 3, 12, 8, 30)),
])
def test_parse_start_reads_wall_clock_copenhagen_time_and_returns_utc(text, expected):
    start = parse_start(text, CPH)
    assert start == expected
    assert start.utcoffset() == timedelta(0)


def test_parse_start_refuses_the_spring_forward_gap():
    with pytest.raises(BadInput, match="2026-03-29 02:30"):
        parse_start("2026-03-29T02:30", CPH)


@pytest.mark.parametrize("text", ["nonsense", "", "2026-13-01T09:00", "12/03/2026 09:30", "2026-03-12T25:00"])
def test_parse_start_refuses_text_that_is_not_iso_8601(text):
    with pytest.raises(BadInput):
        parse_start(text, CPH)


@pytest.fixture
def autumn_plan():
    """A session starting 01:00 on 2026-10-25; Danish clocks go back from 03:00 to 02:00 at 01:00 UTC."""
    start = parse_start("2026-10-25T01:00", CPH)
    times = plan(deck({"id": "foer", "at": "+0m", "text": "a"},
                      {"id": "efter", "at": "+3h", "remind": "+15m", "close": "+1h", "text": "b"},
                      {"id": "klokken", "at": "10:30", "text": "c"}), start, CPH)
    return start, times


def test_plan_offsets_count_real_elapsed_minutes_across_dst(autumn_plan):
    start, (first, later, _) = autumn_plan
    assert first.due_at == start
    assert later.due_at - start == timedelta(hours=3)
    assert later.due_at.astimezone(ZoneInfo(CPH)).strftime("%H:%M %z") == "03:00 +0100"  # 2 h of wall clock
    assert later.remind_at - later.due_at == timedelta(minutes=15)
    assert later.close_at - later.due_at == timedelta(hours=1)


def test_plan_clock_times_land_on_local_wall_time_of_the_start_day(autumn_plan):
    _, (_, _, clock) = autumn_plan
    local = clock.due_at.astimezone(ZoneInfo(CPH))
    assert (local.date().isoformat(), local.hour, local.minute) == ("2026-10-25", 10, 30)
    assert clock.due_at == utc(2026, 10, 25, 9, 30)


def test_plan_clock_time_in_summer_uses_summer_offset():
    start = parse_start("2026-06-10T09:00", CPH)
    (times,) = plan(deck({"id": "a", "at": "10:30", "text": "a"}), start, CPH)
    assert times.due_at == utc(2026, 6, 10, 8, 30)


def test_plan_refuses_a_clock_time_before_the_session_start():
    start = parse_start("2026-03-12T11:00", CPH)
    with pytest.raises(BadInput, match="'tidlig'"):
        plan(deck({"id": "tidlig", "at": "10:30", "text": "a"}), start, CPH)


@pytest.mark.parametrize("late_by, expected", [
    (timedelta(seconds=-1), None),
    (timedelta(0), "post"),
    (timedelta(minutes=7), "post"),
    (GRACE, "post"),
    (GRACE + timedelta(seconds=1), "miss"),
    (timedelta(hours=5), "miss"),
])
def test_due_action_waits_posts_within_grace_and_misses_after(late_by, expected):
    due = utc(2026, 3, 12, 8, 0)
    assert due_action(due, due + late_by, GRACE) == expected


def test_iso_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        iso(datetime(2026, 3, 12, 9, 0))


def test_iso_text_sorts_like_time():
    cph, new_york = ZoneInfo(CPH), ZoneInfo("America/New_York")
    moments = [
        datetime(2026, 3, 12, 9, 0, tzinfo=cph),             # 08:00 UTC
        datetime(2026, 3, 12, 3, 30, tzinfo=new_york),       # 07:30 UTC
        datetime(2026, 3, 12, 8, 15, 30, 999999, tzinfo=UTC),
        datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=cph),   # second 02:30 of the autumn change
        datetime(2026, 10, 25, 2, 30, fold=0, tzinfo=cph),   # first 02:30
        datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC),
    ]
    texts = [iso(moment) for moment in moments]
    # timestamp(), not <: Python compares times in one zone by wall clock and ignores `fold`
    assert sorted(texts) == [iso(moment) for moment in sorted(moments, key=datetime.timestamp)]
    assert len(set(texts)) == len(texts)


def test_iso_is_utc_to_the_second():
    assert iso(datetime(2026, 7, 15, 9, 0, 12, 345678, tzinfo=ZoneInfo(CPH))) == "2026-07-15T07:00:12+00:00"
