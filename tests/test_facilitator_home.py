"""The App Home: a dashboard for facilitators whose buttons run the day; for everyone else how to take
part, the anonymity modes in plain words, and their own data with delete buttons."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from bot.i18n import clock as clock_text
from bot.i18n import date as date_text
from bot.i18n import t
from bot.rules.decks import load_deck
from bot.rules.schedule import local
from bot.services import sessions
from tests.conftest import start_session
from tests.support import CHANNEL, FACILITATOR, GUEST, TEAM, USERS, exported, texts_of, wait_until

TZ = "Europe/Copenhagen"
OTHER = "COTHERCHAN"
LEAD = USERS[5]  # facilitates one session only; not a configured facilitator


@pytest.fixture
def settings(settings, request):
    """The workspace's language (what the Home tab is written in): Danish unless a test asks for English."""
    return dataclasses.replace(settings, language=getattr(request, "param", "da"))


BOTH = pytest.mark.parametrize("settings", ["da", "en"], indirect=True)


def buttons(view, value=None):
    """Action ids of the buttons in a view (of one session's card, if `value` names it)."""
    return [e["action_id"] for b in view["blocks"] for e in [*(b.get("elements") or []), b.get("accessory")]
            if isinstance(e, dict) and e.get("type") == "button" and (value is None or e.get("value") == value)]


def home(stub, user, until=lambda view: True, what="the Home tab"):
    """The user's Home tab once it satisfies `until` (it is redrawn after each button)."""
    return wait_until(lambda: (view := stub.home_views.get(user)) and until(view) and view, what)


def opened_home(stub, user):
    stub.open_home(user)
    return home(stub, user)


def scheduled(bot, clock, channel=OTHER, minutes=60, facilitators=(FACILITATOR,), title="I morgen"):
    session, _ = sessions.create_session(
        bot.store, bot.linker, load_deck("velfaerd"), title=title, channel=channel,
        start=clock.now() + timedelta(minutes=minutes), timezone=TZ, anonymity_mode="choice",
        facilitators=list(facilitators), now=clock.now(), grace=timedelta(minutes=15), team_id=TEAM)
    return session


def dm_texts(stub, user):
    return [m["text"] for m in stub.messages(stub.dm_channel(user))]


@BOTH
def test_the_dashboard_shows_each_session_with_state_next_prompt_and_answers(bot, stub, clock, settings):
    lang = settings.language
    stub.add_channel(OTHER, "andet", members=[FACILITATOR, LEAD])
    live, first = start_session(bot, clock, facilitators=(LEAD,))
    later = scheduled(bot, clock, minutes=24 * 60)
    for user in USERS[:2]:
        stub.post_as_user(user, CHANNEL, f"Idé fra {user}", thread_ts=first.message_ts)
    second = bot.store.prompts.of(live.id)[1]

    view = opened_home(stub, FACILITATOR)
    shown = texts_of(view)
    assert t(lang, "home.facilitator_header") in shown
    assert f"*{live.title}*  ·  <#{CHANNEL}>  ·  {t(lang, 'state.running')}" in shown
    assert f"*{later.title}*  ·  <#{OTHER}>  ·  {t(lang, 'state.scheduled')}" in shown
    assert t(lang, "home.counts", answers=2, people=2, n=2) in shown
    assert t(lang, "home.next", number=2, total=8, time=clock_text(lang, local(second.due_at, TZ))) in shown
    start = local(later.start_at, TZ)
    assert t(lang, "home.when", day=date_text(lang, start), time=clock_text(lang, start)) in shown
    assert buttons(view, live.id) == ["home_plan", "home_pause", "home_send", "home_close", "home_summary",
                                      "home_export"]
    assert buttons(view, later.id) == ["home_plan", "home_start", "home_pause", "home_close", "home_summary",
                                       "home_export"]
    assert "new_session" in buttons(view)

    mine = opened_home(stub, LEAD)  # named on one session only: sees that one, and may not plan new ones
    assert live.title in texts_of(mine) and later.title not in texts_of(mine)
    assert "new_session" not in buttons(mine)


