"""A facilitator runs the day with `/hvis` (Danish words, English aliases): start, pause, resume, send,
close, cancel, summary, export, help and role; everyone else is refused privately and nothing happens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import exports
from bot.i18n import t
from bot.rules.decks import load_deck
from bot.rules.schedule import parse_iso
from bot.services import sessions
from tests.conftest import start_session
from tests.support import CHANNEL, FACILITATOR, GUEST, TEAM, USERS, exported, wait_until

OTHER = "COTHERCHAN"
DECKS = {"da": "velfaerd", "en": "welfare-en"}


def command(stub, user, text, channel=CHANNEL) -> dict:
    """Run `/hvis text` and wait for the private answer; returns it."""
    before = len(stub.ephemerals(user=user))
    assert stub.slash(user, channel, text).status == 200
    return wait_until(lambda: stub.ephemerals(user=user)[before:], f"an answer to /hvis {text}")[0]


def scheduled(bot, clock, lang="da", minutes=60, facilitators=(FACILITATOR,)):
    """A session planned `minutes` from now (English sessions come from the English deck)."""
    session, _ = sessions.create_session(
        bot.store, bot.linker, load_deck(DECKS[lang]), title="Temadag", channel=CHANNEL,
        start=clock.now() + timedelta(minutes=minutes), timezone="Europe/Copenhagen", anonymity_mode="choice",
        facilitators=list(facilitators), now=clock.now(), grace=timedelta(minutes=15), team_id=TEAM)
    return session


def live(bot, clock, lang):
    return start_session(bot, clock, deck=DECKS[lang])


def top_level(stub):
    return [m for m in stub.messages(CHANNEL) if m["thread_ts"] in (None, m["ts"]) and m["subtype"] is None]


def ticked(bot, times=2):
    """Run the scheduler's tick now (what the background tick does every 0.05 s), so 'nothing happened' is known."""
    for _ in range(times):
        bot.ticker.tick()


def dm_files(stub, user):
    return [f for f in stub.files if f["channel_id"] == stub.dm_channel(user)]


def buttons(message, action_id):
    return [e for b in message.get("blocks") or [] for e in [*(b.get("elements") or []), b.get("accessory")]
            if isinstance(e, dict) and e.get("action_id") == action_id]


LANGS = pytest.mark.parametrize("lang", ["da", "en"])


# ---- running the day --------------------------------------------------------------------------------------
@LANGS
def test_start_posts_the_first_prompt_now_and_moves_the_plan(bot, stub, clock, lang):
    session = scheduled(bot, clock, lang, minutes=60)
    first, second = bot.store.prompts.of(session.id)[:2]
    answer = command(stub, FACILITATOR, f"start {session.id}")
    assert answer["text"] == t(lang, "session.started", title=session.title, minutes=60, n=60)
    wait_until(lambda: bot.store.prompts.get(first.id).state == "posted", "the first prompt posted")
    assert [m["ts"] for m in top_level(stub)] == [bot.store.prompts.get(first.id).message_ts]
    assert bot.store.sessions.get(session.id).state == "running"
    assert parse_iso(bot.store.prompts.get(second.id).due_at) == parse_iso(second.due_at) - timedelta(minutes=60)


@pytest.mark.parametrize("lang, pause, resume", [("da", "pause", "fortsæt"), ("en", "pause", "resume")])
def test_pause_holds_due_prompts_resume_offers_them_and_send_posts_one(bot, stub, clock, lang, pause, resume):
    session, first = live(bot, clock, lang)
    second = bot.store.prompts.of(session.id)[1]
    answer = command(stub, FACILITATOR, f"{pause} {session.id}")
    assert answer["text"] == t(lang, "session.paused", title=session.title)
    assert bot.store.sessions.get(session.id).state == "paused"

    posted = [m["ts"] for m in stub.messages(CHANNEL)]
    clock.advance(minutes=31)  # the first prompt's reminder and the second prompt fall due during the pause
    ticked(bot)
    assert bot.store.prompts.get(second.id).state == "pending"
    assert [m["ts"] for m in stub.messages(CHANNEL)] == posted, "nothing is posted while paused, reminders included"

    bot.scheduler.pause()  # no tick during the resume itself: that race has its own test below
    answer = command(stub, FACILITATOR, f"{resume} {session.id}")
    bot.scheduler.resume()
    assert answer["text"] == t(lang, "session.resumed", title=session.title) + " " + t(
        lang, "session.overdue", n=1, count=1)
    assert [b["value"] for b in buttons(answer, "post_now")] == [str(second.id)]
    assert buttons(answer, "post_now")[0]["text"]["text"] == t(lang, "button.post_now")
    ticked(bot)
    assert bot.store.prompts.get(second.id).state == "missed"
    assert len(top_level(stub)) == 1, "what fell due in the pause is offered, not posted"
    assert bot.store.sessions.get(session.id).state == "running"

    answer = command(stub, FACILITATOR, f"send {session.id}")  # the facilitator chooses to post it now
    assert answer["text"] == t(lang, "facilitator.posting_now", number=2)
    wait_until(lambda: bot.store.prompts.get(second.id).state == "posted", "the second prompt posted")


