"""bot/rules/schedule.py: start times in Danish wall-clock time, when a start is allowed, prompt plans across
DST, and what a tick does with a due prompt. Pure: every time is a parameter."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.errors import BadInput
from bot.rules.decks import parse_deck
from bot.rules.schedule import (
    LATEST_START,
    check_start,
    check_timezone,
    due_action,
    from_pickers,
    iso,
    local,
    parse_iso,
    parse_start,
    plan,
    shifted,
)

CPH = "Europe/Copenhagen"
UTC = timezone.utc
GRACE = timedelta(minutes=15)
NOW = datetime(2026, 3, 12, 8, 0, tzinfo=UTC)


def deck(*prompts: dict):
    return parse_deck({"title": "Temadag", "language": "da", "prompts": [{"kind": "open", "text": "?", **p}
                                                                          for p in prompts]}, "test deck")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- parse_start ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2026-01-15T09:00", utc(2026, 1, 15, 8, 0)),         # winter, +01:00
    ("2026-07-15T09:00", utc(2026, 7, 15, 7, 0)),         # summer, +02:00
    ("2026-07-15 09:00", utc(2026, 7, 15, 7, 0)),
    ("2026-07-15T09:00:30", utc(2026, 7, 15, 7, 0, 30)),
    ("2026-07-15T09:00+05:00", utc(2026, 7, 15, 4, 0)),   # an explicit offset wins over the zone
    ("2026-07-15T09:00Z", utc(2026, 7, 15, 9, 0)),
    (" 2026-03-12T09:30 ", utc(2026, 3, 12, 8, 30)),
    ("2026-10-25T02:30", utc(2026, 10, 25, 0, 30)),       # twice on the autumn night: the first (summer) one
])
def test_parse_start_reads_wall_clock_copenhagen_time_and_returns_utc(text, expected):
    start = parse_start(text, CPH)
    assert start == expected
    assert start.utcoffset() == timedelta(0)


def test_parse_start_uses_the_zone_it_is_given():
    assert parse_start("2026-07-15T09:00", "America/New_York") == utc(2026, 7, 15, 13, 0)


def test_parse_start_refuses_the_spring_forward_gap():
    with pytest.raises(BadInput, match="2026-03-29 02:30 does not exist in Europe/Copenhagen"):
        parse_start("2026-03-29T02:30", CPH)


@pytest.mark.parametrize("text", ["2026-03-12", " 2026-03-12 ", "2026-03-12+01:00"])
def test_parse_start_refuses_a_date_without_a_time(text):
    with pytest.raises(BadInput, match="no time of day"):
        parse_start(text, CPH)


@pytest.mark.parametrize("text", ["nonsense", "", "2026-13-01T09:00", "12/03/2026 09:30", "2026-03-12T25:00",
                                  "9999-12-31T23:59-01:00"])
def test_parse_start_refuses_text_that_is_not_a_usable_iso_8601_time(text):
    with pytest.raises(BadInput, match="^start "):
        parse_start(text, CPH)


def test_parse_start_refuses_an_unknown_time_zone_naming_it():
    with pytest.raises(BadInput, match="'Mars/Olympus'"):
        parse_start("2026-03-12T09:30", "Mars/Olympus")


def test_parse_start_reads_iso_8601_basic_format():
    assert parse_start("20260312T0930", CPH) == utc(2026, 3, 12, 8, 30)


# --- check_start ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("start, allowed", [
    (NOW - GRACE - timedelta(seconds=1), False),
    (NOW - GRACE, True),                      # its first prompt can still go out, late within the grace period
    (NOW, True),
    (NOW + timedelta(days=30), True),
    (NOW + LATEST_START, True),
    (NOW + LATEST_START + timedelta(seconds=1), False),
    (datetime(9999, 3, 12, 8, 0, tzinfo=UTC), False),   # a typo in the year
])
def test_check_start_allows_a_start_from_the_grace_period_ago_to_a_year_ahead(start, allowed):
    if allowed:
        assert check_start(start, NOW, GRACE, CPH) == start
    else:
        with pytest.raises(BadInput, match="^start "):
            check_start(start, NOW, GRACE, CPH)


def test_check_start_says_the_refused_time_in_the_sessions_zone():
    with pytest.raises(BadInput, match=r"start 2026-03-12 08:00 \(Europe/Copenhagen\) has passed"):
        check_start(utc(2026, 3, 12, 7, 0), NOW, GRACE, CPH)


# --- from_pickers --------------------------------------------------------------------------------------------

def test_from_pickers_reads_local_date_and_time_as_utc():
    assert from_pickers("2026-07-15", "09:30", CPH) == utc(2026, 7, 15, 7, 30)


@pytest.mark.parametrize("day, clock_time, problem", [
    (None, "09:30", "both a date and a time"),
    ("2026-07-15", "", "both a date and a time"),
    ("2026-02-30", "09:30", "is not a date and time"),
    ("2026-03-29", "02:30", "does not exist"),
])
def test_from_pickers_refuses_a_missing_or_impossible_time(day, clock_time, problem):
    with pytest.raises(BadInput, match=problem):
        from_pickers(day, clock_time, CPH)


def test_check_timezone_returns_a_known_zone_and_refuses_others():
    assert check_timezone(CPH) == CPH
    with pytest.raises(BadInput, match="HVIS_TZ 'CET\\+1'"):
        check_timezone("CET+1", "HVIS_TZ")


# --- plan ----------------------------------------------------------------------------------------------------

@pytest.fixture
def autumn_plan():
    """A session starting 01:00 on 2026-10-25; Danish clocks go back from 03:00 to 02:00 at 01:00 UTC."""
    start = parse_start("2026-10-25T01:00", CPH)
    times = plan(deck({"id": "foer", "at": "+0m"},
                      {"id": "efter", "at": "+3h", "remind": "+15m", "close": "+1h"},
                      {"id": "klokken", "at": "10:30", "close": "11:00"}), start, CPH)
    return start, times


def test_plan_offsets_count_real_elapsed_minutes_across_dst(autumn_plan):
    start, (first, later, _) = autumn_plan
    assert first.due_at == start
    assert (first.remind_at, first.close_at) == (None, None)
    assert later.due_at - start == timedelta(hours=3)
    assert later.due_at.astimezone(ZoneInfo(CPH)).strftime("%H:%M %z") == "03:00 +0100"  # 2 h of wall clock
    assert later.remind_at - later.due_at == timedelta(minutes=15)
    assert later.close_at - later.due_at == timedelta(hours=1)


def test_plan_clock_times_land_on_local_wall_time_of_the_start_day(autumn_plan):
    _, (_, _, clock) = autumn_plan
    assert clock.due_at == utc(2026, 10, 25, 9, 30)   # 10:30 winter time
    assert clock.close_at == utc(2026, 10, 25, 10, 0)


def test_plan_clock_time_in_summer_uses_summer_offset():
    start = parse_start("2026-06-10T09:00", CPH)
    (_, later) = plan(deck({"id": "a", "at": "+0m"}, {"id": "b", "at": "10:30"}), start, CPH)
    assert later.due_at == utc(2026, 6, 10, 8, 30)


@pytest.mark.parametrize("prompts, problem", [
    ([{"id": "tidlig", "at": "10:30"}], r"prompt 'tidlig': at 10:30 is before the session start 11:00"),
    ([{"id": "a", "at": "+0m"}, {"id": "b", "at": "12:00"}, {"id": "c", "at": "+30m"}], r"prompt 'c'.*time order"),
    ([{"id": "a", "at": "+0m", "close": "10:00"}], r"prompt 'a': remind and close must be after"),
])
def test_plan_refuses_times_that_do_not_fit_the_day_naming_the_prompt(prompts, problem):
    with pytest.raises(BadInput, match=problem):
        plan(deck(*prompts), parse_start("2026-03-12T11:00", CPH), CPH)


def test_plan_refuses_a_clock_time_in_the_spring_gap_naming_the_prompt():
    with pytest.raises(BadInput, match=r"prompt 'nat': at 2026-03-29 02:30 does not exist"):
        plan(deck({"id": "a", "at": "+0m"}, {"id": "nat", "at": "02:30"}), parse_start("2026-03-29T01:00", CPH), CPH)


# --- what a tick does, and the stored time format ------------------------------------------------------------

@pytest.mark.parametrize("late_by, expected", [
    (timedelta(seconds=-1), None),
    (timedelta(0), "post"),
    (timedelta(minutes=7), "post"),
    (GRACE, "post"),
    (GRACE + timedelta(seconds=1), "miss"),
    (timedelta(hours=5), "miss"),
])
def test_due_action_waits_posts_within_grace_and_misses_after(late_by, expected):
    assert due_action(NOW, NOW + late_by, GRACE) == expected


def test_due_action_with_no_grace_posts_only_on_time():
    assert due_action(NOW, NOW, timedelta(0)) == "post"
    assert due_action(NOW, NOW + timedelta(seconds=1), timedelta(0)) == "miss"


@pytest.mark.parametrize("reminder, close", [("2026-03-12T08:15:00+00:00", "2026-03-12T08:25:00+00:00"),
                                             (None, "2026-03-12T08:25:00+00:00"), (None, None)])
def test_shifted_moves_a_prompt_and_keeps_its_reminder_and_close_at_their_distance(reminder, close):
    due, new_reminder, new_close = shifted("2026-03-12T08:00:00+00:00", reminder, close, utc(2026, 3, 12, 9, 40))
    assert due == "2026-03-12T09:40:00+00:00"
    assert new_reminder == (reminder and "2026-03-12T09:55:00+00:00")
    assert new_close == (close and "2026-03-12T10:05:00+00:00")


def test_local_shows_a_stored_time_on_the_sessions_wall_clock():
    assert local("2026-07-15T07:00:00+00:00", CPH).strftime("%Y-%m-%d %H:%M") == "2026-07-15 09:00"
    assert local(utc(2026, 1, 15, 8, 0), CPH).hour == 9


def test_iso_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        iso(datetime(2026, 3, 12, 9, 0))


def test_iso_is_utc_to_the_second_and_parses_back():
    text = iso(datetime(2026, 7, 15, 9, 0, 12, 345678, tzinfo=ZoneInfo(CPH)))
    assert text == "2026-07-15T07:00:12+00:00"
    assert parse_iso(text) == utc(2026, 7, 15, 7, 0, 12)


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