def test_the_start_button_posts_the_first_prompt_now(bot, stub, clock):
    session = scheduled(bot, clock, channel=CHANNEL, minutes=60, title="Temadag")
    first = bot.store.prompts.of(session.id)[0]
    opened_home(stub, FACILITATOR)
    stub.click_home(FACILITATOR, "home_start", session.id)
    wait_until(lambda: bot.store.prompts.get(first.id).state == "posted", "the first prompt posted")
    wait_until(lambda: t("da", "session.started", title=session.title, minutes=60, n=60) in dm_texts(
        stub, FACILITATOR), "the answer in a DM")


def test_after_start_the_dashboard_shows_the_session_running(bot, stub, clock):
    session = scheduled(bot, clock, channel=CHANNEL, minutes=60, title="Temadag")
    first = bot.store.prompts.of(session.id)[0]
    opened_home(stub, FACILITATOR)
    publishes = len(stub.calls_to("views.publish"))
    bot.scheduler.pause()  # the tick waits until the Home tab has been redrawn: the order a busy Slack makes likely
    stub.click_home(FACILITATOR, "home_start", session.id)
    wait_until(lambda: len(stub.calls_to("views.publish")) > publishes, "the redraw after the click")
    bot.scheduler.resume()
    wait_until(lambda: bot.store.prompts.get(first.id).state == "posted", "the first prompt posted")
    view = wait_until(lambda: (v := stub.home_views[FACILITATOR]) and "home_start" not in buttons(v, session.id)
                      and v, "the dashboard redrawn", timeout=1)
    assert f"*{session.title}*  ·  <#{CHANNEL}>  ·  {t('da', 'state.running')}" in texts_of(view)


def test_dashboard_buttons_pause_resume_and_send(bot, stub, live_session):
    session, first = live_session
    second = bot.store.prompts.of(session.id)[1]
    opened_home(stub, FACILITATOR)

    stub.click_home(FACILITATOR, "home_pause", session.id)
    view = home(stub, FACILITATOR, lambda v: "home_resume" in buttons(v, session.id), "the resume button")
    assert bot.store.sessions.get(session.id).state == "paused"
    assert t("da", "state.paused") in texts_of(view)
    wait_until(lambda: t("da", "session.paused", title=session.title) in dm_texts(stub, FACILITATOR), "a DM")

    stub.click_home(FACILITATOR, "home_resume", session.id)
    home(stub, FACILITATOR, lambda v: "home_pause" in buttons(v, session.id), "the pause button again")
    assert bot.store.sessions.get(session.id).state == "running"

    stub.click_home(FACILITATOR, "home_send", session.id)
    wait_until(lambda: bot.store.prompts.get(second.id).state == "posted", "the second prompt posted")


def test_dashboard_buttons_new_plan_summary_export_and_close(bot, stub, live_session):
    session, first = live_session
    stub.post_as_user(USERS[0], CHANNEL, "En idé", thread_ts=first.message_ts)
    view = opened_home(stub, FACILITATOR)

    stub.click_home(FACILITATOR, "new_session", "")
    wait_until(lambda: [v for v in stub.views_opened() if v["callback_id"] == "hvis_plan_session"], "the new modal")

    stub.click_home(FACILITATOR, "home_plan", session.id)
    plan = wait_until(lambda: [v for v in stub.views_opened() if v["callback_id"] == "hvis_plan"], "the plan modal")
    assert plan[0]["user"] == FACILITATOR

    stub.click_home(FACILITATOR, "home_summary", session.id)
    summary = t("da", "summary.head", title=session.title, answers=1, people=1, n=1, votes=0)
    wait_until(lambda: summary in dm_texts(stub, FACILITATOR), "the summary in a DM")

    stub.click_home(FACILITATOR, "home_export", session.id)
    files = wait_until(lambda: [f for f in stub.files if f["channel_id"] == stub.dm_channel(FACILITATOR)], "files")
    assert sorted(f["filename"].rsplit(".", 1)[1] for f in files) == ["html", "xlsx"]

    [close] = [e for b in view["blocks"] for e in b.get("elements") or []
               if e.get("action_id") == "home_close" and e.get("value") == session.id]
    assert close["confirm"]["title"]["text"] == t("da", "close.title")  # Slack asks before it closes
    stub.click_home(FACILITATOR, "home_close", session.id)
    home(stub, FACILITATOR, lambda v: t("da", "state.closed") in texts_of(v), "the dashboard shows it closed")
    assert bot.store.sessions.get(session.id).state == "closed"
    wait_until(lambda: [m for m in stub.messages(CHANNEL) if m["blocks"] and
                        m["blocks"][0].get("text", {}).get("text") == t("da", "wrapup.header")], "the wrap-up")


