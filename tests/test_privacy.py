"""Forget-me, purge, backup and the files hvis leaves on disk, through the real command line against a database
the running bot filled: what is deleted stays deleted, copies are private and whole, secrets stay out of copies."""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.rules.decks import load_deck
from bot.services import sessions
from tests.support import CHANNEL, USERS, cli_env, exported, hvis, wait_until

FORGOTTEN, KEPT, OTHER = USERS[0], USERS[1], USERS[2]


def one_line(result) -> str:
    lines = result.err.splitlines()
    assert len(lines) == 1 and result.out == "", (result.out, result.err)
    return lines[0]


def database_bytes(db: Path) -> bytes:
    return b"".join(path.read_bytes() for path in (db, db.with_name(db.name + "-wal")) if path.exists())


def upcoming() -> str:
    return f"{date.today() + timedelta(days=30):%Y-%m-%dT09:30}"


@pytest.fixture
def answered(bot, live_session, stub):
    """FORGOTTEN answers in the thread and anonymously through the modal and votes for KEPT's answer; KEPT answers
    and votes for FORGOTTEN's. Returns (session, prompt, FORGOTTEN's thread message, KEPT's thread message)."""
    session, prompt = live_session
    named = stub.post_as_user(FORGOTTEN, CHANNEL, "Mit navngivne svar", thread_ts=prompt.message_ts)
    kept = stub.post_as_user(KEPT, CHANNEL, "Et svar der bliver", thread_ts=prompt.message_ts)
    stub.click(FORGOTTEN, CHANNEL, prompt.message_ts, "answer_anonymously", str(prompt.id))
    view = wait_until(lambda: stub.last_view(FORGOTTEN), "the answer modal")
    assert stub.submit_view(FORGOTTEN, view["id"], {"answer": {"value": "Mit anonyme svar"}}).status == 200
    wait_until(lambda: [r for r in bot.store.replies.of_session(session.id) if r.anonymous and r.ts],
               "the anonymous answer posted in the thread")
    assert stub.react(FORGOTTEN, CHANNEL, kept.ts, "+1").status == 200
    assert stub.react(KEPT, CHANNEL, named.ts, "+1").status == 200
    return session, prompt, named, kept


def test_forget_deletes_named_and_anonymous_answers_and_votes_and_says_what_is_left(bot, answered, stub, settings,
                                                                                       tmp_path):
    session, _, named, _ = answered
    [anonymous_post] = [r.ts for r in bot.store.replies.of_session(session.id) if r.anonymous]
    result = hvis("forget", FORGOTTEN, env=cli_env(settings.db_path, stub), cwd=tmp_path)
    assert result.code == 0, result.err
    assert f"Forgot {FORGOTTEN}: 2 answers and 1 votes deleted" in result.out
    assert "The bot deleted 1 of its posts" in result.out
    by_hand = result.out.split("Their own messages in threads stay in Slack", 1)[1].splitlines()[1]
    assert named.ts.replace(".", "") in by_hand, "a link to the message they must delete themselves"
    assert stub.message(CHANNEL, anonymous_post) is None, "the bot's post of the anonymous answer is gone"
    assert stub.message(CHANNEL, named.ts) is not None, "the bot cannot delete a person's own message"
    [left] = exported(bot.store, session.id)["prompts"][0]["replies"]
    assert (left["text"], left["votes"]) == ("Et svar der bliver", 0)
    assert FORGOTTEN.encode() not in database_bytes(settings.db_path)


def test_forget_without_a_token_says_the_bots_posts_are_still_in_slack(bot, answered, settings, tmp_path):
    result = hvis("forget", FORGOTTEN, env=cli_env(settings.db_path), cwd=tmp_path)
    assert result.code == 0, result.err
    assert "SLACK_BOT_TOKEN is not set" in result.out and "were not deleted" in result.out


def test_an_edit_after_forget_does_not_bring_the_answer_back(bot, answered, stub, settings, tmp_path):
    session, _, named, _ = answered
    assert hvis("forget", FORGOTTEN, env=cli_env(settings.db_path, stub), cwd=tmp_path).code == 0
    assert stub.edit_as_user(FORGOTTEN, CHANNEL, named.ts, "Mit navngivne svar, rettet").status == 200
    assert stub.edit_as_user(KEPT, CHANNEL, answered[3].ts, "Et svar der bliver, rettet").status == 200
    texts = [r["text"] for r in exported(bot.store, session.id)["prompts"][0]["replies"]]
    assert texts == ["Et svar der bliver, rettet"], "KEPT's edit arrived; FORGOTTEN's must not be stored"


