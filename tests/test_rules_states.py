"""bot/rules/states.py: the states of sessions, prompts and posts and the moves between them, as tables; and
storage applying each move as a conditional update on a real SQLite file, so a move the table forbids, or one
that someone else already made, changes nothing."""

from __future__ import annotations

import re
from itertools import count, product

import pytest

from bot.rules import states
from storage import Store
from storage.records import Post, Prompt, Session

# (from, to): the lifecycles of SPEC §3 and §4, written out.
SESSION_LIFECYCLE = {
    ("scheduled", "running"),   # the first prompt went out, or `start`
    ("paused", "running"),      # `fortsæt` after something was posted
    ("scheduled", "paused"), ("running", "paused"),
    ("paused", "scheduled"),    # `fortsæt` before anything was posted
    ("scheduled", "closed"), ("running", "closed"), ("paused", "closed"),
}
PROMPT_LIFECYCLE = {
    ("pending", "posting"),     # due, or sent now: queued for Slack
    ("posting", "posted"),
    ("posting", "failed"),      # Slack refused it for good
    ("pending", "missed"),      # fell due while the bot was down or the session paused
    ("missed", "pending"), ("failed", "pending"),   # *Send nu*
    ("posted", "closed"),
}
POST_LIFECYCLE = {
    ("queued", "sending"),
    ("queued", "sent"), ("sending", "sent"),        # sent, or found in Slack after an unknown outcome
    ("sending", "queued"),                          # refused for now, or not found: try again
    ("queued", "failed"), ("sending", "failed"),
    ("failed", "queued"),                           # asked for again (*Send nu*), with a fresh budget
}
MACHINES = {
    "session": (states.SESSION_STATES, states.SESSION_MOVES, states.session_sources, SESSION_LIFECYCLE, "scheduled"),
    "prompt": (states.PROMPT_STATES, states.PROMPT_MOVES, states.prompt_sources, PROMPT_LIFECYCLE, "pending"),
    "post": (states.POST_STATES, states.POST_MOVES, states.post_sources, POST_LIFECYCLE, "queued"),
}


def every_move(machine: str) -> list[tuple[str, str, str]]:
    """(machine, from, to) for every pair of states, the allowed and the forbidden alike."""
    known = MACHINES[machine][0]
    return [(machine, source, to) for source, to in product(known, known) if source != to]


EVERY_MOVE = [move for machine in MACHINES for move in every_move(machine)]


# --- the tables ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("machine, source, to", EVERY_MOVE)
def test_the_move_table_allows_exactly_the_lifecycle(machine, source, to):
    _, moves, sources, lifecycle, _ = MACHINES[machine]
    allowed = source in sources(to) if to in moves else False
    assert allowed is ((source, to) in lifecycle)


@pytest.mark.parametrize("machine", MACHINES)
def test_every_state_in_the_table_is_a_known_state_and_every_state_but_the_first_is_reachable(machine):
    known, moves, _, _, first = MACHINES[machine]
    mentioned = set(moves) | {source for sources in moves.values() for source in sources}
    assert mentioned <= set(known)
    assert set(known) - set(moves) <= {first}


@pytest.mark.parametrize("machine, final", [("session", "closed"), ("prompt", "closed"), ("post", "sent")])
def test_final_states_have_no_way_out(machine, final):
    _, moves, _, _, _ = MACHINES[machine]
    assert [to for to, sources in moves.items() if final in sources] == []


def test_editable_prompts_are_those_not_yet_out_and_live_sessions_those_not_closed():
    assert set(states.EDITABLE_PROMPT_STATES) == {"pending", "missed"}
    assert set(states.LIVE_SESSION_STATES) == set(states.SESSION_STATES) - {"closed"}


# --- storage applies them --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return Store(tmp_path_factory.mktemp("states") / "hvis.db").migrate()


NUMBERS = count(1)


def new_session(store: Store, state: str = "running") -> Session:
    session = Session(id=f"{next(NUMBERS):08x}", team_id="T0HVIS", title="Temadag", channel="C0TEMADAG",
                      deck="velfaerd", language="da", timezone="Europe/Copenhagen", anonymity="choice", state=state,
                      start_at="2026-03-12T08:00:00+00:00", created_at="2026-03-01T08:00:00+00:00")
    store.sessions.create(session, [])
    return session


def in_state(store: Store, machine: str, state: str) -> object:
    """A new record of `machine` in `state`; returns what `move` and `state_of` take."""
    if machine == "session":
        return new_session(store, state).id
    if machine == "prompt":
        return store.prompts.add(Prompt(id=0, session_id=new_session(store).id, key="ungdom", position=0, kind="open",
                                        text="Tænk nu, hvis …", due_at="2026-03-12T08:00:00+00:00", state=state)).id
    key = f"prompt:{next(NUMBERS)}"
    assert store.posts.queue(Post(key=key, kind="prompt", session_id=new_session(store).id, channel="C0TEMADAG",
                                  state=state))
    return key


def move(store: Store, machine: str, ident: object, to: str, sources: tuple[str, ...]) -> bool:
    verbs = {"session": store.sessions, "prompt": store.prompts, "post": store.posts}
    return verbs[machine].move(ident, to, sources)


def state_of(store: Store, machine: str, ident: object) -> str:
    verbs = {"session": store.sessions, "prompt": store.prompts, "post": store.posts}
    return verbs[machine].get(ident).state


@pytest.mark.parametrize("machine, source, to", [m for m in EVERY_MOVE if m[2] in MACHINES[m[0]][1]])
def test_storage_makes_a_move_only_from_the_states_the_table_allows(store, machine, source, to):
    ident = in_state(store, machine, source)
    allowed = source in MACHINES[machine][2](to)
    assert move(store, machine, ident, to, MACHINES[machine][2](to)) is allowed
    assert state_of(store, machine, ident) == (to if allowed else source)


@pytest.mark.parametrize("machine, source, to", sorted(
    (machine, source, to) for machine, (_, _, _, lifecycle, _) in MACHINES.items() for source, to in lifecycle))
def test_a_move_someone_else_already_made_is_not_made_twice(store, machine, source, to):
    ident = in_state(store, machine, source)
    other = Store(store.path)  # another connection to the same file: another thread, tick or process
    try:
        assert move(store, machine, ident, to, MACHINES[machine][2](to)) is True
        assert move(other, machine, ident, to, MACHINES[machine][2](to)) is False
    finally:
        other.close()
    assert state_of(store, machine, ident) == to


def test_closing_a_session_records_when(store):
    session_id = in_state(store, "session", "running")
    assert store.sessions.move(session_id, "closed", states.session_sources("closed"), at="2026-03-12T11:00:00+00:00")
    assert store.sessions.get(session_id).closed_at == "2026-03-12T11:00:00+00:00"


def test_requeueing_a_failed_post_is_a_move_the_table_allows(store):
    key = in_state(store, "post", "failed")
    assert store.posts.requeue(key, ("failed",)) and state_of(store, "post", key) == "queued"
    assert "failed" in states.post_sources("queued")


@pytest.mark.parametrize("table, known", [("sessions", states.SESSION_STATES), ("prompts", states.PROMPT_STATES),
                                          ("posts", states.POST_STATES)])
def test_the_schema_admits_exactly_the_states_the_rules_know(store, table, known):
    (sql,) = store.db.one("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table])
    listed = re.search(r"\bstate\b[^,]*?CHECK \(state IN \(([^)]*)\)\)", sql).group(1)
    assert sorted(re.findall(r"'(\w+)'", listed)) == sorted(known)
