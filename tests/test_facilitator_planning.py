"""A facilitator plans a theme day without leaving Slack: `/hvis ny` and its modal, the DM with the
schedule and its test button, inline validation, and `/hvis planlæg` to change prompts before they go out."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from bot.i18n import clock as clock_text
from bot.i18n import date as date_text
from bot.i18n import t
from bot.rules.decks import load_deck
from bot.rules.schedule import local, parse_iso
from bot.services import sessions
from tests.support import CHANNEL, FACILITATOR, TEAM, USERS, running_bot, texts_of, wait_until

TZ = "Europe/Copenhagen"
# The clock fixture stands at 12 March 2026 08:00 UTC, 09:00 in Copenhagen.
TODAY = "2026-03-12"


def open_modal(stub, user, open_it, callback_id):
    """Do `open_it` and wait for the bot to open (or push) a new modal with `callback_id` for `user`."""
    seen = {v["id"] for v in stub.views_opened()}
    open_it()
    return wait_until(lambda: next((v for v in stub.views_opened() if v["id"] not in seen and v["user"] == user
                                    and v["callback_id"] == callback_id), None), f"the {callback_id} modal")


def planning_modal(stub, user=FACILITATOR, channel=CHANNEL, word="ny"):
    return open_modal(stub, user, lambda: stub.slash(user, channel, word), "hvis_plan_session")


def submit(stub, user, view, **fields):
    """Submit the planning modal with {block_id: value}; untouched inputs keep their initial values."""
    values = {block: {block: value} for block, value in fields.items()}
    return stub.submit_view(user, view["id"], values)


def errors_of(delivery) -> dict:
    body = delivery.json() or {}
    assert body.get("response_action") == "errors", body
    return body["errors"]


def is_open(stub, view) -> bool:
    return next(v for v in stub.views_opened() if v["id"] == view["id"])["open"]


def dm_messages(stub, user):
    return stub.messages(stub.dm_channel(user))


def elements(view_or_message, action_id):
    out = []
    for block in view_or_message.get("blocks") or []:
        for element in [*(block.get("elements") or []), block.get("accessory"), block.get("element")]:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                out.append(element)
    return out


def planned_session(bot, clock, at_minutes=60, deck="velfaerd", channel=CHANNEL, facilitators=(FACILITATOR,)):
    session, _ = sessions.create_session(
        bot.store, bot.linker, load_deck(deck), title="Temadag", channel=channel,
        start=clock.now() + timedelta(minutes=at_minutes), timezone=TZ, anonymity_mode="choice",
        facilitators=list(facilitators), now=clock.now(), grace=timedelta(minutes=15), team_id=TEAM)
    return session


# ---- the planning modal --------------------------------------------------------------------------------
@pytest.mark.parametrize("word, lang", [("ny", "da"), ("new", "en")])
def test_new_opens_the_planning_modal_with_every_field(bot, stub, word, lang):
    view = planning_modal(stub, word=word)
    assert view["title"]["text"] == t(lang, "new.modal_title")
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert {"title", "channel", "deck", "date", "time", "anonymity", "facilitators", "language"} <= set(inputs)
    assert inputs["title"]["label"]["text"] == t(lang, "new.title")
    assert inputs["channel"]["element"]["type"] == "conversations_select"
    assert {o["value"] for o in inputs["deck"]["element"]["options"]} >= {"velfaerd", "welfare-en"}
    assert inputs["date"]["element"]["initial_date"] == TODAY
    assert inputs["time"]["element"]["type"] == "timepicker"
    assert t(lang, "new.time_hint", zone=TZ) == inputs["time"]["hint"]["text"]
    modes = inputs["anonymity"]["element"]["options"]
    assert [o["value"] for o in modes] == ["choice", "named", "confidential", "anonymous"]
    assert [o["text"]["text"] for o in modes] == [t(lang, f"anonymity.{m}") for m in ("choice", "named",
                                                                                     "confidential", "anonymous")]
    shown = texts_of(view)  # each mode explained in full, not cut to fit an option
    assert all(t(lang, f"mode.{m}") in shown for m in ("choice", "named", "confidential", "anonymous"))
    assert inputs["facilitators"]["element"]["initial_users"] == [FACILITATOR]
    assert inputs["language"]["element"]["initial_option"]["value"] == lang


@pytest.mark.parametrize("word, lang, deck", [("ny", "da", "velfaerd"), ("new", "en", "welfare-en")])
def test_submitting_the_modal_creates_the_session_and_dms_the_schedule(bot, stub, word, lang, deck):
    view = planning_modal(stub, word=word)
    delivery = submit(stub, FACILITATOR, view, title="Temadag om velfærd", deck=deck, time="10:00",
                      anonymity="confidential", language=lang)
    assert delivery.status == 200 and not (delivery.json() or {}).get("errors")
    assert not is_open(stub, view)
    [session] = bot.store.sessions.list()
    assert (session.title, session.channel, session.deck, session.language, session.anonymity, session.state) == \
           ("Temadag om velfærd", CHANNEL, deck, lang, "confidential", "scheduled")
    assert session.start_at == "2026-03-12T09:00:00+00:00"  # 10.00 in Copenhagen
    assert session.facilitators == (FACILITATOR,) and session.created_by == FACILITATOR

    [dm] = wait_until(lambda: dm_messages(stub, FACILITATOR), "the facilitator's DM")
    start = local(session.start_at, TZ)
    assert dm["text"] == t(lang, "planned.text", title=session.title, channel=CHANNEL, day=date_text(lang, start),
                           time=clock_text(lang, start))
    shown = texts_of(dm)
    assert t(lang, f"mode.{session.anonymity}") in shown
    prompts = bot.store.prompts.of(session.id)
    assert len(prompts) == 8
    for prompt in prompts:
        assert f"`{clock_text(lang, local(prompt.due_at, TZ))}`  *{prompt.position}.*" in shown
    [test_button] = elements(dm, "test_prompt")
    assert test_button["value"] == session.id and test_button["text"]["text"] == t(lang, "button.test_prompt")
    assert stub.messages(CHANNEL) == []


def test_the_dms_buttons_show_the_first_prompt_to_the_facilitator_alone_and_open_the_plan(bot, stub):
    word, lang, deck = "new", "en", "welfare-en"
    view = planning_modal(stub, word=word)
    submit(stub, FACILITATOR, view, title="Prøve", deck=deck, time="10:00", language=lang)
    [dm] = wait_until(lambda: dm_messages(stub, FACILITATOR), "the facilitator's DM")
    [button] = elements(dm, "test_prompt")
    assert stub.click(FACILITATOR, stub.dm_channel(FACILITATOR), dm["ts"], "test_prompt", button["value"]).status == 200

    [shown] = wait_until(lambda: stub.ephemerals(user=FACILITATOR), "the test prompt")
    [session] = bot.store.sessions.list()
    first = bot.store.prompts.of(session.id)[0]
    text = texts_of(shown)
    assert t(lang, "planned.test_note") in text
    assert first.text in text and t(lang, "prompt.header", number=1, total=8) in text
    assert not elements(shown, "answer") and not elements(shown, "answer_anonymously")
    assert stub.messages(CHANNEL) == []
    assert not [c for c in stub.calls_to("chat.postMessage") if c.args.get("channel") == CHANNEL]
    assert bot.store.prompts.get(first.id).state == "pending"

    plan = open_modal(stub, FACILITATOR, lambda: stub.click(FACILITATOR, stub.dm_channel(FACILITATOR), dm["ts"],
                                                            "plan", session.id), "hvis_plan")
    assert plan["title"]["text"] == t(lang, "plan.title") and len(elements(plan, "plan_edit")) == 8


@pytest.fixture
def open_settings(settings):
    """No facilitators configured: anyone who is not a guest may plan a theme day."""
    return dataclasses.replace(settings, facilitators=frozenset())


def test_the_creator_may_facilitate_a_session_in_which_they_named_someone_else(open_settings, stub, clock):
    with running_bot(open_settings, clock, stub) as running:
        creator, other = USERS[0], USERS[1]
        view = planning_modal(stub, user=creator)
        submit(stub, creator, view, title="Temadag", time="10:00", facilitators=[other])
        [session] = running.store.sessions.list()
        assert session.created_by == creator
        stub.slash(creator, CHANNEL, f"pause {session.id}")
        wait_until(lambda: stub.ephemerals(user=creator), "an answer")
        assert running.store.sessions.get(session.id).state == "paused"


# ---- inline validation: the modal stays open with the error beside the field --------------------------
def test_a_blank_title_is_refused_inline_and_a_date_without_a_time_cannot_be_sent(bot, stub):
    view = planning_modal(stub)
    errors = errors_of(submit(stub, FACILITATOR, view, title="   ", time="10:00"))
    assert errors == {"title": t("da", "new.error_title")}
    assert is_open(stub, view) and bot.store.sessions.list() == []
    # The time is a required input, so Slack itself will not submit the modal without it.
    assert next(b for b in view["blocks"] if b.get("block_id") == "time")["optional"] is False
    with pytest.raises(ValueError, match="time"):
        submit(stub, FACILITATOR, view, title="Temadag", date=TODAY)
    assert is_open(stub, view) and bot.store.sessions.list() == []


@pytest.mark.parametrize("word, lang", [("ny", "da"), ("new", "en")])
def test_a_start_in_the_past_is_refused_inline(bot, stub, word, lang):
    view = planning_modal(stub, word=word)
    errors = errors_of(submit(stub, FACILITATOR, view, title="Temadag", time="08:30"))  # 30 minutes ago
    assert t(lang, "new.error_past") in errors.values()
    assert is_open(stub, view) and bot.store.sessions.list() == []


def test_an_overlapping_session_in_the_same_channel_is_refused_inline(bot, stub, clock):
    existing = planned_session(bot, clock, at_minutes=60)  # 10.00 to about 13.00 in Copenhagen
    view = planning_modal(stub)
    errors = errors_of(submit(stub, FACILITATOR, view, title="Endnu en", time="11:00"))
    assert t("da", "new.error_overlap") in errors.values()
    assert is_open(stub, view) and [s.id for s in bot.store.sessions.list()] == [existing.id]


def test_a_private_channel_the_bot_is_not_in_is_refused_with_how_to_invite(bot, stub):
    stub.add_channel("CPRIVATE1", "ledelse", members=[FACILITATOR], is_private=True, bot_member=False)
    view = planning_modal(stub, channel="CPRIVATE1")
    errors = errors_of(submit(stub, FACILITATOR, view, title="Temadag", time="10:00", join=["join"]))
    assert errors.get("channel") in {t("da", "new.error_private", channel=name) for name in ("ledelse", "CPRIVATE1")}
    assert is_open(stub, view) and bot.store.sessions.list() == []
    assert not stub.calls_to("conversations.join")


def test_a_public_channel_the_bot_is_not_in_is_refused_unless_it_may_join(bot, stub):
    stub.add_channel("CPUBLIC01", "borgere", members=[FACILITATOR], bot_member=False)
    view = planning_modal(stub, channel="CPUBLIC01")
    errors = errors_of(submit(stub, FACILITATOR, view, title="Temadag", time="10:00"))
    assert errors == {"channel": t("da", "new.error_public", channel="borgere")}
    assert is_open(stub, view) and bot.store.sessions.list() == []


def test_ticking_let_the_bot_join_makes_it_join_the_public_channel(bot, stub):
    stub.add_channel("CPUBLIC01", "borgere", members=[FACILITATOR], bot_member=False)
    view = planning_modal(stub, channel="CPUBLIC01")
    delivery = submit(stub, FACILITATOR, view, title="Temadag", time="10:00", join=["join"])
    assert not (delivery.json() or {}).get("errors")
    [session] = bot.store.sessions.list()
    assert session.channel == "CPUBLIC01"
    [joined] = stub.wait_for("conversations.join")
    assert joined.args.get("channel") == "CPUBLIC01"
    assert "UHVISBOT" in stub.members("CPUBLIC01")
    [dm] = wait_until(lambda: dm_messages(stub, FACILITATOR), "the facilitator's DM")
    assert t("da", "planned.not_member", channel="CPUBLIC01") not in texts_of(dm)


def _choose_channel(stub, bot, view, channel):
    """Pick a channel in the modal as Slack does: it tells the app only when the input dispatches actions."""
    block = next(b for b in view["blocks"] if b.get("block_id") == "channel")
    if block.get("dispatch_action"):
        stub.click_view(FACILITATOR, view["id"], "channel", channel)
        wait_until(lambda: bot.people.channel(channel), "the bot to look the channel up")


def test_a_public_channel_picked_in_the_modal_that_the_bot_is_not_in_is_refused_inline(bot, stub):
    stub.add_channel("COTHER001", "ledelse", members=[FACILITATOR], bot_member=False)
    view = planning_modal(stub)  # typed in the theme-day channel, where the bot is
    _choose_channel(stub, bot, view, "COTHER001")
    errors = errors_of(submit(stub, FACILITATOR, view, title="Temadag", time="10:00", channel="COTHER001"))
    assert errors.get("channel") in {t("da", "new.error_public", channel=name) for name in ("ledelse", "COTHER001")}
    assert bot.store.sessions.list() == []


# ---- /hvis planlæg: change the plan before prompts go out ----------------------------------------------
def plan_modal(stub, session, word="planlæg", user=FACILITATOR):
    return open_modal(stub, user, lambda: stub.slash(user, CHANNEL, f"{word} {session.id}"), "hvis_plan")


def current(stub, view):
    return next(v for v in stub.views_opened() if v["id"] == view["id"])


@pytest.mark.parametrize("deck, lang", [("velfaerd", "da"), ("welfare-en", "en")])
def test_plan_lists_every_prompt_with_its_time_and_edit_buttons(bot, stub, clock, deck, lang):
    session = planned_session(bot, clock, deck=deck)
    view = plan_modal(stub, session, word="planlæg" if lang == "da" else "plan")
    assert view["title"]["text"] == t(lang, "plan.title")
    prompts = bot.store.prompts.of(session.id)
    shown = texts_of(view)
    for prompt in prompts:
        assert f"`{clock_text(lang, local(prompt.due_at, TZ))}`  *{prompt.position}.*" in shown
    assert [e["value"] for e in elements(view, "plan_edit")] == [str(p.id) for p in prompts]
    assert [e["value"] for e in elements(view, "plan_remove")] == [str(p.id) for p in prompts]
    assert elements(view, "plan_add")[0]["text"]["text"] == t(lang, "plan.add")


def test_editing_a_prompt_changes_its_text_and_time_and_redraws_the_plan(bot, stub, clock):
    session = planned_session(bot, clock)
    plan = plan_modal(stub, session)
    second = bot.store.prompts.of(session.id)[1]
    edit = open_modal(stub, FACILITATOR, lambda: stub.click_view(FACILITATOR, plan["id"], "plan_edit",
                                                                 str(second.id)), "hvis_edit_prompt")
    text_input = next(b for b in edit["blocks"] if b.get("block_id") == "text")["element"]
    assert text_input["initial_value"] == second.text
    delivery = stub.submit_view(FACILITATOR, edit["id"], {"text": {"text": "Tænk nu, hvis vi cyklede alle sammen?"},
                                                          "time": {"time": "10:45"}})
    assert not (delivery.json() or {}).get("errors")
    changed = bot.store.prompts.get(second.id)
    assert changed.text == "Tænk nu, hvis vi cyklede alle sammen?"
    assert local(changed.due_at, TZ).strftime("%H:%M") == "10:45"
    assert parse_iso(changed.close_at) - parse_iso(changed.due_at) == \
           parse_iso(second.close_at) - parse_iso(second.due_at)  # the round keeps its length
    wait_until(lambda: "cyklede alle sammen" in texts_of(current(stub, plan)), "the plan redrawn")
    assert "`kl. 10.45`  *2.*" in texts_of(current(stub, plan))


def test_removing_and_adding_prompts_changes_the_plan(bot, stub, clock):
    session = planned_session(bot, clock)
    plan = plan_modal(stub, session)
    doomed = bot.store.prompts.of(session.id)[2]
    assert stub.click_view(FACILITATOR, plan["id"], "plan_remove", str(doomed.id)).status == 200
    wait_until(lambda: str(doomed.id) not in [e["value"] for e in elements(current(stub, plan), "plan_edit")],
               "the plan redrawn")
    assert bot.store.prompts.get(doomed.id) is None and len(bot.store.prompts.of(session.id)) == 7

    add = open_modal(stub, FACILITATOR, lambda: stub.click_view(FACILITATOR, plan["id"], "plan_add", session.id),
                     "hvis_edit_prompt")
    assert add["title"]["text"] == t("da", "plan.add_title")
    too_early = stub.submit_view(FACILITATOR, add["id"], {"text": {"text": "For sent"}, "time": {"time": "08:00"}})
    assert errors_of(too_early) == {"time": t("da", "plan.in_past")}
    stub.submit_view(FACILITATOR, add["id"], {"text": {"text": "Tænk nu, hvis mødet sluttede til tiden?"},
                                              "time": {"time": "13:30"}})
    added = [p for p in bot.store.prompts.of(session.id) if "sluttede til tiden" in p.text]
    assert len(added) == 1 and added[0].state == "pending" and added[0].kind == "open"
    assert local(added[0].due_at, TZ).strftime("%H:%M") == "13:30"
    assert len(bot.store.prompts.of(session.id)) == 8
    wait_until(lambda: "sluttede til tiden" in texts_of(current(stub, plan)), "the plan redrawn")


def test_a_posted_prompt_can_be_neither_edited_nor_removed(bot, stub, live_session):
    session, posted = live_session
    plan = plan_modal(stub, session)
    assert str(posted.id) not in [e["value"] for e in elements(plan, "plan_edit") + elements(plan, "plan_remove")]
    # Even a forged click (an old plan, a second facilitator) cannot touch it.
    stub.click_view(FACILITATOR, plan["id"], "plan_remove", str(posted.id))
    edit = open_modal(stub, FACILITATOR, lambda: stub.click_view(FACILITATOR, plan["id"], "plan_edit",
                                                                 str(posted.id)), "hvis_edit_prompt")
    delivery = stub.submit_view(FACILITATOR, edit["id"], {"text": {"text": "Ændret bagefter"}})
    assert errors_of(delivery) == {"text": t("da", "plan.already_posted")}
    kept = bot.store.prompts.get(posted.id)
    assert kept is not None and kept.text == posted.text and kept.state == "posted"