def test_a_vote_after_forget_does_not_bring_the_voter_back(bot, answered, stub, settings, tmp_path):
    session, _, _, kept = answered
    assert hvis("forget", FORGOTTEN, env=cli_env(settings.db_path, stub), cwd=tmp_path).code == 0
    assert stub.unreact(FORGOTTEN, CHANNEL, kept.ts, "+1").status == 200
    assert stub.react(OTHER, CHANNEL, kept.ts, "+1").status == 200
    assert stub.react(FORGOTTEN, CHANNEL, kept.ts, "+1").status == 200
    [left] = exported(bot.store, session.id)["prompts"][0]["replies"]
    assert left["votes"] == 1, "OTHER's vote counts; the forgotten person's does not"


def test_purge_deletes_only_sessions_closed_long_enough_ago(bot, answered, clock, settings, tmp_path):
    old, *_ = answered
    later, _ = sessions.create_session(
        bot.store, bot.linker, load_deck("velfaerd"), title="Senere", channel=CHANNEL,
        start=clock.now() + timedelta(days=1), timezone="Europe/Copenhagen", anonymity_mode="choice",
        facilitators=[], now=clock.now(), grace=timedelta(minutes=15))
    recent, _ = sessions.create_session(
        bot.store, bot.linker, load_deck("velfaerd"), title="For nylig", channel="C0ANDEN01",
        start=clock.now(), timezone="Europe/Copenhagen", anonymity_mode="choice", facilitators=[], now=clock.now(),
        grace=timedelta(minutes=15))
    real_now = datetime.now(timezone.utc)
    sessions.close_session(bot.store, bot.linker, old, real_now - timedelta(days=40))
    sessions.close_session(bot.store, bot.linker, recent, real_now - timedelta(days=20))
    result = hvis("purge", "--older-than", "30", env=cli_env(settings.db_path), cwd=tmp_path)
    assert result.code == 0 and "Deleted 1 sessions" in result.out
    assert bot.store.sessions.get(old.id) is None and bot.store.replies.of_session(old.id) == []
    assert {s.id for s in bot.store.sessions.list()} == {later.id, recent.id}
    assert b"Mit navngivne svar" not in database_bytes(settings.db_path)


def test_backup_is_a_private_consistent_copy_without_the_linking_secrets(bot, answered, settings, tmp_path):
    session, *_ = answered
    target = tmp_path / "kopi.db"
    result = hvis("backup", str(target), env=cli_env(settings.db_path), cwd=tmp_path)
    assert result.code == 0, result.err
    # (PRAGMA integrity_check is no judge here: SQLite 3.40 reports NOT NULL columns of WITHOUT ROWID tables whose
    # primary key is not their first column as NULL, in any database.)
    rows = "SELECT id, text, user_id, author FROM replies WHERE session_id = ? ORDER BY id"
    with sqlite3.connect(target) as copy, sqlite3.connect(settings.db_path) as live:
        assert len(copy.execute(rows, [session.id]).fetchall()) == 3
        assert copy.execute(rows, [session.id]).fetchall() == live.execute(rows, [session.id]).fetchall()
        assert copy.execute("PRAGMA foreign_key_check").fetchall() == []
    assert target.stat().st_mode & 0o777 == 0o600
    secret = json.loads(settings.key_store_path.read_text())["sessions"][session.id]
    assert secret.encode() not in target.read_bytes()
    assert str(settings.key_store_path) in result.out, "it says where the key store is, and that it is not copied"


def test_backup_refuses_an_existing_target_and_leaves_it_alone(tmp_path):
    db = tmp_path / "data" / "hvis.db"
    assert hvis("session", "create", "--title", "Dag", "--channel", "C0TEMADAG", "--start", upcoming(),
                env=cli_env(db), cwd=tmp_path).code == 0
    target = tmp_path / "kopi.db"
    target.write_bytes(b"an older backup")
    result = hvis("backup", str(target), env=cli_env(db), cwd=tmp_path)
    assert result.code == 2 and "already exists" in one_line(result)
    assert target.read_bytes() == b"an older backup"


