"""Anyone sees their own data and can be forgotten: `/hvis mine data` / `my data` (a modal with delete
buttons that work) and `/hvis glem mig` / `forget me` (a confirmation step first, then everything goes)."""

from __future__ import annotations

import json

import pytest

from bot.i18n import t
from tests.support import CHANNEL, GUEST, USERS, exported, texts_of, wait_until

ME, OTHER = USERS[0], USERS[1]
WORDS = {"da": ("mine data", "glem mig"), "en": ("my data", "forget me")}


def open_modal(stub, user, open_it, callback_id):
    seen = {v["id"] for v in stub.views_opened()}
    open_it()
    return wait_until(lambda: next((v for v in stub.views_opened() if v["id"] not in seen and v["user"] == user
                                    and v["callback_id"] == callback_id), None), f"the {callback_id} modal")


def modal(stub, view):
    """A modal as it is now (after the bot updated it)."""
    return next(v for v in stub.views_opened() if v["id"] == view["id"])


def delete_buttons(view):
    return [b["accessory"]["value"] for b in view["blocks"]
            if b.get("accessory", {}).get("action_id") == "delete_answer"]


def answer_with_the_button(bot, stub, user, prompt, text, anonymously=True):
    """A participant presses *Svar anonymt* (or *Svar*) on the prompt and sends the modal; returns the reply id."""
    action = "answer_anonymously" if anonymously else "answer"
    modal = open_modal(stub, user, lambda: stub.click(user, CHANNEL, prompt.message_ts, action, str(prompt.id)),
                       "hvis_answer")
    stub.submit_view(user, modal["id"], {"answer": {"value": text}})
    thread = lambda: [m for m in stub.messages(CHANNEL) if m["thread_ts"] == prompt.message_ts and text in m["text"]]
    wait_until(thread, "the bot's post of the answer")
    return next(r["id"] for r in exported(bot.store, prompt.session_id)["prompts"][0]["replies"] if r["text"] == text)


@pytest.fixture
def answered(bot, stub, live_session):
    """ME answered once in the thread and once anonymously with the button; OTHER answered too."""
    session, prompt = live_session
    stub.post_as_user(ME, CHANNEL, "Mit svar i tråden", thread_ts=prompt.message_ts)
    mine = answer_with_the_button(bot, stub, ME, prompt, "Mit anonyme svar")
    theirs = answer_with_the_button(bot, stub, OTHER, prompt, "En andens svar")
    return session, prompt, mine, theirs


def answer_texts(bot, session):
    return sorted(r["text"] for r in exported(bot.store, session.id)["prompts"][0]["replies"])


@pytest.mark.parametrize("lang", ["da", "en"])
def test_my_data_shows_my_answers_and_only_mine(bot, stub, answered, lang):
    session, prompt, mine, theirs = answered
    view = open_modal(stub, ME, lambda: stub.slash(ME, CHANNEL, WORDS[lang][0]), "hvis_my_data")
    assert view["title"]["text"] == t(lang, "mine.title")
    shown = texts_of(view)
    assert t(lang, "mine.intro", n=2, answers=2) in shown
    assert "Mit svar i tråden" in shown and "Mit anonyme svar" in shown and "En andens svar" not in shown
    assert t(lang, "mine.thread_note") in shown  # a thread message is deleted in Slack itself
    assert delete_buttons(view) == [mine]


def test_deleting_an_answer_from_my_data_removes_it_and_the_bots_post_of_it(bot, stub, answered):
    session, prompt, mine, theirs = answered
    view = open_modal(stub, ME, lambda: stub.slash(ME, CHANNEL, "mine data"), "hvis_my_data")
    posted = next(m for m in stub.messages(CHANNEL) if "Mit anonyme svar" in m["text"])
    assert stub.click_view(ME, view["id"], "delete_answer", mine).status == 200
    assert answer_texts(bot, session) == ["En andens svar", "Mit svar i tråden"]
    wait_until(lambda: stub.message(CHANNEL, posted["ts"]) is None, "the bot's post of it deleted")
    redrawn = wait_until(lambda: (v := modal(stub, view)) and delete_buttons(v) == [] and v, "the modal redrawn")
    assert t("da", "mine.intro", n=1, answers=1) in texts_of(redrawn)


