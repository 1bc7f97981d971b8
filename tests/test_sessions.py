"""`hvis session create/list/show/close/cancel`: what a facilitator plans is stored whole or not at all, shown in
the session's own local time, and the anonymity mode only ever becomes stricter once a prompt is out."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.errors import Refused
from bot.i18n import t
from bot.rules.decks import load_deck
from bot.services import sessions
from bot.services.linking import Linker
from storage import Store
from storage.keys import KeyStore
from tests.support import cli_env, hvis

CHANNEL = "C0TEMADAG"
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
BROKEN_DECK = 'title = "Temadag"\nlanguage = "da"\n[[prompts]]\nid = "sne"\nkind = "essay"\nat = "+0m"\ntext = "x"\n'


def upcoming(month: int = 2, clock: str = "09:30") -> str:
    """A valid start in `month` (two days to a year ahead), at `clock`."""
    first = date.today() + timedelta(days=2)
    when = next(day for day in (first + timedelta(days=n) for n in range(360)) if day.month == month)
    return f"{when.isoformat()}T{clock}"


def spring_gap() -> str:
    """02:30 on the next last Sunday of March: a time the clocks skip in Copenhagen."""
    for year in (date.today().year, date.today().year + 1):
        day = max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)
        if day > date.today() + timedelta(days=1):
            return f"{day.isoformat()}T02:30"
    raise AssertionError("unreachable")


def minutes_ago(minutes: int) -> str:
    return (datetime.now(COPENHAGEN) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")


def one_line(result) -> str:
    lines = result.err.splitlines()
    assert len(lines) == 1 and result.out == "", (result.out, result.err)
    return lines[0]


@pytest.fixture
def env(tmp_path) -> dict:
    return cli_env(tmp_path / "hvis.db")


@pytest.fixture
def run(tmp_path, env):
    """The command line in this test's folder, on its database; fails the test unless it exits 0."""
    def ok(*args: str, **more_env: str) -> str:
        result = hvis(*args, env={**env, **more_env}, cwd=tmp_path)
        assert result.code == 0, result.err
        return result.out
    return ok


def create(run, *extra: str, start: str | None = None) -> str:
    return run("session", "create", "--title", "Temadag", "--channel", CHANNEL, "--start", start or upcoming(),
               *extra).strip()


def shown(run, session_id: str) -> dict:
    return json.loads(run("session", "show", session_id, "--json"))


def listed(run) -> list[dict]:
    return json.loads(run("session", "list", "--json"))


def test_create_prints_only_the_new_id(run):
    assert re.fullmatch(r"[0-9a-f]{8}", create(run))


def test_created_session_is_scheduled_with_every_prompt_of_the_default_deck(run):
    session_id = create(run, "--team", "T0HVIS")
    session = shown(run, session_id)
    assert {k: session[k] for k in ("id", "title", "channel", "state", "deck", "team_id", "anonymity")} == {
        "id": session_id, "title": "Temadag", "channel": CHANNEL, "state": "scheduled", "deck": "velfaerd",
        "team_id": "T0HVIS", "anonymity": "choice"}
    assert [p["id"] for p in session["prompts"]] == [p.id for p in load_deck(None).prompts]
    assert {p["state"] for p in session["prompts"]} == {"pending"}
    assert [s["id"] for s in listed(run)] == [session_id]


@pytest.mark.parametrize("month, utc", [(1, "08:30"), (7, "07:30")], ids=["winter", "summer"])
def test_first_prompt_of_the_default_deck_is_due_at_the_start_in_copenhagen_time(run, month, utc):
    start = upcoming(month)
    session = shown(run, create(run, start=start))
    assert session["start_at"] == session["prompts"][0]["due_at"] == f"{start[:10]}T{utc}:00+00:00"


