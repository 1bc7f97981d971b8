"""The bot as its own process: created from another process, down when prompts fall due, killed mid-burst."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from bot import render
from standin import SignedSender
from storage import Store
from tests.support import CHANNEL, FACILITATOR, SECRET, TEAM, USERS, BotProcess, cli_env, hvis, wait_until


def _at(delta: timedelta) -> str:
    return (datetime.now(timezone.utc) + delta).isoformat(timespec="seconds")


def _prompt_messages(stub, prompt_key=None):
    return [m for m in stub.messages(CHANNEL) if (m.get("metadata") or {}).get("event_type") == render.PROMPT_EVENT
            and (prompt_key is None or m["metadata"]["event_payload"]["prompt_key"] == prompt_key)]


@pytest.fixture
def workdirs(tmp_path):
    (tmp_path / "bot").mkdir()
    (tmp_path / "elsewhere").mkdir()
    return tmp_path / "data" / "hvis.db", tmp_path / "bot", tmp_path / "elsewhere"


def test_session_created_from_another_process_while_running_posts_once_at_its_time(stub, workdirs):
    db, bot_dir, other_dir = workdirs
    bot = BotProcess(stub, db, bot_dir).start()
    try:
        start = datetime.now(timezone.utc) + timedelta(seconds=3)
        created = hvis("session", "create", "--title", "Temadag", "--channel", CHANNEL, "--start",
                       start.isoformat(timespec="seconds"), "--facilitator", FACILITATOR,
                       env=cli_env(db), cwd=other_dir)
        assert created.returncode == 0, created.stderr
        session_id = created.stdout.strip()
        wait_until(lambda: _prompt_messages(stub, "ungdom"), "the first prompt", timeout=20)
        posted_at = time.time()
        assert start.timestamp() - 0.5 <= posted_at <= start.timestamp() + 5
        time.sleep(2.5)  # several more ticks: a second post would show up now
        assert len(_prompt_messages(stub)) == 1
        shown = json.loads(hvis("session", "show", session_id, "--json", env=cli_env(db), cwd=other_dir).stdout)
        assert shown["state"] == "running" and shown["prompts"][0]["state"] == "posted"
        assert shown["team_id"] == TEAM, "the bot adopts sessions created without a workspace id"
    finally:
        bot.stop()


def test_prompts_due_while_down_are_posted_late_within_grace_else_missed(stub, workdirs):
    db, bot_dir, other_dir = workdirs
    env = cli_env(db)
    late = hvis("session", "create", "--title", "Sen", "--channel", CHANNEL, "--start", _at(-timedelta(minutes=5)),
                env=env, cwd=other_dir).stdout.strip()
    missed = hvis("session", "create", "--title", "Misset", "--channel", CHANNEL, "--start",
                  _at(-timedelta(minutes=20)), env=env, cwd=other_dir).stdout.strip()
    bot = BotProcess(stub, db, bot_dir).start()
    try:
        wait_until(lambda: Store(db).prompts(missed)[0].state == "missed", "the missed prompt")
        wait_until(lambda: Store(db).prompts(late)[0].state == "posted", "the late prompt")
        notice = wait_until(lambda: [c for c in stub.calls_to("chat.postMessage")
                                     if c.args.get("channel") == FACILITATOR], "the facilitator's notice")
        assert "post_now" in json.dumps(notice[0].args["blocks"])
        assert Store(db).prompts(missed)[0].text in notice[0].args["text"] and "Misset" in notice[0].args["text"]
    finally:
        bot.stop()
    bot = BotProcess(stub, db, bot_dir).start()
    try:
        time.sleep(2.5)  # ticks run; nothing may be posted again
        assert len(_prompt_messages(stub)) == 1
        assert Store(db).prompts(missed)[0].state == "missed"
        dm = stub.dm_channel(FACILITATOR)
        [button_message] = [m for m in stub.messages(dm) if "post_now" in json.dumps(m.get("blocks"))]
        prompt_id = str(Store(db).prompts(missed)[0].id)
        refused = stub.click(USERS[0], dm, button_message["ts"], "post_now", prompt_id)
        assert refused.status == 200 and Store(db).prompts(missed)[0].state == "missed"
        stub.click(FACILITATOR, dm, button_message["ts"], "post_now", prompt_id)
        wait_until(lambda: Store(db).prompts(missed)[0].state == "posted", "post now")
        assert len(_prompt_messages(stub)) == 2
    finally:
        bot.stop()


def test_bot_restarted_after_sigkill_schedules_at_once(stub, workdirs):
    db, bot_dir, other_dir = workdirs
    bot = BotProcess(stub, db, bot_dir).start()
    start = datetime.now(timezone.utc) + timedelta(seconds=4)
    assert hvis("session", "create", "--title", "Efter nedbrud", "--channel", CHANNEL, "--start",
                start.isoformat(timespec="seconds"), env=cli_env(db), cwd=other_dir).returncode == 0
    bot.kill()  # its scheduler lease stays behind in the database
    bot = BotProcess(stub, db, bot_dir).start()
    try:
        wait_until(lambda: _prompt_messages(stub, "ungdom"), "the first prompt", timeout=20)
        assert time.time() <= start.timestamp() + 4, "a dead process's lease must not delay the restarted bot"
        assert len(_prompt_messages(stub)) == 1
    finally:
        bot.stop()


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
    session_id = hvis("session", "create", "--title", "Burst", "--channel", CHANNEL, "--start", _at(timedelta()),
                      env=cli_env(db), cwd=other_dir).stdout.strip()
    bot = BotProcess(stub, db, bot_dir).start()
    thread_ts = wait_until(lambda: _prompt_messages(stub, "ungdom"), "the first prompt")[0]["ts"]
    total, acked, lock = 400, set(), threading.Lock()

    def send(numbers):
        sender = SignedSender(bot.url + "/slack/events", SECRET)
        for n in numbers:
            try:
                if sender.post(_reply_envelope(n, thread_ts), "application/json").status == 200:
                    with lock:
                        acked.add(n)
            except OSError:
                pass  # the process is gone: Slack would retry this one later

    workers = [threading.Thread(target=send, args=(range(k, total, 8),)) for k in range(8)]
    for worker in workers:
        worker.start()
    wait_until(lambda: len(acked) >= 60, "part of the burst to be acknowledged")
    bot.kill()
    for worker in workers:
        worker.join()
    assert 60 <= len(acked) < total, "the kill must land mid-burst"

    stored = {r.text for r in Store(db).replies(session_id)}
    assert {f"Svar nummer {n} – æøå" for n in acked} <= stored

    bot = BotProcess(stub, db, bot_dir).start()
    try:
        sender = SignedSender(bot.url + "/slack/events", SECRET)
        for n in range(total):  # Slack redelivers what it did not see acknowledged; we resend everything
            assert sender.post(_reply_envelope(n, thread_ts), "application/json",
                               extra_headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}).status == 200
        texts = [r.text for r in Store(db).replies(session_id)]
        assert len(texts) == total == len(set(texts))
    finally:
        bot.stop()
