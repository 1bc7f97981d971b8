"""Anonymous answers stay anonymous: not in exports, not in the database's text, not in Slack posts."""

from __future__ import annotations

import json
import logging

import pytest

from bot import export
from tests.conftest import start_session
from tests.support import CHANNEL, USERS, wait_until

SECRET_USER = USERS[4]


def _answer_through_modal(stub, bot, prompt, user, text, action="answer_anonymously"):
    stub.click(user, CHANNEL, prompt.message_ts, action, str(prompt.id))
    view = wait_until(lambda: stub.last_view(user), "the answer modal")
    delivery = stub.submit_view(user, view["id"], {"answer": {"value": text}})
    assert delivery.status == 200
    return wait_until(lambda: [r for r in bot.h.store.replies(prompt.session_id) if r.text == text and r.ts],
                      "the answer posted in the thread")[0]


def _database_text(settings) -> bytes:
    bot_files = [settings.db_path, settings.db_path.with_name(settings.db_path.name + "-wal")]
    return b"".join(path.read_bytes() for path in bot_files if path.exists())


def test_anonymous_modal_answer_leaves_no_trace_of_its_author(bot, live_session, stub, settings, caplog):
    caplog.set_level(logging.INFO)  # the production log level
    session, prompt = live_session
    reply = _answer_through_modal(stub, bot, prompt, SECRET_USER, "Jeg tør ikke sige det højt, men …")
    stub.react(USERS[0], CHANNEL, reply.ts, "+1")

    data = export.session_export(bot.h.store, session.id)
    [answer] = data["prompts"][0]["replies"]
    assert answer["user"] is None and answer["text"] == "Jeg tør ikke sige det højt, men …"
    assert answer["votes"] == 1
    for text in (export.to_json(data), export.to_markdown(data, "da"), export.to_markdown(data, "en")):
        assert SECRET_USER not in text
    assert SECRET_USER.encode() not in _database_text(settings)
    assert SECRET_USER not in caplog.text
    thread_post = stub.message(CHANNEL, reply.ts)
    assert SECRET_USER not in json.dumps(thread_post) and "Anonymt svar" in thread_post["text"]
    thanks = wait_until(lambda: stub.ephemerals(channel=CHANNEL, user=SECRET_USER), "the private thank-you")
    assert "Tak! Dit svar er gemt" in thanks[0]["text"]


def test_anonymous_session_stores_no_author_even_for_thread_replies(bot, clock, stub, settings):
    session, prompt = start_session(bot, clock, stub, anonymity="anonymous")
    stub.post_as_user(SECRET_USER, CHANNEL, "Et svar i tråden", thread_ts=prompt.message_ts)
    [answer] = export.session_export(bot.h.store, session.id)["prompts"][0]["replies"]
    assert answer["user"] is None
    assert SECRET_USER.encode() not in _database_text(settings)
    tip = wait_until(lambda: stub.ephemerals(channel=CHANNEL, user=SECRET_USER), "the private tip")
    assert "Svar anonymt" in tip[0]["text"]
    stub.post_as_user(SECRET_USER, CHANNEL, "Et svar mere", thread_ts=prompt.message_ts)
    wait_until(lambda: len(bot.h.store.replies(session.id)) == 2, "the second reply")
    assert len(stub.ephemerals(channel=CHANNEL, user=SECRET_USER)) == 1, "the tip is given once"


@pytest.mark.parametrize("mode,named", [("named", True), ("choice", True), ("confidential", False)])
def test_named_modal_answer_is_posted_with_a_name_only_where_the_mode_shows_names(bot, clock, stub, mode, named):
    session, prompt = start_session(bot, clock, stub, anonymity=mode)
    reply = _answer_through_modal(stub, bot, prompt, USERS[0], f"Navngivet svar i {mode}", action="answer")
    assert (USERS[0] in stub.message(CHANNEL, reply.ts)["text"]) is named
    assert reply.user_id == USERS[0]


def test_support_button_under_a_posted_answer_counts_one_vote_per_person(bot, live_session, stub):
    session, prompt = live_session
    reply = _answer_through_modal(stub, bot, prompt, SECRET_USER, "Lad os prøve snelaug")
    for voter in USERS[:3]:
        assert stub.click(voter, CHANNEL, reply.ts, "vote", reply.id).status == 200
    stub.react(USERS[0], CHANNEL, reply.ts, "+1")  # the same person by reaction: still one vote
    stub.click(USERS[1], CHANNEL, reply.ts, "vote", reply.id)  # pressing again takes it back
    assert bot.h.store.reply(reply.id).votes == 2
    told = stub.ephemerals(user=USERS[1])
    assert [e["text"].split(".")[0] for e in told][-2:] == ["Tak! Du støtter nu idéen", "Din støtte til idéen er trukket tilbage"]


def test_anonymous_answer_cannot_be_linked_to_the_same_persons_named_reply_or_votes(bot, live_session, stub, settings):
    session, prompt = live_session
    named = stub.post_as_user(SECRET_USER, CHANNEL, "Mit navngivne svar", thread_ts=prompt.message_ts)
    _answer_through_modal(stub, bot, prompt, SECRET_USER, "Mit hemmelige svar")
    stub.react(SECRET_USER, CHANNEL, named.ts, "+1")
    rows = {r.text: r for r in bot.h.store.replies(session.id)}
    secret, public = rows["Mit hemmelige svar"], rows["Mit navngivne svar"]
    voters = {v[0] for v in bot.h.store.db.execute("SELECT voter FROM votes").fetchall()}
    assert secret.user_id is None and public.user_id == SECRET_USER
    assert secret.author != public.author and secret.author not in voters
    people = {p[0] for p in bot.h.store.db.execute("SELECT person FROM participants").fetchall()}
    assert secret.author not in people and public.author not in people
    assert export.session_export(bot.h.store, session.id)["stats"]["participants"] == 1


def test_markup_typed_into_an_answer_stays_text(bot, live_session, stub):
    session, prompt = live_session
    reply = _answer_through_modal(stub, bot, prompt, USERS[2], "Hej <!channel> & <@U0EMP0001>")
    posted = stub.message(CHANNEL, reply.ts)
    assert "&lt;!channel&gt; &amp; &lt;@U0EMP0001&gt;" in json.dumps(posted["blocks"], ensure_ascii=False)
    stub.post_as_user(USERS[3], CHANNEL, "a < b & c > d", thread_ts=prompt.message_ts)
    texts = {r.text for r in bot.h.store.replies(session.id)}
    assert "a < b & c > d" in texts and "Hej <!channel> & <@U0EMP0001>" in texts


def test_two_anonymous_answers_by_one_person_cannot_be_linked(bot, live_session, stub):
    session, prompt = live_session
    first = _answer_through_modal(stub, bot, prompt, SECRET_USER, "Første hemmelighed")
    second = _answer_through_modal(stub, bot, prompt, SECRET_USER, "Anden hemmelighed")
    assert first.author != second.author


def test_an_expired_trigger_gets_a_friendly_retry_message(bot, live_session, stub):
    session, prompt = live_session
    stub.inject("views.open", error="expired_trigger_id", times=1)
    assert stub.click(USERS[5], CHANNEL, prompt.message_ts, "answer", str(prompt.id)).status == 200
    told = wait_until(lambda: stub.ephemerals(user=USERS[5]), "the retry message")
    assert "Tryk på knappen igen" in told[0]["text"]