@pytest.mark.parametrize("zone, month", [("Europe/Copenhagen", 1), ("Europe/Copenhagen", 7), ("America/New_York", 1)])
def test_show_and_list_print_times_in_the_sessions_own_zone(run, zone, month):
    start = upcoming(month)
    session_id = create(run, "--tz", zone, start=start)
    text = run("session", "show", session_id)
    assert f"start {start[:10]} 09:30 ({zone})" in text
    first_prompt = next(line for line in text.splitlines() if "ungdom" in line)
    assert first_prompt.split()[:2] == [start[:10], "09:30"]
    assert f"{start[:10]} 09:30 {zone}" in run("session", "list")
    session = shown(run, session_id)
    assert session["start_local"] == session["prompts"][0]["due_local"] == f"{start[:10]} 09:30"


def test_a_deck_in_english_makes_an_english_session_unless_a_language_is_given(run):
    assert shown(run, create(run, "--deck", "welfare-en"))["language"] == "en"
    assert shown(run, create(run, "--deck", "velfaerd", start=upcoming(4)))["language"] == "da"
    assert shown(run, create(run, "--deck", "welfare-en", "--language", "da", start=upcoming(5)))["language"] == "da"


def test_facilitators_may_be_user_ids_and_user_groups(run):
    session_id = create(run, "--facilitator", "U0FACIL01", "--facilitator", "S0TEMAGRP", "--facilitator", "W0ENTERPR")
    assert sorted(shown(run, session_id)["facilitators"]) == ["S0TEMAGRP", "U0FACIL01", "W0ENTERPR"]


def test_a_start_within_the_grace_period_is_accepted(run):
    session = shown(run, create(run, start=minutes_ago(10)))
    assert session["state"] == "scheduled"


BAD_CREATE = [
    ("date without a time", ["--start", upcoming()[:10]], "no time of day"),
    ("start two hours ago", ["--start", minutes_ago(120)], "has passed"),
    ("start in the year 9999", ["--start", "9999-12-31T23:59"], "more than ten years ahead"),
    ("not a time", ["--start", "tomorrow morning"], "not an ISO 8601 time"),
    ("start in the spring DST gap", ["--start", spring_gap()], "does not exist"),
    ("unknown time zone", ["--tz", "Mars/Olympus"], "Mars/Olympus"),
    ("100,000-character title", ["--title", "x" * 100_000], "at most 150"),
    ("blank title", ["--title", "  \n "], "title"),
    ("channel name, not id", ["--channel", "#temadag"], "not a Slack channel id"),
    ("user id as channel", ["--channel", "U0EMP0001"], "not a Slack channel id"),
    ("junk facilitator", ["--facilitator", "fie@kommune.dk"], "user group id"),
    ("lower-case facilitator", ["--facilitator", "u0facil01"], "user group id"),
    ("unknown deck", ["--deck", "nope"], "nope"),
    ("broken deck file", ["--deck", "{broken}"], "essay"),
    ("unknown anonymity", ["--anonymity", "sometimes"], "sometimes"),
    ("unknown language", ["--language", "sv"], "sv"),
]
# These are refused only after the command has opened (and so created) the database.


def create_args(tmp_path: Path, args: list[str]) -> list[str]:
    broken = tmp_path / "broken.toml"
    broken.write_text(BROKEN_DECK, encoding="utf-8")
    given = dict(zip(args[::2], [a.replace("{broken}", str(broken)) for a in args[1::2]], strict=True))
    base = {"--title": "Temadag", "--channel": CHANNEL, "--start": upcoming(6)}
    return ["session", "create", *[part for pair in {**base, **given}.items() for part in pair]]


@pytest.mark.parametrize("case, args, says", BAD_CREATE, ids=[case for case, _, _ in BAD_CREATE])
def test_bad_create_exits_2_with_one_line_and_stores_nothing(tmp_path, env, run, case, args, says):
    existing = create(run)
    keys = KeyStore(tmp_path / "keys" / "hvis.json")
    result = hvis(*create_args(tmp_path, args), env=env, cwd=tmp_path)
    assert result.code == 2
    line = one_line(result)
    assert line.startswith("hvis") and says in line
    assert [s["id"] for s in listed(run)] == [existing]
    assert keys.sessions() == {existing}


