"""The bot stopped, restarted and killed: sessions from another process, a dead process's lease, a kill -9
mid-burst, prompts that fell due while it was down, a post Slack took as the bot went down, and the end of a
day sent once."""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from bot import scheduling
from bot.rules.decks import load_deck
from bot.runtime import Bot
from bot.services import outbox, posting, sessions
from bot.services.linking import Linker
from standin import SignedSender
from storage import Store
from storage.keys import KeyStore
from tests.support import (
    CHANNEL,
    FACILITATOR,
    SECRET,
    TEAM,
    USERS,
    BotProcess,
    cli_env,
    hvis,
    running_bot,
    ticks,
    wait_until,
)

OTHER = "C0ANDEN001"


def _key(message: dict) -> str:
    return str(((message.get("metadata") or {}).get("event_payload") or {}).get("key") or "")


def _prompts_in(stub, channel=CHANNEL):
    """Prompt messages Slack holds in a channel (each carries its outbox key in its metadata)."""
    return [m for m in stub.messages(channel) if _key(m).startswith("prompt:")]


def _calls(stub, method, key):
    return [c for c in stub.calls_to(method) if _key(c.args) == key]


def _at(seconds: float) -> datetime:
    """A start time in whole seconds (what `--start` takes), `seconds` from now."""
    return datetime.fromtimestamp(int(time.time() + seconds), timezone.utc)


def _create(db, cwd, channel=CHANNEL, start=None, title="Temadag"):
    made = hvis("session", "create", "--title", title, "--channel", channel, "--facilitator", FACILITATOR,
                "--start", (start or _at(0)).isoformat(), env=cli_env(db), cwd=cwd)
    assert made.code == 0, made.err
    return made.out.strip()


def _plan(store, linker, title, start, now, channel=CHANNEL):
    """A session planned through the service (as the modal does), in this process."""
    session, prompts = sessions.create_session(
        store, linker, load_deck("velfaerd"), title=title, channel=channel, start=start, timezone="Europe/Copenhagen",
        anonymity_mode="choice", facilitators=[FACILITATOR], now=now, grace=timedelta(minutes=15), team_id=TEAM)
    return session, prompts[0]


@pytest.fixture
def other_channel(stub):
    """A second channel, so that two sessions can run at the same time."""
    stub.add_channel(OTHER, name="andet-rum", members=[*USERS, FACILITATOR])
    return OTHER


@pytest.fixture
def workdirs(tmp_path, stub, other_channel):
    """The database's folder, the bot's working folder and another process's folder."""
    (tmp_path / "bot").mkdir()
    (tmp_path / "elsewhere").mkdir()
    return tmp_path / "data" / "hvis.db", tmp_path / "bot", tmp_path / "elsewhere"


@contextmanager
def _process(stub, db, cwd):
    bot = BotProcess(stub, db, cwd).start()
    try:
        yield bot
    finally:
        bot.stop()






# ---- the bot as its own process ------------------------------------------------------------------------

def test_sessions_from_another_process_post_once_at_their_time_and_a_killed_bots_lease_is_taken_at_once(stub,
                                                                                                        workdirs):
    db, bot_dir, other_dir = workdirs
    store = Store(db)
    with _process(stub, db, bot_dir) as first:
        start = _at(1.5)
        session_id = _create(db, other_dir, start=start)  # while the bot runs: picked up without a restart
        [message] = wait_until(lambda: _prompts_in(stub), "the first prompt")
        [call] = _calls(stub, "chat.postMessage", _key(message))
        assert start.timestamp() <= call.at <= start.timestamp() + 3, "posted at its time, by the next tick"
        wait_until(lambda: store.sessions.get(session_id).state == "running", "the bot to record the post")

        dead = store.leases.holder(scheduling.LEASE, time.time())
        assert dead, "the running bot holds the scheduler lease"
        first.kill()
        killed_at = time.time()
    lapses = killed_at + 8  # the dead process renewed its lease (10 s) at its last tick, a second before the kill
    assert store.leases.holder(scheduling.LEASE, lapses) == dead, "the dead process's lease has not lapsed"
    _create(db, other_dir, channel=OTHER, title="Efter nedbrud")  # due at once, while no bot runs
    with _process(stub, db, bot_dir):
        [other] = wait_until(lambda: _prompts_in(stub, OTHER), "the second session's prompt")
        [call] = _calls(stub, "chat.postMessage", _key(other))
        assert killed_at < call.at < lapses, "the restarted bot did not wait for the dead lease to lapse"
        # The restarted bot has ticked past the first session: its prompt is not posted again.
        assert len(_prompts_in(stub)) == 1
        shown = json.loads(hvis("session", "show", session_id, "--json", env=cli_env(db), cwd=other_dir).out)
        assert shown["state"] == "running" and shown["prompts"][0]["state"] == "posted"
        assert shown["team_id"] == TEAM, "the bot adopts sessions created without a workspace id"