@pytest.fixture
def taken(tmp_path) -> tuple[Path, Path]:
    """A database, and a backup name taken by a link to nowhere: it looks free, but cannot be created."""
    db = tmp_path / "data" / "hvis.db"
    assert hvis("session", "create", "--title", "Dag", "--channel", "C0TEMADAG", "--start", upcoming(),
                env=cli_env(db), cwd=tmp_path).code == 0
    backups = tmp_path / "backups"
    backups.mkdir()
    (backups / "kopi.db").symlink_to(tmp_path / "elsewhere.db")
    return db, backups / "kopi.db"


def test_a_backup_that_fails_leaves_no_partial_file(taken, tmp_path):
    db, target = taken
    result = hvis("backup", str(target), env=cli_env(db), cwd=tmp_path)
    assert result.code != 0 and one_line(result).startswith("hvis")
    assert sorted(os.listdir(target.parent)) == ["kopi.db"], "no partial copy is left beside it"
    assert not (tmp_path / "elsewhere.db").exists(), "nothing is written through the link"


def test_a_backup_name_taken_by_a_dangling_link_is_refused_as_existing(taken, tmp_path):
    db, target = taken
    result = hvis("backup", str(target), env=cli_env(db), cwd=tmp_path)
    assert result.code == 2 and f"{target} already exists" in one_line(result)


def test_backup_into_a_missing_folder_is_exit_2(tmp_path):
    db = tmp_path / "hvis.db"
    assert hvis("session", "create", "--title", "Dag", "--channel", "C0TEMADAG", "--start", upcoming(),
                env=cli_env(db), cwd=tmp_path).code == 0
    result = hvis("backup", str(tmp_path / "nowhere" / "kopi.db"), env=cli_env(db), cwd=tmp_path)
    assert result.code == 2 and "nowhere" in one_line(result)
    assert not (tmp_path / "nowhere").exists()


@pytest.fixture
def no_umask():
    """Files get exactly the mode they are created with: privacy must not depend on the user's umask."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_every_file_the_command_line_creates_is_readable_by_its_owner_only(tmp_path, no_umask):
    db, keys = tmp_path / "data" / "hvis.db", tmp_path / "state" / "keys.json"
    env = cli_env(db, HVIS_KEY_FILE=str(keys))
    created = hvis("session", "create", "--title", "Dag", "--channel", "C0TEMADAG", "--start", upcoming(),
                   env=env, cwd=tmp_path)
    assert created.code == 0, created.err
    assert hvis("export", created.out.strip(), "--format", "csv", "--out", str(tmp_path / "dag.csv"),
                env=env, cwd=tmp_path).code == 0
    assert hvis("backup", str(tmp_path / "kopi.db"), env=env, cwd=tmp_path).code == 0
    files = [db, db.with_name("hvis.db-wal"), db.with_name("hvis.db-shm"), keys, tmp_path / "dag.csv",
             tmp_path / "kopi.db"]
    modes = {path.name: oct(path.stat().st_mode & 0o777) for path in files if path.exists()}
    assert modes == {path.name: "0o600" for path in files}
    assert oct(keys.parent.stat().st_mode & 0o777) == "0o700"


def test_the_key_store_lives_outside_the_databases_folder_by_default(tmp_path):
    db = tmp_path / "data" / "hvis.db"
    env = {k: v for k, v in cli_env(db).items() if k not in ("HVIS_KEY_FILE", "XDG_STATE_HOME")}
    env["HOME"] = str(tmp_path / "home")
    created = hvis("session", "create", "--title", "Dag", "--channel", "C0TEMADAG", "--start", upcoming(),
                   env=env, cwd=tmp_path)
    assert created.code == 0, created.err
    [store] = (tmp_path / "home" / ".local" / "state" / "hvis").rglob("*.json")
    assert created.out.strip() in json.loads(store.read_text())["sessions"]
    assert sorted(os.listdir(db.parent)) == sorted(p for p in ["hvis.db", "hvis.db-wal", "hvis.db-shm"]
                                                   if (db.parent / p).exists()), "nothing but the database"


def test_closing_a_session_destroys_its_linking_secret_in_the_key_store_file(tmp_path):
    db, keys = tmp_path / "hvis.db", tmp_path / "keys" / "hvis.json"
    env = cli_env(db)
    created = hvis("session", "create", "--title", "Dag", "--channel", "C0TEMADAG", "--start", upcoming(),
                   env=env, cwd=tmp_path)
    session_id = created.out.strip()
    secret = json.loads(keys.read_text())["sessions"][session_id]
    assert hvis("session", "close", session_id, env=env, cwd=tmp_path).code == 0
    text = keys.read_text()
    assert session_id not in json.loads(text)["sessions"] and secret not in text
