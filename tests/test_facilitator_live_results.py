"""Live results: vote and scale prompts show anonymous aggregates in the prompt message itself (no thread
post per answer); after the session closes, late thread replies are kept and marked, votes are refused
privately, and the prompt says the round is over without buttons."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from bot.i18n import decimal, t
from bot.rules.decks import load_deck
from bot.services import posting, sessions
from tests.support import CHANNEL, FACILITATOR, TEAM, USERS, exported, wait_until

DECK = """
title = "{title}"
language = "{lang}"

[[prompts]]
id = "klar"
kind = "scale"
at = "+0m"
close = "+20m"
text = "{scale}"
scale_labels = [{labels}]

[[prompts]]
id = "foerst"
kind = "vote"
at = "+0m"
close = "+20m"
text = "{vote}"
options = [{options}]
"""
WORDS = {
    "da": dict(title="Hurtige målinger", scale="Tænk nu, hvis borgerne overtog en opgave i morgen. Hvor klar er vi?",
               labels=("Slet ikke klar", "Helt klar"), vote="Tænk nu, hvis vi kun kunne vælge én idé?",
               options=("Snelaug", "Borgerpanel", "Velkomstværter")),
    "en": dict(title="Quick polls", scale="What if citizens took over a task tomorrow? How ready are we?",
               labels=("Not ready at all", "Fully ready"), vote="What if we could choose only one idea?",
               options=("Snow teams", "Citizens' panel", "Welcome hosts")),
}


@pytest.fixture
def fast_tallies(monkeypatch):
    """The tally is redrawn at most every 3 s (Slack's rate limits); here every tick, so no test waits for it."""
    monkeypatch.setattr(posting, "TALLY_EVERY", 0.0)


def poll_session(bot, clock, tmp_path, lang):
    """A session of one scale and one vote prompt, both posted now; returns (session, scale, vote)."""
    words = WORDS[lang]
    path = tmp_path / f"polls-{lang}.toml"
    path.write_text(DECK.format(lang=lang, title=words["title"], scale=words["scale"], vote=words["vote"],
                                labels=", ".join(json.dumps(x) for x in words["labels"]),
                                options=", ".join(json.dumps(x) for x in words["options"])), encoding="utf-8")
    session, prompts = sessions.create_session(
        bot.store, bot.linker, load_deck(str(path)), title=words["title"], channel=CHANNEL, start=clock.now(),
        timezone="Europe/Copenhagen", anonymity_mode="choice", facilitators=[FACILITATOR], now=clock.now(),
        grace=timedelta(minutes=15), team_id=TEAM)
    wait_until(lambda: all(bot.store.prompts.get(p.id).state == "posted" for p in prompts), "both prompts posted")
    scale, vote = (bot.store.prompts.get(p.id) for p in prompts)
    return bot.store.sessions.get(session.id), scale, vote


def answer_modal(stub, user, prompt, anonymously=False):
    seen = {v["id"] for v in stub.views_opened()}
    stub.click(user, CHANNEL, prompt.message_ts, "answer_anonymously" if anonymously else "answer", str(prompt.id))
    return wait_until(lambda: next((v for v in stub.views_opened() if v["id"] not in seen and v["user"] == user),
                                   None), "the answer modal")


def answer(stub, user, prompt, value, anonymously=False):
    view = answer_modal(stub, user, prompt, anonymously)
    assert stub.submit_view(user, view["id"], {"answer": {"value": value}}).status == 200


def shown(stub, prompt) -> str:
    message = stub.message(CHANNEL, prompt.message_ts)
    return "\n".join(b.get("text", {}).get("text", "") for b in message["blocks"] if b["type"] == "section")


def thread(stub, prompt):
    return [m for m in stub.messages(CHANNEL) if m["thread_ts"] == prompt.message_ts and m["ts"] != prompt.message_ts]


def action_ids(message):
    return [e.get("action_id") for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.parametrize("lang", ["da", "en"])
def test_scale_answers_show_as_a_live_anonymous_aggregate_in_the_prompt(bot, stub, clock, tmp_path, fast_tallies,
                                                                        lang):
    session, scale, _ = poll_session(bot, clock, tmp_path, lang)
    low, high = WORDS[lang]["labels"]
    view = answer_modal(stub, USERS[0], scale)
    labels = [o["text"]["text"] for o in next(b for b in view["blocks"] if b["type"] == "input")["element"]["options"]]
    assert labels[0].startswith("1") and low in labels[0] and labels[4].startswith("5") and high in labels[4]
    stub.submit_view(USERS[0], view["id"], {"answer": {"value": "4"}})
    answer(stub, USERS[1], scale, "5", anonymously=True)
    answer(stub, USERS[2], scale, "2")

    wait_until(lambda: t(lang, "tally.scale", n=3, mean=decimal(lang, 3.7)) in shown(stub, scale), "the tally of three")
    assert stub.calls_to("chat.update") and all(c.args["ts"] == scale.message_ts for c in stub.calls_to("chat.update"))
    assert thread(stub, scale) == [], "no thread post per answer"
    message = json.dumps(stub.message(CHANNEL, scale.message_ts), ensure_ascii=False)
    assert not any(user in message or f"Person {user}" in message for user in USERS[:3])
    assert {"answer", "answer_anonymously"} <= set(action_ids(stub.message(CHANNEL, scale.message_ts)))


@pytest.mark.parametrize("lang", ["da", "en"])
def test_vote_answers_show_live_counts_per_option_in_the_prompt(bot, stub, clock, tmp_path, fast_tallies, lang):
    session, _, vote = poll_session(bot, clock, tmp_path, lang)
    first, second, third = WORDS[lang]["options"]
    view = answer_modal(stub, USERS[0], vote)
    radio = next(b for b in view["blocks"] if b["type"] == "input")["element"]
    assert [o["value"] for o in radio["options"]] == [first, second, third]
    stub.submit_view(USERS[0], view["id"], {"answer": {"value": second}})
    answer(stub, USERS[1], vote, second, anonymously=True)
    answer(stub, USERS[2], vote, first)

    wait_until(lambda: t(lang, "tally.vote", n=3) in shown(stub, vote), "the tally of three")
    lines = shown(stub, vote).splitlines()
    for option, count in ((second, 2), (first, 1), (third, 0)):
        assert any(re.search(rf"\b{count}\s+{re.escape(option)}$", line) for line in lines), (option, lines)
    assert thread(stub, vote) == []
    message = json.dumps(stub.message(CHANNEL, vote.message_ts), ensure_ascii=False)
    assert not any(user in message for user in USERS[:3])


@pytest.mark.parametrize("lang", ["da", "en"])
def test_a_closed_prompt_says_the_round_is_over_keeps_its_result_and_has_no_buttons(bot, stub, clock, tmp_path,
                                                                                   fast_tallies, lang):
    session, scale, vote = poll_session(bot, clock, tmp_path, lang)
    answer(stub, USERS[0], scale, "3")
    answer(stub, USERS[1], vote, WORDS[lang]["options"][0])
    sessions.close_session(bot.store, bot.linker, session, clock.now())
    for prompt in (scale, vote):
        wait_until(lambda: t(lang, "prompt.closed") in json.dumps(stub.message(CHANNEL, prompt.message_ts),
                                                                   ensure_ascii=False), "the closed note")
        assert action_ids(stub.message(CHANNEL, prompt.message_ts)) == []
    assert t(lang, "tally.scale", n=1, mean=decimal(lang, 3.0)) in shown(stub, scale)
    assert t(lang, "tally.vote", n=1) in shown(stub, vote)
    # The close's wrap-up and files are made before the bot stops, so stopping it has nothing left to wait for.
    wait_until(lambda: all(p.state == "sent" for p in bot.store.posts.of_session(session.id)), "the wrap-up sent")


def test_a_thread_reply_after_close_is_kept_and_marked_late(bot, stub, live_session):
    session, prompt = live_session
    stub.post_as_user(USERS[0], CHANNEL, "I tide", thread_ts=prompt.message_ts)
    stub.slash(FACILITATOR, CHANNEL, f"luk {session.id}")
    wait_until(lambda: bot.store.sessions.get(session.id).state == "closed", "closed")
    assert stub.post_as_user(USERS[1], CHANNEL, "For sent", thread_ts=prompt.message_ts).status == 200
    replies = {r["text"]: r["late"] for r in exported(bot.store, session.id)["prompts"][0]["replies"]}
    assert replies == {"I tide": False, "For sent": True}


def test_a_vote_after_close_is_refused_privately_and_not_counted(bot, stub, clock, live_session):
    session, prompt = live_session
    reply = stub.post_as_user(USERS[0], CHANNEL, "En idé i tråden", thread_ts=prompt.message_ts)
    answer(stub, USERS[1], prompt, "En idé fra knappen")
    posted = wait_until(lambda: [m for m in thread(stub, prompt) if "En idé fra knappen" in m["text"]], "its post")[0]
    support = next(e for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"])
    stub.click(USERS[3], CHANNEL, posted["ts"], "vote", support["value"])  # counted: the session runs
    wait_until(lambda: stub.ephemerals(user=USERS[3]), "the receipt")
    sessions.close_session(bot.store, bot.linker, session, clock.now())

    stub.react(USERS[2], CHANNEL, reply.ts, "+1")
    stub.click(USERS[2], CHANNEL, posted["ts"], "vote", support["value"])
    refusal = t("da", "vote.closed", title=session.title)
    notes = wait_until(lambda: len(stub.ephemerals(user=USERS[2])) >= 2 and stub.ephemerals(user=USERS[2]),
                       "two private notes")
    assert [n["text"] for n in notes] == [refusal, refusal]
    assert all(n["channel"] == CHANNEL for n in notes)
    votes = {r["text"]: r["votes"] for r in exported(bot.store, session.id)["prompts"][0]["replies"]}
    assert votes == {"En idé i tråden": 0, "En idé fra knappen": 1}