def _reply_envelope(n: int, thread_ts: str) -> bytes:
    return json.dumps({
        "token": "x", "team_id": TEAM, "api_app_id": "A0HVIS", "type": "event_callback",
        "event_id": f"Ev0BURST{n:05d}", "event_time": int(time.time()),
        "event": {"type": "message", "channel": CHANNEL, "user": USERS[n % len(USERS)],
                  "text": f"Svar nummer {n} – æøå", "ts": f"1773302400.{n:06d}", "thread_ts": thread_ts,
                  "channel_type": "channel", "event_ts": f"1773302400.{n:06d}"},
    }, ensure_ascii=False).encode()


def test_sigkill_mid_burst_loses_no_acknowledged_reply_and_redelivery_adds_no_duplicates(stub, workdirs):
    db, bot_dir, other_dir = workdirs
    session_id = _create(db, other_dir)
    total, acked, lock = 400, set(), threading.Lock()
    with _process(stub, db, bot_dir) as bot:
        thread_ts = wait_until(lambda: _prompts_in(stub), "the first prompt")[0]["ts"]

        def send(numbers):
            sender = SignedSender(bot.url + "/slack/events", SECRET)
            for n in numbers:
                try:
                    if sender.post(_reply_envelope(n, thread_ts), "application/json").status == 200:
                        with lock:
                            acked.add(n)
                except OSError:
                    pass  # the process is gone: Slack would deliver this one again later

        workers = [threading.Thread(target=send, args=(range(k, total, 8),)) for k in range(8)]
        for worker in workers:
            worker.start()
        wait_until(lambda: len(acked) >= 60, "part of the burst to be acknowledged", interval=0.001)
        bot.kill()
        for worker in workers:
            worker.join()
    assert 60 <= len(acked) < total, "the kill must land mid-burst"
    stored = {r.text for r in Store(db).replies.of_session(session_id)}
    assert {f"Svar nummer {n} – æøå" for n in acked} <= stored

    with _process(stub, db, bot_dir) as bot:
        sender = SignedSender(bot.url + "/slack/events", SECRET)
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
        for n in range(total):  # Slack delivers again what it did not see acknowledged; we resend everything
            assert sender.post(_reply_envelope(n, thread_ts), "application/json", extra_headers=retry).status == 200
        texts = [r.text for r in Store(db).replies.of_session(session_id)]
        assert len(texts) == total == len(set(texts))


# ---- restarts of the bot in this process (on the test's clock) --------------------------------------------

def test_prompts_that_fell_due_while_the_bot_was_down_are_posted_late_within_grace_else_missed(settings, clock, stub,
                                                                                                other_channel):
    store, linker, planned = Store(settings.db_path).migrate(), Linker(KeyStore(settings.key_file)), clock.now()
    made = {}
    for title, channel, start in (("Sen", CHANNEL, planned + timedelta(minutes=10)), ("Misset", OTHER, planned)):
        made[title], _ = _plan(store, linker, title, start, planned, channel)
    store.close()
    clock.advance(minutes=20)  # nothing ran meanwhile: "Sen" is 10 minutes late, "Misset" 20

    def first(bot, title):
        return bot.store.prompts.of(made[title].id)[0]

    dm = stub.dm_channel(FACILITATOR)
    with running_bot(settings, clock, stub) as bot:
        wait_until(lambda: first(bot, "Misset").state == "missed", "the missed prompt")
        wait_until(lambda: first(bot, "Sen").state == "posted", "the late prompt")
        assert first(bot, "Sen").posted_at > first(bot, "Sen").due_at
        [notice] = wait_until(lambda: stub.messages(dm), "the facilitator's notice")
        assert "Misset" in notice["text"] and "post_now" in json.dumps(notice["blocks"])
        assert first(bot, "Misset").text[:40] in json.dumps(notice["blocks"], ensure_ascii=False)
    with running_bot(settings, clock, stub) as bot:
        ticks(bot)
        assert len(_prompts_in(stub)) == 1 and _prompts_in(stub, OTHER) == [] and len(stub.messages(dm)) == 1
        missed = first(bot, "Misset")
        assert stub.click(USERS[0], dm, notice["ts"], "post_now", str(missed.id)).status == 200
        wait_until(lambda: stub.ephemerals(user=USERS[0]), "the refusal")
        assert first(bot, "Misset").state == "missed"
        assert stub.click(FACILITATOR, dm, notice["ts"], "post_now", str(missed.id)).status == 200
        wait_until(lambda: first(bot, "Misset").state == "posted", "the prompt sent now")
        assert len(_prompts_in(stub, OTHER)) == 1 and len(_prompts_in(stub)) == 1


