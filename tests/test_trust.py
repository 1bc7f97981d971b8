"""Trust under attack and under faults: counts that never link, an operator who cannot de-anonymise,
exactly once when Slack is slow, nothing personal in logs, other workspaces kept out, a full disk seen."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import logging
import os
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot.config import Settings
from bot.i18n import t
from bot.rules.pseudonyms import PURPOSES
from standin import SignedSender
from storage.keys import KeyStore
from tests.conftest import start_session
from tests.support import (
    CHANNEL,
    FACILITATOR,
    POLITICIAN,
    SECRET,
    TEAM,
    USERS,
    cli_env,
    exported,
    hvis,
    running_bot,
    wait_until,
)

ALICE = USERS[4]


def _answer_in_modal(stub, bot, prompt, user, text, anonymously=True):
    stub.click(user, CHANNEL, prompt.message_ts, "answer_anonymously" if anonymously else "answer", str(prompt.id))
    view = wait_until(lambda: (v := stub.last_view(user)) and v["open"] and v, "the answer modal")
    assert stub.submit_view(user, view["id"], {"answer": {"value": text}}).status == 200
    return wait_until(lambda: [r for r in bot.store.replies.of_session(prompt.session_id) if r.text == text],
                      "the stored answer")[0]




# ---- counts never link ------------------------------------------------------------------------------
def test_a_person_answering_by_name_and_anonymously_is_never_counted_as_one(bot, live_session, stub, clock):
    session, prompt = live_session
    stub.post_as_user(ALICE, CHANNEL, "Med navn", thread_ts=prompt.message_ts)
    _answer_in_modal(stub, bot, prompt, ALICE, "Uden navn")
    clock.advance(minutes=16)  # past the prompt's reminder time
    reminder = wait_until(lambda: [m for m in stub.messages(CHANNEL) if m["thread_ts"] == prompt.message_ts
                                   and m.get("bot_id") and "⏰" in m["text"]], "the reminder")[0]
    assert reminder["text"] == t("da", "reminder.some", n=2)  # answers, never "1 has answered"
    stats = exported(bot.store, session.id)["stats"]
    assert stats["replies"] == 2 and stats["participants"] == 2
    assert stats["named_people"] == 1 and stats["anonymous_people"] == 1


def test_the_only_politician_answering_anonymously_gets_no_role_tag(bot, live_session, stub):
    session, prompt = live_session
    _answer_in_modal(stub, bot, prompt, POLITICIAN, "Et forsigtigt forslag")
    [answer] = exported(bot.store, session.id)["prompts"][0]["replies"]
    assert answer["user"] is None and answer["role"] is None
    report = hvis("summary", session.id, env=cli_env(bot.settings.db_path), cwd=bot.settings.db_path.parent)
    assert t("da", "role.politician") not in report.out.split("Et forsigtigt forslag", 1)[1].split("\n", 1)[0]


def test_an_anonymous_role_is_shown_once_three_people_of_that_role_took_part(bot, live_session, stub):
    session, prompt = live_session
    for user in USERS[:3]:
        _answer_in_modal(stub, bot, prompt, user, f"Anonymt fra {user}")
    roles = {a["role"] for a in exported(bot.store, session.id)["prompts"][0]["replies"]}
    assert roles == {"employee"}


# ---- nobody can link once a session is closed -------------------------------------------------------
def test_after_close_no_stored_value_can_be_recomputed_from_a_user_id(bot, clock, stub, settings, tmp_path):
    session, prompt = start_session(bot, clock, anonymity="anonymous")
    stub.post_as_user(ALICE, CHANNEL, "I tråden", thread_ts=prompt.message_ts)
    answer = _answer_in_modal(stub, bot, prompt, ALICE, "Via knappen")
    stub.react(USERS[0], CHANNEL, wait_until(lambda: bot.store.replies.get(answer.id).ts, "the post"), "+1")
    keys = KeyStore(settings.key_store_path)
    assert keys.session(session.id) is not None and bot.linker.wrote(session.id, ALICE, answer.id, answer.author)

    closed = hvis("session", "close", session.id, env=cli_env(settings.db_path), cwd=tmp_path)
    assert closed.code == 0, closed.err
    assert session.id not in json.loads(settings.key_store_path.read_text())["sessions"]
    # The running bot sees another process's change within a moment (it looks at the file every few ms).
    wait_until(lambda: keys.session(session.id) is None and not bot.linker.wrote(session.id, ALICE, answer.id,
                                                                               answer.author), "the secret gone")

    # The operator has the database, the key store and every user id: nothing stored matches anything
    # they can compute from ALICE with any key left.
    database = sqlite3.connect(settings.db_path)
    stored = {value for table, column in (("replies", "author"), ("replies", "user_id"), ("votes", "voter"),
                                          ("anonymous_people", "person"), ("notices", "person"))
              for (value,) in database.execute(f"SELECT {column} FROM {table}") if value}
    reply_ids = [rid for (rid,) in database.execute("SELECT id FROM replies")]
    secrets_left = [keys.master()] + [bytes.fromhex(v) for v in json.loads(settings.key_store_path.read_text())
                                      .get("sessions", {}).values()]
    for secret in secrets_left:
        for purpose in PURPOSES:
            for context in [(), *((rid,) for rid in reply_ids)]:
                message = "\x1f".join((purpose, ALICE, *context)).encode()
                assert hmac.new(secret, message, hashlib.sha256).hexdigest()[:32] not in stored
    assert ALICE not in stored
    forgotten = hvis("forget", ALICE, env=cli_env(settings.db_path), cwd=tmp_path)
    assert forgotten.code == 0 and "0 answers" in forgotten.out  # not even forget-me can find them now


def test_the_key_store_is_kept_away_from_the_database_by_default(tmp_path):
    settings = Settings(db_path=tmp_path / "data" / "hvis.db", state_dir=tmp_path / "state")
    assert settings.db_path.parent.resolve() not in settings.key_store_path.resolve().parents


def test_an_anonymous_session_says_before_anyone_writes_that_thread_replies_show_names(bot, clock, stub):
    session, prompt = start_session(bot, clock, anonymity="anonymous")
    posted = stub.message(CHANNEL, prompt.message_ts)
    assert any(t("da", "mode.anonymous") in json.dumps(block, ensure_ascii=False) for block in posted["blocks"])


# ---- exactly once, also when Slack is slow -----------------------------------------------------------
@pytest.fixture
def slow_bot(settings, clock, stub):
    """A bot that gives up on Slack after 1 s and looks a post up 2 s after that."""
    with running_bot(settings, clock, stub, slack_timeout=1.0, settle_seconds=2.0) as running:
        yield running


def _messages_with(stub, text):
    return [m for m in stub.messages(CHANNEL) if text in (m.get("text") or "")]


def test_a_prompt_post_that_times_out_and_then_lands_appears_once(slow_bot, clock, stub):
    stub.inject("chat.postMessage", delay=2.0)  # Slack takes the post, but answers after our timeout
    session, prompt = _plan(slow_bot, clock)
    wait_until(lambda: _messages_with(stub, t("da", "prompt.header", number=1, total=8)), "the late post to land")
    assert slow_bot.store.prompts.get(prompt.id).state == "posting"  # unknown until looked up
    clock.advance(seconds=5)  # past the timeout and the settle time
    wait_until(lambda: slow_bot.store.prompts.get(prompt.id).state == "posted", "the prompt found by its metadata")
    assert len(_messages_with(stub, t("da", "prompt.header", number=1, total=8))) == 1
    assert slow_bot.store.prompts.get(prompt.id).message_ts == _messages_with(stub, "Spørgsmål 1")[0]["ts"]


def test_a_thread_reply_to_a_prompt_post_not_yet_confirmed_is_delivered_again_and_kept(slow_bot, clock, stub):
    stub.inject("chat.postMessage", delay=2.0)
    session, prompt = _plan(slow_bot, clock)
    posted = wait_until(lambda: _messages_with(stub, t("da", "prompt.header", number=1, total=8)), "the late post")
    first = stub.post_as_user(ALICE, CHANNEL, "Et svar før posten er bekræftet", thread_ts=posted[0]["ts"])
    assert first.status == 500  # not dropped: Slack delivers it again
    clock.advance(seconds=5)
    wait_until(lambda: slow_bot.store.prompts.get(prompt.id).state == "posted", "the prompt found by its metadata")
    again = stub.deliver(first.payload, retry_num=1)
    assert again.status == 200
    assert [r.text for r in slow_bot.store.replies.of_session(session.id)] == ["Et svar før posten er bekræftet"]


def test_a_modal_answer_and_a_wrapup_that_time_out_are_posted_once(slow_bot, clock, stub, tmp_path):
    session, prompt = _plan(slow_bot, clock)
    wait_until(lambda: slow_bot.store.prompts.get(prompt.id).state == "posted", "the first prompt")
    prompt = slow_bot.store.prompts.get(prompt.id)
    stub.inject("chat.postMessage", delay=2.0)
    stub.click(ALICE, CHANNEL, prompt.message_ts, "answer", str(prompt.id))
    view = wait_until(lambda: stub.last_view(ALICE), "the modal")
    stub.submit_view(ALICE, view["id"], {"answer": {"value": "Et svar, der kom sent frem"}})
    wait_until(lambda: _messages_with(stub, "Et svar, der kom sent frem"), "the late answer post")
    clock.advance(seconds=5)
    wait_until(lambda: all(r.ts for r in slow_bot.store.replies.of_session(session.id)), "the answer found")
    assert len(_messages_with(stub, "Et svar, der kom sent frem")) == 1

    stub.inject("chat.postMessage", delay=2.0)
    assert hvis("session", "close", session.id, env=cli_env(slow_bot.settings.db_path), cwd=tmp_path).code == 0
    header = t("da", "wrapup.header")
    wait_until(lambda: [m for m in stub.messages(CHANNEL) if header in json.dumps(m.get("blocks"), ensure_ascii=False)],
               "the late wrap-up")
    clock.advance(seconds=5)
    wait_until(lambda: slow_bot.store.posts.get(f"wrapup:{session.id}").state == "sent", "the wrap-up found")
    assert len([m for m in stub.messages(CHANNEL) if header in json.dumps(m.get("blocks"), ensure_ascii=False)]) == 1


def _plan(bot, clock):
    from datetime import timedelta

    from bot.rules.decks import load_deck
    from bot.services import sessions

    session, prompts = sessions.create_session(
        bot.store, bot.linker, load_deck("velfaerd"), title="Temadag", channel=CHANNEL, start=clock.now(),
        timezone="Europe/Copenhagen", anonymity_mode="choice", facilitators=[FACILITATOR], now=clock.now(),
        grace=timedelta(minutes=15), team_id=TEAM)
    return session, prompts[0]


def test_a_slow_views_open_does_not_delay_other_acknowledgements(bot, live_session, stub):
    session, prompt = live_session
    stub.inject("views.open", delay=4.0)
    assert stub.click(ALICE, CHANNEL, prompt.message_ts, "answer", str(prompt.id)).status == 200
    for user in USERS[5:9]:
        started = time.monotonic()
        assert stub.post_as_user(user, CHANNEL, f"Svar fra {user}", thread_ts=prompt.message_ts).status == 200
        assert time.monotonic() - started < 2.0, "a thread reply waited for the slow modal"
    assert len(bot.store.replies.of_session(session.id)) == 4
    # The slow modal ends as a private "press again" once the bot gives up on Slack.
    wait_until(lambda: [e for e in stub.ephemerals(user=ALICE) if e["text"] == t("da", "modal.retry")], "the retry note")


def test_a_replayed_support_click_does_not_flip_the_vote_and_withdraw_leaves_a_reaction_vote(bot, live_session,
                                                                                             stub):
    session, prompt = live_session
    answer = _answer_in_modal(stub, bot, prompt, ALICE, "Støt mig", anonymously=False)
    ts = wait_until(lambda: bot.store.replies.get(answer.id).ts, "the answer in the thread")
    click = stub.click(USERS[0], CHANNEL, ts, "vote", json.dumps({"r": answer.id, "on": 1}))
    for _ in range(3):
        assert stub.deliver(click.payload).status == 200  # the same captured click, replayed
    assert bot.store.replies.get(answer.id).votes == 1
    stub.react(USERS[1], CHANNEL, ts, "+1")
    stub.click(USERS[1], CHANNEL, ts, "vote", json.dumps({"r": answer.id, "on": 0}))  # withdraw a button vote
    assert bot.store.replies.get(answer.id).votes == 2  # the reaction vote stands until the reaction goes


# ---- nothing personal in logs, and no unbounded input -------------------------------------------------
def test_a_forged_request_is_refused_and_logged_without_its_content(bot, stub, caplog):
    caplog.set_level(logging.INFO)
    sender = SignedSender(stub.request_url, "not-the-secret")
    body = json.dumps({"type": "event_callback", "team_id": TEAM, "event": {
        "type": "message", "user": ALICE, "text": "hemmelig tekst", "anonymous": True}}).encode()
    for _ in range(20):
        assert sender.post(body, "application/json").status == 401
    big = b'{"padding": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    assert SignedSender(stub.request_url, SECRET).post(big, "application/json").status == 413
    assert "hemmelig" not in caplog.text and ALICE not in caplog.text and "xxxx" not in caplog.text
    assert len([r for r in caplog.records if r.name == "bot.slack.server"]) <= 2  # rate-limited


# ---- forget means forgotten ------------------------------------------------------------------------------
def test_forget_reports_when_a_reader_keeps_deleted_text_in_the_write_ahead_log(bot, live_session, stub, settings,
                                                                               tmp_path):
    session, prompt = live_session
    stub.post_as_user(ALICE, CHANNEL, "Glem denne tekst", thread_ts=prompt.message_ts)
    reader = sqlite3.connect(settings.db_path)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM replies").fetchone()  # holds a read snapshot of the log
    try:
        result = hvis("forget", ALICE, env=cli_env(settings.db_path), cwd=tmp_path)
    finally:
        reader.rollback()
        reader.close()
    assert result.code == 1 and "write-ahead log" in result.out
    assert exported(bot.store, session.id)["stats"]["replies"] == 0


# ---- other workspaces ---------------------------------------------------------------------------------
def test_an_event_from_another_workspace_signed_with_our_secret_is_dropped(bot, live_session, stub, caplog):
    session, prompt = live_session
    caplog.set_level(logging.WARNING)
    real = stub.post_as_user(USERS[0], CHANNEL, "Fra vores egen", thread_ts=prompt.message_ts)
    foreign = copy.deepcopy(real.payload)  # the same app installed elsewhere: its own team in authorizations
    foreign.update(team_id="T0OTHERORG", event_id="Ev0FOREIGN1", context_team_id="T0OTHERORG")
    foreign["authorizations"][0]["team_id"] = "T0OTHERORG"
    foreign["event"].update(ts="1773302401.000100", text="Fra en anden", team="T0OTHERORG")
    assert stub.deliver(foreign).status == 200
    assert [r["text"] for r in exported(bot.store, session.id)["prompts"][0]["replies"]] == ["Fra vores egen"]
    assert "another workspace" in caplog.text


@pytest.mark.parametrize("channel_home", [TEAM, "T0PARTNER"], ids=["our channel", "the partner's channel"])
def test_a_slack_connect_user_in_a_shared_channel_is_kept_and_tagged_external(bot, live_session, stub, channel_home):
    session, prompt = live_session
    real = stub.post_as_user(USERS[0], CHANNEL, "Vores", thread_ts=prompt.message_ts)
    # In a shared channel the envelope's team_id is the channel's home; the installation is in authorizations.
    for n, (user, team, text) in enumerate([(USERS[1], TEAM, "Også vores"), ("U0PARTNER1", "T0PARTNER",
                                                                            "Fra partneren")]):
        shared = copy.deepcopy(real.payload)
        shared.update(event_id=f"Ev0SHARED0{n}", team_id=channel_home, is_ext_shared_channel=True)
        shared["event"].update(ts=f"1773302402.00010{n}", text=text, user=user, user_team=team, team=team)
        assert stub.deliver(shared).status == 200
    roles = {r["text"]: r["role"] for r in exported(bot.store, session.id)["prompts"][0]["replies"]}
    assert roles == {"Vores": "employee", "Også vores": "employee", "Fra partneren": "external"}


# ---- a full disk ----------------------------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small file system here (needs root)")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _fill(folder: Path) -> Path:
    """Write zeros until the file system is full; returns the file that filled it."""
    filler = folder / "filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(handle, b"\0" * 65536)
    except OSError:
        return filler
    finally:
        os.close(handle)


def test_healthz_answers_503_while_the_disk_is_full_and_200_again_after(small_disk, settings, clock, stub):
    with running_bot(settings, clock, stub, db_path=small_disk / "hvis.db") as running:
        def health() -> int:
            try:
                with urllib.request.urlopen(running.url + "/healthz", timeout=2) as answer:
                    return answer.status
            except urllib.error.HTTPError as error:
                return error.code

        assert wait_until(lambda: health() == 200, "healthy at first")
        filler = _fill(small_disk)
        wait_until(lambda: health() == 503, "503 while writes fail", timeout=15)
        filler.unlink()
        wait_until(lambda: health() == 200, "200 once writes work again", timeout=15)


def test_backup_to_a_full_disk_leaves_no_partial_file(bot, live_session, small_disk, settings, tmp_path):
    _fill(small_disk)
    result = hvis("backup", str(small_disk / "kopi.db"), env=cli_env(settings.db_path), cwd=tmp_path)
    assert result.code == 1 and result.err.count("\n") == 1
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]
    assert os.path.exists(settings.db_path)


def test_forget_updates_a_wrap_up_that_quoted_the_person_and_lists_export_files_to_delete(bot, live_session, stub,
                                                                                        settings, tmp_path):
    session, prompt = live_session
    quoted = stub.post_as_user(ALICE, CHANNEL, "Et citat, der skal glemmes", thread_ts=prompt.message_ts)
    for voter in USERS[:3]:
        stub.react(voter, CHANNEL, quoted.ts, "+1")
    assert hvis("session", "close", session.id, env=cli_env(settings.db_path), cwd=tmp_path).code == 0
    wrapup = wait_until(lambda: (p := bot.store.posts.get(f"wrapup:{session.id}")) and p.state == "sent" and p,
                        "the wrap-up")
    wait_until(lambda: all(p.state == "sent" for p in bot.store.posts.of_session(session.id)), "the files sent")
    assert "Et citat, der skal glemmes" in json.dumps(stub.message(CHANNEL, wrapup.ts), ensure_ascii=False)

    result = hvis("forget", ALICE, env=cli_env(settings.db_path, stub), cwd=tmp_path)
    assert result.code == 0, result.err
    assert "Et citat, der skal glemmes" not in json.dumps(stub.message(CHANNEL, wrapup.ts), ensure_ascii=False)
    export_dm = stub.dm_channel(FACILITATOR)
    assert f"/archives/{export_dm}/p" in result.out  # the facilitator's files that may quote them, by link
    assert f"/archives/{CHANNEL}/p{quoted.ts.replace('.', '')}" in result.out  # their own message, by link
