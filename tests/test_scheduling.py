"""Prompts go out at their time, exactly once: double ticks, two processes, rate limits, server errors looked
up before a retry, missed prompts and *Send nu*, reminders, closing rounds, and a session closing itself.
(Restarts and crashes: test_restarts.py.)"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from bot.i18n import t
from bot.rules.decks import load_deck
from bot.runtime import Bot
from bot.services import sessions
from tests.support import CHANNEL, FACILITATOR, GUEST, TEAM, USERS, running_bot, ticks, wait_until

SHORT_DECK = """
title = "Kort temadag"
language = "da"
{options}

[[prompts]]
id = "foerste"
kind = "open"
at = "+0m"
close = "+10m"
text = "Tænk nu, hvis møderne var korte?"

[[prompts]]
id = "anden"
kind = "open"
at = "+15m"
close = "+10m"
text = "Tænk nu, hvis alle kom til tiden?"
"""


# ---- helpers -----------------------------------------------------------------------------------------

def _create(bot, clock, start, deck="velfaerd", facilitators=(FACILITATOR,), now=None):
    """Plan a session through the service (as the modal and the command line do); returns (session, prompts)."""
    return sessions.create_session(
        bot.store, bot.linker, load_deck(deck), title="Temadag", channel=CHANNEL, start=start,
        timezone="Europe/Copenhagen", anonymity_mode="choice", facilitators=list(facilitators),
        now=now or clock.now(), grace=timedelta(minutes=15), team_id=TEAM)


def _key(args: dict) -> str | None:
    return ((args.get("metadata") or {}).get("event_payload") or {}).get("key")


def _calls(stub, key, status=None):
    """chat.postMessage calls Slack answered for one outbox key (whatever the answer, unless `status`)."""
    return [c for c in stub.calls_to("chat.postMessage") if _key(c.args) == key and status in (None, c.status)]


def _in_channel(stub, key, channel=CHANNEL):
    """Messages Slack holds carrying one outbox key: what people actually see."""
    return [m for m in stub.messages(channel) if _key(m) == key]


def _state(bot, prompt):
    return bot.store.prompts.get(prompt.id).state


def _ts(bot, prompt):
    return bot.store.prompts.get(prompt.id).message_ts




def _notice(stub, user):
    """The direct message to `user` that offers *Send nu*."""
    return wait_until(lambda: [m for m in stub.messages(stub.dm_channel(user))
                               if "post_now" in json.dumps(m["blocks"])], f"the *Send nu* notice to {user}")


@pytest.fixture
def idle(settings, clock):
    """Bots on the test's database that do not tick by themselves (each is another process's parts):
    the test calls `bot.ticker.tick()`, and no scheduler runs beside it."""
    made = []

    def make():
        made.append(Bot(settings, clock))
        return made[-1]
    yield make
    for bot in made:
        bot.stop()


# ---- exactly once --------------------------------------------------------------------------------------

def test_prompt_is_posted_once_when_it_falls_due(bot, clock, stub):
    session, prompts = _create(bot, clock, clock.now() + timedelta(minutes=10))
    first, key = prompts[0], f"prompt:{prompts[0].id}"
    ticks(bot)
    assert _calls(stub, key) == [] and _state(bot, first) == "pending"
    clock.advance(minutes=10)
    wait_until(lambda: _state(bot, first) == "posted", "the first prompt")
    ticks(bot)
    [call] = _calls(stub, key)
    [message] = _in_channel(stub, key)
    assert call.args["channel"] == CHANNEL and "Tænk nu, hvis" in call.args["text"]
    assert bot.store.prompts.get(first.id).message_ts == message["ts"]
    assert [b["type"] for b in message["blocks"]][-1] == "actions"
    stored = bot.store.sessions.get(session.id)
    assert stored.state == "running" and stored.anonymity_fixed
    assert [p.state for p in bot.store.prompts.of(session.id)][1:] == ["pending"] * (len(prompts) - 1)


def test_two_ticks_at_once_post_a_due_prompt_once(idle, clock, stub):
    bot = idle()
    _, prompts = _create(bot, clock, clock.now())
    stub.inject("chat.postMessage", delay=0.3)  # the first tick is still waiting on Slack when the second looks
    start = threading.Barrier(2)

    def tick():
        start.wait()
        bot.ticker.tick()
    both = [threading.Thread(target=tick) for _ in range(2)]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join()
    bot.ticker.tick()
    assert _state(bot, prompts[0]) == "posted"
    assert len(_calls(stub, f"prompt:{prompts[0].id}")) == 1


def test_only_the_lease_holder_posts_when_two_processes_share_a_database(idle, clock, stub):
    first, second = idle(), idle()
    assert first.ticker.keep() and not second.ticker.keep()
    _, prompts = _create(first, clock, clock.now())
    key = f"prompt:{prompts[0].id}"
    for _ in range(2):
        second.ticker.tick()
    assert _calls(stub, key) == [] and _state(first, prompts[0]) == "pending"
    assert first.store.posts.get(key) is None, "the other process did not even queue it"
    first.ticker.tick()
    assert _state(first, prompts[0]) == "posted"
    first.ticker.release()  # a clean stop hands the lease over at once
    second.ticker.tick()
    assert second.ticker.holds() and not first.ticker.keep()
    assert len(_calls(stub, key)) == 1 and len(_in_channel(stub, key)) == 1


# ---- Slack failing -----------------------------------------------------------------------------------

def test_rate_limits_are_retried_and_a_prompt_they_never_let_through_fails_and_can_be_sent_later(bot, clock, stub):
    stub.inject("chat.postMessage", status=429, retry_after=0, times=9)  # 3 attempts; slack_sdk retries each twice
    session, prompts = _create(bot, clock, clock.now())
    first, key = prompts[0], f"prompt:{prompts[0].id}"
    wait_until(lambda: _state(bot, first) == "failed", "the prompt to fail", timeout=20)
    assert [c.status for c in _calls(stub, key)] == [429] * 9 and _in_channel(stub, key) == []
    assert bot.store.prompts.get(first.id).error == "ratelimited"
    [notice] = _notice(stub, FACILITATOR)
    assert "kunne ikke sendes" in notice["text"] and t("da", "reason.unavailable") in notice["text"]
    stub.inject("chat.postMessage", status=429, retry_after=0)  # one more, for the facilitator's *Send nu*
    assert stub.click(FACILITATOR, stub.dm_channel(FACILITATOR), notice["ts"], "post_now", str(first.id)).status == 200
    wait_until(lambda: _state(bot, first) == "posted", "the prompt sent after all")
    assert [c.status for c in _calls(stub, key)][9:] == [429, 200], "a rate limit is waited out and retried"
    assert len(_in_channel(stub, key)) == 1


def test_server_error_is_looked_up_before_the_post_is_tried_again(bot, clock, stub):
    stub.inject("chat.postMessage", status=500)
    _, prompts = _create(bot, clock, clock.now())
    first, key = prompts[0], f"prompt:{prompts[0].id}"
    wait_until(lambda: _calls(stub, key, status=500), "the failed attempt")
    ticks(bot)
    assert len(_calls(stub, key)) == 1, "Slack may have taken it: nothing is posted before it is looked up"
    looked = len(stub.calls_to("conversations.history"))
    clock.advance(seconds=3)  # past HVIS_SLACK_TIMEOUT + HVIS_SETTLE_SECONDS of the test settings
    wait_until(lambda: _state(bot, first) == "posted", "the prompt posted after the look-up")
    lookups = stub.calls_to("conversations.history")[looked:]
    assert any(c.args.get("channel") == CHANNEL and c.args.get("include_all_metadata") in ("1", "true", True)
               for c in lookups)
    assert [c.status for c in _calls(stub, key)] == [500, 200] and len(_in_channel(stub, key)) == 1


def test_server_errors_that_do_not_end_fail_the_prompt_and_tell_the_facilitators(bot, clock, stub):
    stub.inject("chat.postMessage", status=500, times=3)  # a fourth attempt would get through
    _, prompts = _create(bot, clock, clock.now())
    first, key = prompts[0], f"prompt:{prompts[0].id}"
    for attempt in range(1, 4):
        wait_until(lambda: len(_calls(stub, key)) >= attempt, f"attempt {attempt}")
        clock.advance(seconds=3)  # each attempt is looked up (not found) before the next
    wait_until(lambda: _state(bot, first) == "failed" or len(_calls(stub, key)) > 3, "the third attempt's outcome")
    assert _state(bot, first) == "failed" and [c.status for c in _calls(stub, key)] == [500] * 3
    [notice] = _notice(stub, FACILITATOR)
    assert t("da", "reason.unavailable") in notice["text"] and _in_channel(stub, key) == []


def test_closing_while_the_first_prompt_goes_out_does_not_reopen_the_session(bot, clock, stub):
    stub.inject("chat.postMessage", delay=0.5)
    session, prompts = _create(bot, clock, clock.now())
    key = f"prompt:{prompts[0].id}"
    wait_until(lambda: bot.store.posts.get(key) and bot.store.posts.get(key).state == "sending", "the post in flight")
    sessions.close_session(bot.store, bot.linker, bot.store.sessions.get(session.id), clock.now())
    wait_until(lambda: _state(bot, prompts[0]) == "closed", "the prompt out, then closed with its session")
    assert bot.store.sessions.get(session.id).state == "closed"
    wait_until(lambda: (m := _in_channel(stub, key)) and "actions" not in [b["type"] for b in m[0]["blocks"]],
               "the prompt's buttons to be removed")
    assert len(_in_channel(stub, key)) == 1


# ---- missed prompts and *Send nu* ------------------------------------------------------------------------

def test_missed_prompt_is_offered_to_the_facilitators_and_send_now_clicked_twice_posts_once(bot, clock, stub):
    earlier = clock.now() - timedelta(minutes=20)  # planned then; nobody ticked while it fell due
    session, prompts = _create(bot, clock, earlier, facilitators=(GUEST,), now=earlier)
    first, key = prompts[0], f"prompt:{prompts[0].id}"
    wait_until(lambda: _state(bot, first) == "missed", "the prompt to be missed")
    [notice] = _notice(stub, FACILITATOR)  # the configured facilitator; a guest account never facilitates
    assert "Temadag" in notice["text"] and first.text[:40] in json.dumps(notice["blocks"], ensure_ascii=False)
    assert not [c for c in stub.calls_to("conversations.open") if c.args.get("users") == GUEST]
    assert not bot.people.is_facilitator(GUEST, bot.store.sessions.get(session.id))
    assert _calls(stub, key) == []
    dm = stub.dm_channel(FACILITATOR)

    for outsider in (USERS[0], GUEST):
        assert stub.click(outsider, dm, notice["ts"], "post_now", str(first.id)).status == 200
        refusal = wait_until(lambda: stub.ephemerals(user=outsider), "the refusal")
        assert "kun facilitatorerne" in refusal[0]["text"] and _state(bot, first) == "missed"

    for _ in range(2):
        assert stub.click(FACILITATOR, dm, notice["ts"], "post_now", str(first.id)).status == 200
    wait_until(lambda: _state(bot, first) == "posted", "the prompt posted")
    told = wait_until(lambda: len(stub.ephemerals(user=FACILITATOR)) == 2 and stub.ephemerals(user=FACILITATOR),
                      "both answers to the facilitator")
    answers = {t("da", name, number=1) for name in ("facilitator.posting_now", "facilitator.already_waiting",
                                                    "facilitator.already_posted")}
    assert {e["text"] for e in told} <= answers
    ticks(bot)
    assert len(_calls(stub, key)) == 1 and len(_in_channel(stub, key)) == 1
    assert len(_notice(stub, FACILITATOR)) == 1, "the facilitators are told once"


def test_bot_not_in_the_channel_fails_at_once_and_a_facilitator_group_is_told_how_to_fix_it(settings, clock, stub):
    stub.add_user("U0GROUPFAC", name="gry", real_name="Gry Gruppe")
    stub.add_usergroup("S0FACILIT", "facilitatorer", ["U0GROUPFAC"])
    stub.inject("chat.postMessage", error="not_in_channel")
    with running_bot(settings, clock, stub, facilitators=frozenset({"S0FACILIT"})) as bot:
        _, prompts = _create(bot, clock, clock.now(), facilitators=())
        wait_until(lambda: _state(bot, prompts[0]) == "failed", "the prompt to fail")
        assert bot.store.prompts.get(prompts[0].id).error == "not_in_channel"
        assert len(_calls(stub, f"prompt:{prompts[0].id}")) == 1, "a refusal for good is not retried"
        [notice] = _notice(stub, "U0GROUPFAC")
        assert "/invite" in notice["text"]


def test_a_prompt_that_fails_again_after_send_nu_is_told_about_again(bot, clock, stub):
    stub.inject("chat.postMessage", error="not_in_channel")
    _, prompts = _create(bot, clock, clock.now())
    first = prompts[0]
    wait_until(lambda: _state(bot, first) == "failed", "the prompt to fail")
    [notice] = _notice(stub, FACILITATOR)
    stub.inject("chat.postMessage", error="not_in_channel")  # the bot was still not invited
    stub.click(FACILITATOR, stub.dm_channel(FACILITATOR), notice["ts"], "post_now", str(first.id))
    wait_until(lambda: len(_notice(stub, FACILITATOR)) == 2, "a second notice for the second failure")
    assert _state(bot, first) == "failed"


def test_a_post_in_flight_that_cannot_be_looked_up_for_good_fails_and_the_facilitators_are_told(bot, clock, stub):
    stub.inject("chat.postMessage", status=500)  # outcome unknown: it is looked up before any retry ...
    stub.inject("conversations.history", error="channel_not_found", times=5)  # ... which Slack refuses for good
    _, prompts = _create(bot, clock, clock.now())
    first = prompts[0]
    wait_until(lambda: _calls(stub, f"prompt:{first.id}", status=500), "the failed attempt")
    clock.advance(seconds=5)
    wait_until(lambda: _state(bot, first) == "failed", "the post given up")
    assert bot.store.prompts.get(first.id).error == "channel_not_found"
    assert len(_notice(stub, FACILITATOR)) == 1


def test_one_post_that_cannot_be_made_does_not_hold_up_the_others(bot, clock, stub):
    from storage.records import Post

    session, prompts = _create(bot, clock, clock.now() + timedelta(minutes=1))
    bot.store.posts.queue(Post(key="prompt:not-a-number", kind="prompt", session_id=session.id, channel=CHANNEL,
                               team_id=TEAM))  # a row no code path writes: rendering it raises
    clock.advance(minutes=1)
    wait_until(lambda: _state(bot, prompts[0]) == "posted", "the prompt posted all the same")
    assert bot.store.posts.get("prompt:not-a-number").state == "queued"


# ---- during and after a round ------------------------------------------------------------------------------

def test_reminder_counts_answers_not_people_and_closing_removes_the_buttons(bot, live_session, stub, clock):
    session, prompt = live_session
    for user in (USERS[0], USERS[0], USERS[1]):  # one person answers twice
        stub.post_as_user(user, CHANNEL, f"Et svar fra {user}", thread_ts=prompt.message_ts)
    clock.advance(minutes=15)  # the Danish deck reminds at +15m and closes at +25m
    [reminder] = wait_until(lambda: _in_channel(stub, f"reminder:{prompt.id}"), "the reminder")
    assert reminder["thread_ts"] == prompt.message_ts
    assert reminder["text"] == t("da", "reminder.some", n=3) and "U0EMP" not in json.dumps(reminder)
    clock.advance(minutes=10)
    wait_until(lambda: _state(bot, prompt) == "closed", "the prompt to close")
    closed = wait_until(lambda: (m := stub.message(CHANNEL, prompt.message_ts))
                        and "🔒" in json.dumps(m["blocks"], ensure_ascii=False) and m, "the prompt message updated")
    assert "actions" not in [b["type"] for b in closed["blocks"]]
    ticks(bot)
    assert len(_calls(stub, f"reminder:{prompt.id}")) == 1


def _short_deck(tmp_path, options=""):
    path = tmp_path / "kort.toml"
    path.write_text(SHORT_DECK.format(options=options), encoding="utf-8")
    return str(path)


def test_session_closes_itself_after_its_last_round_and_sends_wrap_up_and_exports_once(bot, clock, stub, tmp_path):
    second_facilitator = USERS[9]
    session, prompts = _create(bot, clock, clock.now(), deck=_short_deck(tmp_path),
                               facilitators=(FACILITATOR, second_facilitator))
    wait_until(lambda: _state(bot, prompts[0]) == "posted", "the first prompt")
    stub.post_as_user(USERS[0], CHANNEL, "Ja, højst en halv time", thread_ts=_ts(bot, prompts[0]))
    clock.advance(minutes=15)
    wait_until(lambda: _state(bot, prompts[1]) == "posted", "the second prompt")
    assert bot.store.sessions.get(session.id).state == "running"
    stub.post_as_user(USERS[1], CHANNEL, "Så startede vi til tiden", thread_ts=_ts(bot, prompts[1]))
    clock.advance(minutes=10)  # the last round's close time
    wait_until(lambda: bot.store.sessions.get(session.id).state == "closed", "the session to close itself")
    wait_until(lambda: len(stub.files) == 8 and _in_channel(stub, f"wrapup:{session.id}"), "the wrap-up and the files")
    ticks(bot)

    [wrapup] = _in_channel(stub, f"wrapup:{session.id}")
    assert "er slut: 2 svar" in wrapup["text"] and "Tak for i dag" in json.dumps(wrapup["blocks"], ensure_ascii=False)
    assert all(p.state == "closed" for p in bot.store.prompts.of(session.id))
    assert len(stub.files) == 8 and len(stub.calls_to("files.completeUploadExternal")) == 2
    for user in (FACILITATOR, second_facilitator):
        mine = [f for f in stub.files if f["channel_id"] == stub.dm_channel(user)]
        assert sorted(f["filename"].rsplit(".", 1)[1] for f in mine) == ["html", "json", "md", "xlsx"]
        assert all(f["filename"].startswith("hvis-") and session.id in f["filename"] for f in mine)
        data = json.loads(next(f for f in mine if f["filename"].endswith(".json"))["bytes"])
        assert data["session"]["state"] == "closed" and data["stats"]["replies"] == 2


def test_a_deck_may_keep_its_session_open_after_the_last_round(bot, clock, stub, tmp_path):
    session, prompts = _create(bot, clock, clock.now(), deck=_short_deck(tmp_path, "auto_close = false"))
    wait_until(lambda: _state(bot, prompts[0]) == "posted", "the first prompt")
    clock.advance(minutes=15)
    wait_until(lambda: _state(bot, prompts[1]) == "posted", "the second prompt")
    clock.advance(minutes=10)
    wait_until(lambda: _state(bot, prompts[1]) == "closed", "the last round to close")
    ticks(bot)
    assert bot.store.sessions.get(session.id).state == "running"
    assert _in_channel(stub, f"wrapup:{session.id}") == [] and stub.files == []