def test_a_tick_during_resume_does_not_post_what_fell_due_in_the_pause(bot, stub, clock, monkeypatch):
    session, first = live(bot, clock, "da")
    second = bot.store.prompts.of(session.id)[1]
    command(stub, FACILITATOR, f"pause {session.id}")
    clock.advance(minutes=31)
    overdue = bot.store.prompts.overdue

    def tick_first(*args):
        """The scheduler's tick lands while the resume is under way (it ticks every second in production)."""
        bot.ticker.tick()
        return overdue(*args)
    monkeypatch.setattr(bot.store.prompts, "overdue", tick_first)
    answer = command(stub, FACILITATOR, f"fortsæt {session.id}")
    monkeypatch.undo()
    ticked(bot)
    assert [b["value"] for b in buttons(answer, "post_now")] == [str(second.id)]
    assert bot.store.prompts.get(second.id).state == "missed"
    assert len(top_level(stub)) == 1


def test_send_posts_the_next_prompt_now(bot, stub, clock):
    lang = "en"
    session, first = live(bot, clock, lang)
    second = bot.store.prompts.of(session.id)[1]
    answer = command(stub, FACILITATOR, f"send {session.id}")
    assert answer["text"] == t(lang, "facilitator.posting_now", number=2)
    wait_until(lambda: bot.store.prompts.get(second.id).state == "posted", "the second prompt posted")
    assert len(top_level(stub)) == 2


def test_a_round_is_not_closed_while_its_session_is_paused(bot, stub, live_session, clock):
    session, first = live_session
    command(stub, FACILITATOR, f"pause {session.id}")
    clock.advance(minutes=26)  # past the first prompt's close time
    ticked(bot)
    assert bot.store.prompts.get(first.id).state == "posted"
    assert {"answer", "answer_anonymously"} <= {
        e["action_id"] for b in stub.message(CHANNEL, first.message_ts)["blocks"] if b["type"] == "actions"
        for e in b["elements"]}


@pytest.mark.parametrize("lang, word", [("da", "luk"), ("en", "close")])
def test_close_posts_a_wrap_up_in_the_channel_and_dms_the_files(bot, stub, clock, lang, word):
    session, first = live(bot, clock, lang)
    stub.post_as_user(USERS[0], CHANNEL, "En idé", thread_ts=first.message_ts)
    answer = command(stub, FACILITATOR, f"{word} {session.id}")
    assert answer["text"] == t(lang, "session.closed", title=session.title)
    assert bot.store.sessions.get(session.id).state == "closed"
    wrapup = wait_until(lambda: [m for m in top_level(stub) if m["blocks"] and
                                 m["blocks"][0].get("text", {}).get("text") == t(lang, "wrapup.header")], "a wrap-up")
    assert len(wrapup) == 1
    files = wait_until(lambda: len(dm_files(stub, FACILITATOR)) >= 4 and dm_files(stub, FACILITATOR), "the files")
    assert sorted(f["filename"].rsplit(".", 1)[1] for f in files) == ["html", "json", "md", "xlsx"]
    assert all(f["bytes"] for f in files)


def test_cancel_removes_a_session_that_never_started_without_a_word_in_the_channel(bot, stub, clock):
    lang = "en"
    session = scheduled(bot, clock, lang, minutes=60)
    answer = command(stub, FACILITATOR, f"cancel {session.id}")
    assert answer["text"] == t(lang, "session.cancelled", title=session.title)
    assert bot.store.sessions.list() == [] and bot.store.prompts.of(session.id) == []
    clock.advance(minutes=61)
    ticked(bot)
    assert stub.messages(CHANNEL) == []


def test_cancel_refuses_a_session_that_has_started(bot, stub, live_session):
    session, first = live_session
    answer = command(stub, FACILITATOR, f"aflys {session.id}")
    assert answer["text"] == t("da", "session.cannot_cancel", title=session.title)
    assert bot.store.sessions.get(session.id).state == "running"
    assert bot.store.prompts.get(first.id).state == "posted"


@pytest.mark.parametrize("lang, word", [("da", "opsummering"), ("en", "summary")])
def test_summary_comes_to_the_facilitator_alone(bot, stub, clock, lang, word):
    session, first = live(bot, clock, lang)
    for user in USERS[:2]:
        stub.post_as_user(user, CHANNEL, f"Idé fra {user}", thread_ts=first.message_ts)
    posts = len(stub.calls_to("chat.postMessage"))
    answer = command(stub, FACILITATOR, f"{word} {session.id}")
    assert answer["text"] == t(lang, "summary.head", title=session.title, answers=2, people=2, n=2, votes=0)
    assert answer["source"] == "response_url" and answer["user"] == FACILITATOR
    assert len(stub.calls_to("chat.postMessage")) == posts