@BOTH
def test_everyone_else_sees_how_to_take_part_the_modes_and_their_own_data(bot, stub, clock, settings):
    lang = settings.language
    session, first = start_session(bot, clock, facilitators=(FACILITATOR, GUEST))
    stub.post_as_user(USERS[0], CHANNEL, "Mit svar", thread_ts=first.message_ts)
    for user in (USERS[0], GUEST):  # an employee, and a guest named as facilitator: neither gets a dashboard
        view = opened_home(stub, user)
        shown = texts_of(view)
        assert t(lang, "home.facilitator_header") not in shown
        assert not [a for a in buttons(view) if a.startswith("home_") or a == "new_session"]
        assert t(lang, "home.participant_header") in shown
        assert t(lang, "home.how") in shown and t(lang, "home.modes") in shown
        assert "forget_me" in buttons(view)
    assert t(lang, "mine.intro", n=1, answers=1) in texts_of(stub.home_views[USERS[0]])
    assert "Mit svar" in texts_of(stub.home_views[USERS[0]])


def test_a_participant_deletes_an_answer_and_is_forgotten_from_the_home_tab(bot, stub, live_session):
    session, first = live_session
    me = USERS[0]
    stub.post_as_user(me, CHANNEL, "Mit svar i tråden", thread_ts=first.message_ts)
    seen = {v["id"] for v in stub.views_opened()}
    stub.click(me, CHANNEL, first.message_ts, "answer_anonymously", str(first.id))
    modal = wait_until(lambda: [v for v in stub.views_opened() if v["id"] not in seen], "the answer modal")[0]
    stub.submit_view(me, modal["id"], {"answer": {"value": "Mit anonyme svar"}})
    wait_until(lambda: len(exported(bot.store, session.id)["prompts"][0]["replies"]) == 2, "two answers")

    view = opened_home(stub, me)
    [reply_id] = [b["accessory"]["value"] for b in view["blocks"]
                  if b.get("accessory", {}).get("action_id") == "delete_answer"]
    stub.click_home(me, "delete_answer", reply_id)
    home(stub, me, lambda v: "delete_answer" not in buttons(v), "the Home tab redrawn")
    assert [r["text"] for r in exported(bot.store, session.id)["prompts"][0]["replies"]] == ["Mit svar i tråden"]

    seen = {v["id"] for v in stub.views_opened()}
    stub.click_home(me, "forget_me", "")
    confirm = wait_until(lambda: [v for v in stub.views_opened() if v["id"] not in seen], "the confirmation")[0]
    assert confirm["callback_id"] == "hvis_forget_me"
    assert len(exported(bot.store, session.id)["prompts"][0]["replies"]) == 1  # nothing goes before confirming
    stub.submit_view(me, confirm["id"])
    wait_until(lambda: exported(bot.store, session.id)["prompts"][0]["replies"] == [], "forgotten")


def test_a_dashboard_click_from_someone_who_does_not_facilitate_is_refused_and_changes_nothing(bot, stub,
                                                                                              live_session):
    """A stale Home tab, or a forged request: the click reaches the bot, which checks who pressed it."""
    from standin.delivery import view_actions

    session, first = live_session
    intruder = USERS[0]
    view = opened_home(stub, intruder)
    ws = stub.ws
    for action in ("home_close", "home_send", "home_export"):
        with ws.lock:
            payload = view_actions(ws, intruder, view, stub.verification_token, ws.issue_trigger(intruder, None),
                                   {"action_id": action, "block_id": "forged", "type": "button", "value": session.id,
                                    "action_ts": ws.next_ts()})
        assert stub.deliver(payload).status == 200
    refusal = t("da", "notice.not_facilitator", title=session.title)
    wait_until(lambda: dm_texts(stub, intruder) == [refusal] * 3, "three private refusals")
    assert bot.store.sessions.get(session.id).state == "running"
    assert [p.state for p in bot.store.prompts.of(session.id)][:2] == ["posted", "pending"]
    assert stub.files == [] and len(stub.messages(CHANNEL)) == 1