def test_a_post_slack_took_as_the_bot_went_down_is_found_by_its_metadata_not_posted_again(settings, clock, stub):
    fast = {"slack_timeout": 1.0, "settle_seconds": 0.5}
    stub.inject("chat.postMessage", delay=1.5)  # Slack takes the prompt, but answers after the bot stopped waiting
    with running_bot(settings, clock, stub, **fast) as bot:
        _, first = _plan(bot.store, bot.linker, "Temadag", clock.now(), clock.now())
        key = f"prompt:{first.id}"
        wait_until(lambda: (p := bot.store.posts.get(key)) and p.state == "sending", "the post in flight")
    # Down with the outcome unknown: what a crash between Slack's answer and our record leaves behind.
    [message] = wait_until(lambda: [m for m in stub.messages(CHANNEL) if _key(m) == key], "Slack to finish the post")
    with running_bot(settings, clock, stub, **fast) as bot:
        assert bot.store.prompts.get(first.id).state == "posting"
        ticks(bot)
        assert bot.store.prompts.get(first.id).state == "posting", "nothing is done before the settle time"
        clock.advance(seconds=2)  # past HVIS_SLACK_TIMEOUT + HVIS_SETTLE_SECONDS
        wait_until(lambda: bot.store.prompts.get(first.id).state == "posted", "the look-up to find the post")
        assert bot.store.prompts.get(first.id).message_ts == message["ts"]
        assert any(c.args.get("include_all_metadata") for c in stub.calls_to("conversations.history"))
        ticks(bot)
        assert len(_calls(stub, "chat.postMessage", key)) == 1 and len(_prompts_in(stub)) == 1


class Died(BaseException):  # not an Exception: nothing may handle it, like a kill -9
    """The process ending at this very point (a kill -9 between two writes)."""


def _dies(store, post, ts, now):
    raise Died


def test_a_crash_as_a_sent_prompt_is_being_recorded_does_not_lose_its_round(settings, clock, stub):
    fast = {"slack_timeout": 1.0, "settle_seconds": 0.5}
    down = Bot(replace(settings, **fast), clock)  # a process's parts, driven by hand: it never ticks by itself
    try:
        _, first = _plan(down.store, down.linker, "Temadag", clock.now(), clock.now())
        posting.queue_due(down.store, down.people, down.linker, clock.now(), timedelta(minutes=15))
        # Slack takes the prompt; the process dies as it starts recording what follows (a Kind whose `sent`
        # step dies is that process). Whatever it managed to write must lead to the round being posted once.
        with pytest.raises(Died):
            outbox.deliver(down.store, down.slack, {"prompt": outbox.Kind(posting.render_prompt, _dies)},
                           clock.now(), timedelta(seconds=1.5))
    finally:
        down.stop()
    key = f"prompt:{first.id}"
    [message] = [m for m in stub.messages(CHANNEL) if _key(m) == key]
    clock.advance(seconds=2)  # past HVIS_SLACK_TIMEOUT + HVIS_SETTLE_SECONDS: an unknown outcome is looked up
    with running_bot(settings, clock, stub, **fast) as bot:
        wait_until(lambda: bot.store.prompts.get(first.id).state == "posted", "the round to be posted")
        assert bot.store.prompts.get(first.id).message_ts == message["ts"]
        reply = stub.post_as_user(USERS[0], CHANNEL, "Et svar i tråden", thread_ts=message["ts"])
        assert [r.ts for r in bot.store.replies.of_session(first.session_id)] == [reply.ts]
        ticks(bot)
        assert len(_calls(stub, "chat.postMessage", key)) == 1 and len(_prompts_in(stub)) == 1


def test_wrap_up_and_exports_are_sent_once_across_a_restart_even_when_slack_answered_too_late(settings, clock, stub):
    fast = {"slack_timeout": 1.0, "settle_seconds": 0.5}
    with running_bot(settings, clock, stub, **fast) as bot:
        session, first = _plan(bot.store, bot.linker, "Temadag", clock.now(), clock.now())
        prompt = wait_until(lambda: (p := bot.store.prompts.get(first.id)).message_ts and p, "the first prompt")
        stub.post_as_user(USERS[0], CHANNEL, "Tænk hvis alle unge fik en mentor", thread_ts=prompt.message_ts)
        # Slack shares the export files, but answers after the bot stopped waiting (files carry no metadata:
        # they are found again by their ids).
        stub.inject("files.completeUploadExternal", delay=1.5)
        sessions.close_session(bot.store, bot.linker, bot.store.sessions.get(session.id), clock.now())
        wrapup, export = f"wrapup:{session.id}", f"export:{session.id}:{bot.linker.tag(FACILITATOR)}"
        wait_until(lambda: (p := bot.store.posts.get(export)) and p.state == "sending", "the export in flight")
        assert bot.store.posts.get(wrapup).state == "sent"
    # The bot has stopped with the export's outcome unknown; Slack finishes it meanwhile.
    wait_until(lambda: len(stub.files) == 4, "Slack to finish sharing the files")
    clock.advance(seconds=2)
    with running_bot(settings, clock, stub, **fast) as bot:
        wait_until(lambda: bot.store.posts.get(export).state == "sent", "the look-up of the files")
        ticks(bot)
        assert len([m for m in stub.messages(CHANNEL) if _key(m) == wrapup]) == 1
        assert len(_calls(stub, "chat.postMessage", wrapup)) == 1
        assert len(stub.calls_to("files.completeUploadExternal")) == 1
        assert sorted(f["filename"].rsplit(".", 1)[1] for f in stub.files) == ["html", "json", "md", "xlsx"]
        assert all(f["channel_id"] == stub.dm_channel(FACILITATOR) for f in stub.files)