@pytest.mark.parametrize("lang, text, ending", [("da", "eksport {id} xlsx", "xlsx"), ("en", "export {id} csv", "csv")])
def test_export_sends_the_chosen_format_as_a_file_in_a_dm_and_refuses_unknown_ones(bot, stub, clock, lang, text,
                                                                                  ending):
    session, first = live(bot, clock, lang)
    answer = command(stub, FACILITATOR, text.format(id=session.id).replace(ending, "pdf"))
    assert answer["text"] == t(lang, "export.bad_format", format="pdf", formats=", ".join(exports.FORMATS))
    assert stub.files == []
    answer = command(stub, FACILITATOR, text.format(id=session.id))
    assert answer["text"] == t(lang, "export.sent", title=session.title)
    [sent] = wait_until(lambda: dm_files(stub, FACILITATOR), "the file")
    assert sent["filename"] == exports.filename(session, ending) and sent["bytes"]


def test_the_id_may_be_left_out_in_the_session_channel_but_not_elsewhere(bot, stub, live_session):
    session, _ = live_session
    stub.add_channel(OTHER, "andet", members=[FACILITATOR])
    answer = command(stub, FACILITATOR, "pause", channel=OTHER)
    assert answer["text"] == t("da", "session.which", sessions=f"`{session.id}` ({session.title})")
    answer = command(stub, FACILITATOR, "pause nope1234")
    assert answer["text"] == t("da", "session.unknown", id="nope1234")
    assert bot.store.sessions.get(session.id).state == "running"

    answer = command(stub, FACILITATOR, "pause")
    assert answer["text"] == t("da", "session.paused", title=session.title)
    assert bot.store.sessions.get(session.id).state == "paused"


# ---- permissions ----------------------------------------------------------------------------------------
FACILITATOR_WORDS = ["ny", "new", "start", "pause", "fortsæt", "send", "luk", "aflys", "opsummering", "eksport",
                     "planlæg", "resume", "close", "cancel", "summary", "export", "plan"]


def refusals(session):
    """The private refusal, in Danish or English (the session's language, or the caller's English word)."""
    return {t(lang, key, title=session.title) for lang in ("da", "en")
            for key in ("notice.not_facilitator", "notice.not_facilitator_any")}


@pytest.mark.parametrize("who", ["employee", "guest named as facilitator"])
def test_every_facilitator_command_is_refused_privately_to_others_and_changes_nothing(bot, stub, clock, who):
    user = USERS[0] if who == "employee" else GUEST
    session, first = start_session(bot, clock, facilitators=(FACILITATOR, GUEST))
    stub.post_as_user(USERS[1], CHANNEL, "En idé", thread_ts=first.message_ts)
    before = (bot.store.sessions.get(session.id), bot.store.prompts.of(session.id), stub.messages(CHANNEL))
    for word in FACILITATOR_WORDS:
        answer = command(stub, user, f"{word} {session.id}")
        assert answer["text"] in refusals(session), word
        assert answer["user"] == user and answer["source"] == "response_url"
    ticked(bot)
    assert (bot.store.sessions.get(session.id), bot.store.prompts.of(session.id), stub.messages(CHANNEL)) == before
    assert stub.files == [] and stub.views_opened() == []
    assert stub.messages(stub.dm_channel(user)) == [] and stub.messages(stub.dm_channel(FACILITATOR)) == []


@pytest.mark.parametrize("lang, word", [("da", "hjælp"), ("en", "help")])
def test_help_lists_the_facilitator_commands_to_facilitators_only(bot, stub, clock, lang, word):
    start_session(bot, clock, facilitators=(FACILITATOR, GUEST))
    answer = command(stub, FACILITATOR, word)
    assert answer["text"] == t(lang, "help.participant") + "\n\n" + t(lang, "help.facilitator")
    for user in (USERS[0], GUEST):  # an employee, and a guest named as facilitator
        answer = command(stub, user, word)
        assert answer["text"] == t(lang, "help.participant"), user


def test_a_facilitator_sets_someones_role_and_their_next_reply_carries_it(bot, stub, live_session):
    session, first = live_session
    refused = command(stub, USERS[1], f"rolle <@{USERS[0]}> politiker")
    assert refused["text"] == t("da", "notice.not_facilitator_any")
    answer = command(stub, FACILITATOR, f"rolle <@{USERS[0]}|p> politiker")
    assert answer["text"] == t("da", "role.set", user=USERS[0], role=t("da", "role.politician"))
    stub.post_as_user(USERS[0], CHANNEL, "Som politiker mener jeg", thread_ts=first.message_ts)
    [reply] = exported(bot.store, session.id)["prompts"][0]["replies"]
    assert reply["role"] == "politician"