def test_nobody_can_delete_someone_elses_answer(bot, stub, answered):
    session, prompt, mine, theirs = answered
    view = open_modal(stub, ME, lambda: stub.slash(ME, CHANNEL, "mine data"), "hvis_my_data")
    assert stub.click_view(ME, view["id"], "delete_answer", theirs).status == 200  # a forged value
    stub.click_view(ME, view["id"], "delete_answer", mine)  # a real one after it, to know both were handled
    wait_until(lambda: "Mit anonyme svar" not in answer_texts(bot, session), "my own deletion")
    assert "En andens svar" in answer_texts(bot, session)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_forget_me_asks_for_confirmation_first_then_removes_my_answers_and_votes(bot, stub, answered, lang):
    session, prompt, mine, theirs = answered
    other_post = next(m for m in stub.messages(CHANNEL) if "En andens svar" in m["text"])
    stub.react(ME, CHANNEL, other_post["ts"], "+1")
    view = open_modal(stub, ME, lambda: stub.slash(ME, CHANNEL, WORDS[lang][1]), "hvis_forget_me")
    assert view["title"]["text"] == t(lang, "forget.title")
    assert view["submit"]["text"] == t(lang, "forget.submit")
    assert t(lang, "forget.text", n=2, answers=2) in texts_of(view)
    assert len(answer_texts(bot, session)) == 3, "nothing goes before the confirmation"

    stub.submit_view(ME, view["id"])
    wait_until(lambda: stub.messages(stub.dm_channel(ME)), "the report in a DM")
    data = exported(bot.store, session.id)
    assert sorted(r["text"] for r in data["prompts"][0]["replies"]) == ["En andens svar"]
    assert sum(r["votes"] for r in data["prompts"][0]["replies"]) == 0
    assert ME not in json.dumps(data)


def test_forget_me_reports_what_went_and_what_to_delete_by_hand(bot, stub, answered):
    view = open_modal(stub, ME, lambda: stub.slash(ME, CHANNEL, "glem mig"), "hvis_forget_me")
    stub.submit_view(ME, view["id"])
    [dm] = wait_until(lambda: stub.messages(stub.dm_channel(ME)), "the report in a DM")
    assert dm["text"].startswith(t("da", "forget.done", n=2, answers=2))
    assert t("da", "forget.by_hand") in dm["text"]  # their own thread message stays in Slack until they delete it


def test_what_follows_an_english_request_stays_english(bot, stub, answered):
    session, prompt, mine, theirs = answered
    view = open_modal(stub, ME, lambda: stub.slash(ME, CHANNEL, "my data"), "hvis_my_data")
    stub.click_view(ME, view["id"], "delete_answer", mine)
    redrawn = wait_until(lambda: (v := modal(stub, view)) and delete_buttons(v) == [] and v, "the modal redrawn")
    forget = open_modal(stub, ME, lambda: stub.slash(ME, CHANNEL, "forget me"), "hvis_forget_me")
    stub.submit_view(ME, forget["id"])
    [dm] = wait_until(lambda: stub.messages(stub.dm_channel(ME)), "the report in a DM")
    assert t("en", "mine.intro", n=1, answers=1) in texts_of(redrawn)
    assert dm["text"].startswith(t("en", "forget.done", n=1, answers=1))


def test_a_guest_sees_their_data_and_may_be_forgotten_too(bot, stub, live_session):
    """These are not facilitator commands: a single-channel guest (a politician, often) is never refused them."""
    session, prompt = live_session
    stub.post_as_user(GUEST, CHANNEL, "Gæstens svar", thread_ts=prompt.message_ts)
    view = open_modal(stub, GUEST, lambda: stub.slash(GUEST, CHANNEL, "mine data"), "hvis_my_data")
    assert "Gæstens svar" in texts_of(view)
    view = open_modal(stub, GUEST, lambda: stub.slash(GUEST, CHANNEL, "glem mig"), "hvis_forget_me")
    stub.submit_view(GUEST, view["id"])
    wait_until(lambda: stub.messages(stub.dm_channel(GUEST)), "the report in a DM")
    assert answer_texts(bot, session) == []
    assert stub.ephemerals(user=GUEST) == []