@pytest.mark.parametrize("case, args, says", [
    pytest.param(*row) for row in BAD_CREATE],
    ids=[case for case, _, _ in BAD_CREATE])
def test_bad_create_on_a_new_database_path_leaves_no_file(tmp_path, case, args, says):
    data = tmp_path / "data"
    result = hvis(*create_args(tmp_path, args), env=cli_env(data / "hvis.db"), cwd=tmp_path)
    assert result.code == 2
    assert not data.exists(), sorted(p.name for p in data.rglob("*"))


def test_a_second_session_in_the_same_channel_at_the_same_time_is_refused(tmp_path, env, run):
    first = create(run)
    clash = hvis("session", "create", "--title", "Dobbelt", "--channel", CHANNEL, "--start", upcoming(),
                 env=env, cwd=tmp_path)
    assert clash.code == 2 and first in one_line(clash)
    other_channel = create(run, "--channel", "C0ANDEN01")
    assert sorted(s["id"] for s in listed(run)) == sorted([first, other_channel])


def test_close_makes_the_session_closed_everywhere(run):
    session_id = create(run)
    closed = json.loads(run("session", "close", session_id, "--json"))
    assert closed["state"] == "closed" and closed["closed_at"]
    assert shown(run, session_id)["state"] == "closed"
    assert [s["state"] for s in listed(run)] == ["closed"]
    assert "state closed" in run("session", "show", session_id)


def test_cancel_removes_a_session_that_never_started(tmp_path, run):
    session_id = create(run)
    assert session_id in run("session", "cancel", session_id)
    assert listed(run) == []
    assert KeyStore(tmp_path / "keys" / "hvis.json").sessions() == set()


def test_cancel_refuses_a_running_session_and_points_to_close(bot, live_session, settings, tmp_path):
    session, _ = live_session
    result = hvis("session", "cancel", session.id, env=cli_env(settings.db_path), cwd=tmp_path)
    assert result.code == 2 and f"hvis session close {session.id}" in one_line(result)
    assert bot.store.sessions.get(session.id).state == "running"


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "hvis.db").migrate()


@pytest.fixture
def linker(tmp_path) -> Linker:
    return Linker(KeyStore(tmp_path / "keys" / "hvis.json"))


def planned_session(store, linker, anonymity: str):
    now = datetime.now(COPENHAGEN)
    session, _ = sessions.create_session(store, linker, load_deck("velfaerd"), title="Temadag", channel=CHANNEL,
                                         start=now + timedelta(days=1), timezone="Europe/Copenhagen",
                                         anonymity_mode=anonymity, facilitators=[], now=now,
                                         grace=timedelta(minutes=15))
    return session


def test_anonymity_can_change_freely_before_the_first_prompt(store, linker):
    session = planned_session(store, linker, "anonymous")
    assert sessions.set_anonymity(store, session, "named").anonymity == "named"


@pytest.mark.parametrize("start, target, allowed", [
    ("choice", "confidential", True), ("choice", "anonymous", True), ("confidential", "anonymous", True),
    ("named", "choice", True), ("anonymous", "anonymous", True),
    ("choice", "named", False), ("anonymous", "confidential", False), ("confidential", "choice", False),
    ("anonymous", "named", False),
])
def test_anonymity_only_becomes_stricter_once_the_first_prompt_is_out(store, linker, start, target, allowed):
    session = planned_session(store, linker, start)
    store.sessions.fix_anonymity(session.id)
    session = store.sessions.get(session.id)
    if allowed:
        assert sessions.set_anonymity(store, session, target).anonymity == target
        return
    with pytest.raises(Refused) as refused:
        sessions.set_anonymity(store, session, target)
    assert refused.value.text("da") == t("da", "session.looser_mode", mode=target)
    assert store.sessions.get(session.id).anonymity == start
