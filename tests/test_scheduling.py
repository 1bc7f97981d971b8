"""Prompts go out at their time, exactly once, through rate limits, server errors and crashes."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

from bot import render, scheduling, sessions
from bot.decks import load_deck
from tests.support import CHANNEL, FACILITATOR, TEAM, wait_until


def _create(bot, clock, start):
    return sessions.create_session(bot.h.store, load_deck("velfaerd"), title="Temadag", channel=CHANNEL,
                                   start=start, timezone="Europe/Copenhagen", language="da", anonymity="choice",
                                   facilitators=[FACILITATOR], now=clock.now(), team_id=TEAM)


def _prompt_posts(stub, prompt_id):
    return [c for c in stub.calls_to("chat.postMessage") if c.status == 200
            and (c.args.get("metadata") or {}).get("event_payload", {}).get("prompt_id") == prompt_id]


def test_prompt_is_posted_once_when_it_falls_due(bot, clock, stub):
    session = _create(bot, clock, clock.now() + timedelta(minutes=10))
    first = bot.h.store.prompts(session.id)[0]
    for _ in range(3):
        scheduling.tick(bot.h)
    assert _prompt_posts(stub, first.id) == []
    clock.advance(minutes=10)
    wait_until(lambda: bot.h.store.prompt(first.id).state == "posted", "the first prompt")
    for _ in range(3):
        scheduling.tick(bot.h)
    [call] = _prompt_posts(stub, first.id)
    assert call.args["channel"] == CHANNEL and first.text in call.args["text"]
    assert bot.h.store.session(session.id).state == "running"
    assert bot.h.store.prompts(session.id)[1].state == "pending"


def test_rate_limited_post_is_retried_and_goes_out_once(bot, clock, stub):
    stub.inject("chat.postMessage", status=429, retry_after=1, times=1)
    session = _create(bot, clock, clock.now())
    first = bot.h.store.prompts(session.id)[0]
    wait_until(lambda: bot.h.store.prompt(first.id).state == "posted", "the first prompt", timeout=20)
    assert [c.status for c in stub.calls_to("chat.postMessage")][:2] == [429, 200]
    assert len(_prompt_posts(stub, first.id)) == 1
    assert len([m for m in stub.messages(CHANNEL) if (m.get("metadata") or {}).get("event_type") == render.PROMPT_EVENT]) == 1


def test_prompt_that_keeps_failing_is_marked_failed_and_facilitators_told(bot, clock, stub):
    stub.inject("chat.postMessage", status=500, times=9)
    session = _create(bot, clock, clock.now())
    first = bot.h.store.prompts(session.id)[0]
    wait_until(lambda: bot.h.store.prompt(first.id).state == "failed", "the prompt to fail", timeout=30)
    told = wait_until(lambda: [c for c in stub.calls_to("chat.postMessage")
                               if c.status == 200 and c.args["channel"] == FACILITATOR], "the facilitator's notice")
    assert "kunne ikke sendes" in told[0].args["text"]
    assert _prompt_posts(stub, first.id) == []


def test_bot_not_in_channel_fails_at_once_with_advice(bot, clock, stub):
    stub.inject("chat.postMessage", error="not_in_channel", times=1)
    session = _create(bot, clock, clock.now())
    first = bot.h.store.prompts(session.id)[0]
    wait_until(lambda: bot.h.store.prompt(first.id).state == "failed", "the prompt to fail")
    assert bot.h.store.prompt(first.id).error == "not_in_channel"
    told = wait_until(lambda: [c for c in stub.calls_to("chat.postMessage") if c.args.get("channel") == FACILITATOR],
                      "the notice")
    assert "/invite" in told[0].args["text"]


def test_crash_after_slack_took_the_post_does_not_post_twice(bot, clock, stub):
    session = _create(bot, clock, clock.now() + timedelta(minutes=5))
    first = bot.h.store.prompts(session.id)[0]
    # What a crash leaves behind: the prompt claimed, Slack holding the message, the database not told.
    assert bot.h.store.claim_prompt(first.id)
    message = bot.h.client.chat_postMessage(channel=CHANNEL, **render.prompt_message(session, first))
    clock.advance(minutes=5)
    wait_until(lambda: bot.h.store.prompt(first.id).state == "posted", "recovery")
    assert bot.h.store.prompt(first.id).message_ts == message["ts"]
    assert len(_prompt_posts(stub, first.id)) == 1


def test_closing_a_session_posts_a_wrap_up_and_dms_the_export(bot, live_session, stub, clock):
    session, prompt = live_session
    stub.post_as_user("U0EMP0001", CHANNEL, "En god idé", thread_ts=prompt.message_ts)
    sessions.close_session(bot.h.store, session.id, clock.now())
    wait_until(lambda: len(stub.files) == 2, "the export files")
    assert {f["filename"] for f in stub.files} == {f"hvis-{session.id}.md", f"hvis-{session.id}.json"}
    assert all(f["channel_id"].startswith("D") for f in stub.files)
    wrap = [m for m in stub.messages(CHANNEL) if "Tak for i dag" in (m.get("text") or "")]
    assert len(wrap) == 1 and "1 svar" in wrap[0]["text"]


def test_reminder_counts_answers_and_closing_removes_the_buttons(bot, live_session, stub, clock):
    session, prompt = live_session
    for user in ("U0EMP0001", "U0EMP0002"):
        stub.post_as_user(user, CHANNEL, "Et svar", thread_ts=prompt.message_ts)
    clock.advance(minutes=15)  # the Danish deck reminds at +15m and closes at +25m
    reminder = wait_until(lambda: [m for m in stub.messages(CHANNEL)
                                   if m.get("thread_ts") == prompt.message_ts and "⏰" in (m.get("text") or "")],
                          "the reminder")
    assert "2 har svaret" in reminder[0]["text"] and "U0EMP" not in reminder[0]["text"]
    clock.advance(minutes=10)
    wait_until(lambda: bot.h.store.prompt(prompt.id).state == "closed", "the prompt to close")
    updated = wait_until(lambda: "🔒" in str(stub.message(CHANNEL, prompt.message_ts).get("blocks")), "the update")
    assert updated and "actions" not in [b["type"] for b in stub.message(CHANNEL, prompt.message_ts)["blocks"]]
    assert len([m for m in stub.messages(CHANNEL) if "⏰" in (m.get("text") or "")]) == 1


def test_post_now_clicked_twice_posts_the_missed_prompt_once(bot, clock, stub):
    session = _create(bot, clock, clock.now() - timedelta(minutes=20))
    first = bot.h.store.prompts(session.id)[0]
    wait_until(lambda: bot.h.store.prompt(first.id).state == "missed", "the prompt to be missed")
    dm = stub.dm_channel(FACILITATOR)
    notice = wait_until(lambda: [m for m in stub.messages(dm) if "post_now" in str(m.get("blocks"))], "the notice")[0]
    for _ in range(2):
        assert stub.click(FACILITATOR, dm, notice["ts"], "post_now", str(first.id)).status == 200
    wait_until(lambda: bot.h.store.prompt(first.id).state == "posted", "the prompt posted")
    for _ in range(3):
        scheduling.tick(bot.h)
    assert len(_prompt_posts(stub, first.id)) == 1
    assert "sendes om et øjeblik" in stub.ephemerals(user=FACILITATOR)[0]["text"]


def test_a_second_bot_process_on_the_same_database_does_not_schedule(bot, clock, stub, settings):
    from bot.runtime import build

    second = build(settings, clock)  # another process's parts: same database, its own lease identity
    session = _create(bot, clock, clock.now() + timedelta(minutes=5))
    first = bot.h.store.prompts(session.id)[0]
    wait_until(lambda: bot.h.store.lease_holder("scheduler", time.time()) == bot.h.instance, "the first bot's lease")
    bot.scheduler.pause()  # the lease holder is alive but between ticks
    clock.advance(minutes=5)
    for _ in range(3):
        scheduling.tick(second)
    assert _prompt_posts(stub, first.id) == [] and bot.h.store.prompt(first.id).state == "pending"
    bot.scheduler.resume()
    wait_until(lambda: bot.h.store.prompt(first.id).state == "posted", "the lease holder to post")
    assert len(_prompt_posts(stub, first.id)) == 1
    second.shutdown()


def test_closing_while_the_first_prompt_goes_out_does_not_reopen_the_session(bot, clock):
    session = _create(bot, clock, clock.now() + timedelta(hours=1))
    sessions.close_session(bot.h.store, session.id, clock.now())
    bot.h.store.mark_session_running(session.id)  # what recording the in-flight post does
    assert bot.h.store.session(session.id).state == "closed"


def test_facilitators_given_as_a_user_group_are_told_about_a_failed_prompt(bot, clock, stub):
    stub.add_user("U0GROUPFAC", name="gry", real_name="Gry Gruppe")
    stub.add_usergroup("S0FACILIT", "facilitatorer", ["U0GROUPFAC"])
    bot.h.settings = replace(bot.h.settings, facilitators=frozenset({"S0FACILIT"}))
    stub.inject("chat.postMessage", error="not_in_channel", times=1)
    session = sessions.create_session(bot.h.store, load_deck("velfaerd"), title="Temadag", channel=CHANNEL,
                                      start=clock.now(), timezone="Europe/Copenhagen", language="da",
                                      anonymity="choice", facilitators=[], now=clock.now(), team_id=TEAM)
    wait_until(lambda: bot.h.store.prompts(session.id)[0].state == "failed", "the prompt to fail")
    told = wait_until(lambda: [c for c in stub.calls_to("chat.postMessage") if c.args.get("channel") == "U0GROUPFAC"],
                      "the group member's notice")
    assert "/invite" in told[0].args["text"]


def test_a_guest_account_is_never_a_facilitator(bot, clock, stub):
    from tests.support import GUEST

    session = sessions.create_session(bot.h.store, load_deck("velfaerd"), title="Temadag", channel=CHANNEL,
                                      start=clock.now() - timedelta(minutes=20), timezone="Europe/Copenhagen",
                                      language="da", anonymity="choice", facilitators=[GUEST], now=clock.now(),
                                      team_id=TEAM)
    wait_until(lambda: bot.h.store.prompts(session.id)[0].state == "missed", "the prompt to be missed")
    assert not bot.h.is_facilitator(bot.h.store.session(session.id), GUEST)
    wait_until(lambda: [c for c in stub.calls_to("chat.postMessage") if c.args.get("channel") == FACILITATOR],
               "the configured facilitator's notice")
    assert not [c for c in stub.calls_to("chat.postMessage") if c.args.get("channel") == GUEST]
