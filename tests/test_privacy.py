"""Forget-me, purge and backup through the real command line, against a database the bot filled."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from bot import export, sessions
from bot.decks import load_deck
from tests.support import CHANNEL, USERS, cli_env, hvis, wait_until

FORGOTTEN, KEPT = USERS[0], USERS[1]


def _fill(bot, stub, prompt):
    """FORGOTTEN answers named in the thread and anonymously in the modal, and votes; KEPT answers once."""
    named = stub.post_as_user(FORGOTTEN, CHANNEL, "Mit navngivne svar", thread_ts=prompt.message_ts)
    kept = stub.post_as_user(KEPT, CHANNEL, "Et svar der bliver", thread_ts=prompt.message_ts)
    stub.click(FORGOTTEN, CHANNEL, prompt.message_ts, "answer_anonymously", str(prompt.id))
    stub.submit_view(FORGOTTEN, stub.last_view(FORGOTTEN)["id"], {"answer": {"value": "Mit anonyme svar"}})
    wait_until(lambda: len(bot.h.store.replies(prompt.session_id)) == 3, "three replies")
    stub.react(FORGOTTEN, CHANNEL, kept.ts, "+1")
    stub.react(KEPT, CHANNEL, named.ts, "+1")
    return kept


def test_forget_removes_named_and_anonymous_replies_and_votes(bot, live_session, stub, settings, tmp_path):
    session, prompt = live_session
    _fill(bot, stub, prompt)
    anonymous_post = [r.ts for r in bot.h.store.replies(session.id) if r.anonymous][0]
    result = hvis("forget", FORGOTTEN, env=cli_env(settings.db_path, stub), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 replies and 1 votes" in result.stdout and "deleted 1 of its 1 posts" in result.stdout
    assert stub.message(CHANNEL, anonymous_post) is None
    [left] = export.session_export(bot.h.store, session.id)["prompts"][0]["replies"]
    assert left["text"] == "Et svar der bliver" and left["votes"] == 0
    files = [settings.db_path, settings.db_path.with_name(settings.db_path.name + "-wal")]
    assert all(FORGOTTEN.encode() not in path.read_bytes() for path in files if path.exists())


def test_purge_deletes_only_sessions_closed_long_enough_ago(bot, live_session, stub, settings, clock, tmp_path):
    session, prompt = live_session
    _fill(bot, stub, prompt)
    other = sessions.create_session(bot.h.store, load_deck("velfaerd"), title="Senere",
                                    channel=CHANNEL, start=clock.now() + timedelta(days=1), timezone="Europe/Copenhagen",
                                    language="da", anonymity="choice", facilitators=[], now=clock.now())
    sessions.close_session(bot.h.store, session.id, clock.now() - timedelta(days=40))
    result = hvis("purge", "--older-than", "30", env=cli_env(settings.db_path), cwd=tmp_path)
    assert result.returncode == 0 and "Deleted 1 sessions" in result.stdout
    assert bot.h.store.session(session.id) is None and bot.h.store.replies(session.id) == []
    assert bot.h.store.session(other.id) is not None


def test_backup_is_a_consistent_copy_and_never_overwrites(bot, live_session, stub, settings, tmp_path):
    session, prompt = live_session
    _fill(bot, stub, prompt)
    target = tmp_path / "kopi.db"
    assert hvis("backup", str(target), env=cli_env(settings.db_path), cwd=tmp_path).returncode == 0
    copied = sqlite3.connect(target).execute("SELECT COUNT(*) FROM replies").fetchone()[0]
    assert copied == 3 and target.stat().st_mode & 0o077 == 0, "a backup is readable by its owner only"
    again = hvis("backup", str(target), env=cli_env(settings.db_path), cwd=tmp_path)
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1
