"""Session rules that need a store but no Slack: anonymity may only become stricter once a prompt is out."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot import sessions
from bot.decks import load_deck
from bot.errors import BadInput, NotAllowed
from storage import Store

NOW = datetime(2026, 3, 12, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "hvis.db").migrate()


def _session(store, anonymity="choice"):
    return sessions.create_session(store, load_deck("velfaerd"), title="Temadag", channel="C0TEMADAG", start=NOW,
                                   timezone="Europe/Copenhagen", language="da", anonymity=anonymity,
                                   facilitators=["U0FACIL01"], now=NOW)


def test_anonymity_can_change_freely_before_the_first_prompt(store):
    session = _session(store, "anonymous")
    assert sessions.set_anonymity(store, session.id, "named").anonymity == "named"


@pytest.mark.parametrize("start,target,allowed", [
    ("choice", "confidential", True), ("choice", "anonymous", True), ("confidential", "anonymous", True),
    ("choice", "named", False), ("anonymous", "confidential", False), ("confidential", "choice", False),
])
def test_anonymity_only_becomes_stricter_once_fixed(store, start, target, allowed):
    session = _session(store, start)
    store.update_session(session.id, anonymity_fixed=1)
    if allowed:
        assert sessions.set_anonymity(store, session.id, target).anonymity == target
    else:
        with pytest.raises(NotAllowed, match="stricter"):
            sessions.set_anonymity(store, session.id, target)
        assert store.session(session.id).anonymity == start


def test_failed_create_leaves_nothing_behind(store):
    with pytest.raises(BadInput):
        sessions.create_session(store, load_deck("velfaerd"), title="Temadag", channel="C0TEMADAG", start=NOW,
                                timezone="Europe/Copenhagen", language="da", anonymity="choice",
                                facilitators=["not-a-user"], now=NOW)
    assert store.sessions() == []


def test_create_stores_every_prompt_with_its_due_time_and_team(store):
    session = sessions.create_session(store, load_deck("velfaerd"), title="Temadag", channel="C0TEMADAG", start=NOW,
                                      timezone="Europe/Copenhagen", language="da", anonymity="choice",
                                      facilitators=[], now=NOW, team_id="T0HVIS")
    prompts = store.prompts(session.id)
    assert [p.key for p in prompts] == [p.id for p in load_deck("velfaerd").prompts]
    assert prompts[0].due_at == "2026-03-12T08:00:00+00:00" and prompts[1].due_at == "2026-03-12T08:30:00+00:00"
    assert {p.team_id for p in prompts} == {"T0HVIS"} and store.session(session.id).facilitators == ()
