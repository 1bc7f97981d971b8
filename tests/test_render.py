"""bot/blocks (messages.py, modals.py, home.py): pure functions from records to Block Kit, checked as Slack
would take them. Texts are compared through the catalogs; what people and decks wrote never becomes markup."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from bot.blocks import home, messages, modals
from bot.i18n import LANGUAGES, t
from bot.rules import anonymity
from bot.rules.summary import Turnout, summarize
from storage.records import Prompt, Reply, Session, Theme

FACILITATOR = "U0FACIL01"
AUTHOR = "U0AUTHOR1"
PSEUDONYM = "p-5f1c0ffee"
OPTIONS = ("Snerydning", "Dagtilbud", "Tilflyttere")
# What a person could type, or a careless deck carry: a broadcast, a mention, a disguised link.
HOSTILE = ("<!channel>", "<!here>", "<@U0EVIL01>", "<https://evil.example|Kommunens side>")
HOSTILE_TEXT = "Tænk nu, hvis " + " & ".join(HOSTILE)


def make_session(anonymity_mode: str = "choice", language: str = "da", **changes) -> Session:
    return Session(**{**dict(
        id="s1234abc", team_id="T0HVIS", title="Temadag om velfærd", channel="C0TEMADAG", deck="velfaerd",
        language=language, timezone="Europe/Copenhagen", anonymity=anonymity_mode, state="running",
        start_at="2026-03-12T08:00:00+00:00", created_at="2026-03-01T08:00:00+00:00", created_by=FACILITATOR,
        facilitators=(FACILITATOR,)), **changes})


def make_prompt(kind: str = "open", **changes) -> Prompt:
    fields = dict(id=42, session_id="s1234abc", key="ungdom", position=1, kind=kind,
                  text="Tænk nu, hvis alle unge fik en uddannelse eller et job?", due_at="2026-03-12T08:00:00+00:00",
                  help="Tænk på en bestemt ung.")
    if kind == "vote":
        fields["options"] = OPTIONS
    if kind == "scale":
        fields["scale_labels"] = ("Slet ikke", "Helt klart")
    return Prompt(**{**fields, **changes})


def make_reply(anonymous: bool = False, **changes) -> Reply:
    return Reply(**{**dict(
        id="r1", session_id="s1234abc", prompt_id=42, channel="C0TEMADAG", source="modal", author=PSEUDONYM,
        anonymous=anonymous, role="employee", text="Flere lærepladser i kommunen",
        created_at="2026-03-12T08:05:00+00:00", updated_at="2026-03-12T08:05:00+00:00",
        user_id=None if anonymous else AUTHOR), **changes})


def make_summary(session: Session, audience: str = "channel", prompts=None, replies=None, themes=None):
    prompts = prompts or [make_prompt(), make_prompt("vote", id=43, position=2),
                          make_prompt("scale", id=44, position=3)]
    replies = replies if replies is not None else [
        make_reply(id="r1", votes=4), make_reply(True, id="r2", text="Lærlinge i alle forvaltninger", votes=2),
        make_reply(id="r3", prompt_id=43, text="Dagtilbud"), make_reply(id="r4", prompt_id=44, text="4")]
    return summarize(session, prompts, replies, audience=audience, names={AUTHOR: "Anna Ager"},
                     turnout=Turnout({"employee": 1}), themes=themes)


# --- helpers: Block Kit as Slack checks it -----------------------------------------------------------------------

def buttons(surface: dict) -> list[dict]:
    """The buttons of a surface in the order a reader meets them (in actions blocks and beside sections)."""
    found = [element for block in surface["blocks"]
             for element in (block.get("elements", []) if block["type"] == "actions" else [block.get("accessory", {})])]
    return [button for button in found if button.get("type") == "button"]


def mrkdwn_texts(node: object) -> list[str]:
    """Every text Slack parses as mrkdwn: mrkdwn objects, and a message's top-level fallback text."""
    if isinstance(node, list):
        return [text for item in node for text in mrkdwn_texts(item)]
    if not isinstance(node, dict):
        return []
    own = [node["text"]] if node.get("type") == "mrkdwn" or ("blocks" in node and isinstance(node.get("text"), str)
                                                                and node.get("type") not in ("modal", "home")) else []
    return own + [text for key, value in node.items() if key != "text" or isinstance(value, (dict, list))
                  for text in mrkdwn_texts(value)]


def all_text(surface: dict) -> str:
    return json.dumps(surface, ensure_ascii=False)


def json_text(text: str) -> str:
    """`text` as it appears inside the JSON of a surface."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def check_block_kit(surface: dict, max_blocks: int) -> None:
    blocks = surface["blocks"]
    assert 1 <= len(blocks) <= max_blocks
    block_ids = [block["block_id"] for block in blocks if "block_id" in block]
    assert len(block_ids) == len(set(block_ids))
    for block in blocks:
        assert block["type"] in {"header", "section", "context", "actions", "divider", "input"}
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and 0 < len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= 3000
        if block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10 and all(len(e["text"]) <= 3000 for e in block["elements"])
        if block["type"] == "actions":
            assert 1 <= len(block["elements"]) <= 25
        if block["type"] == "input":
            assert 0 < len(block["label"]["text"]) <= 2000 and block["element"]["action_id"]
    for button in buttons(surface):
        assert 0 < len(button["text"]["text"]) <= 75
        assert button["action_id"] and len(button["value"]) <= 2000
    for block in blocks:  # Slack wants action ids unique within their block
        action_ids = [element["action_id"] for element in block.get("elements", []) if "action_id" in element]
        assert len(action_ids) == len(set(action_ids))
    for text in mrkdwn_texts(surface):
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), f"a bare or broken entity in {text[-40:]!r}"


def check_message(message: dict) -> None:
    assert message["text"].strip() and len(message["text"]) <= 3000
    check_block_kit(message, 50)


def check_view(view: dict) -> None:
    assert view["type"] in ("modal", "home")
    if view["type"] == "modal":
        assert view["callback_id"]
        assert all(0 < len(view[part]["text"]) <= 24 for part in ("title", "submit", "close") if part in view)
        assert len(view.get("private_metadata", "")) <= 3000
    check_block_kit(view, 100)


# --- every surface: valid, and nothing anyone wrote becomes markup ------------------------------------------------

def hostile_surfaces(language: str) -> dict[str, dict]:
    session = make_session(language=language, title="<!channel> & venner")
    prompt = make_prompt(text=HOSTILE_TEXT, help=HOSTILE_TEXT)
    vote = make_prompt("vote", id=43, position=2, text=HOSTILE_TEXT, options=HOSTILE)
    reply = make_reply(text=HOSTILE_TEXT)
    theme = Theme(label=HOSTILE_TEXT, keywords=("x",), reply_ids=("r1",), quotes=("r1",))
    summary = make_summary(session, prompts=[prompt, vote], replies=[replace(reply, votes=3)], themes={42: [theme]})
    card = home.Card(session=session, next_prompt=prompt, answers=3, participants=2, total_prompts=8)
    return {
        "prompt": messages.prompt_message(session, prompt, 8),
        "vote prompt with tally": messages.prompt_message(session, vote, 8, values=list(HOSTILE)),
        "closed prompt": messages.prompt_message(session, prompt, 8, closed=True),
        "test prompt": messages.test_prompt(session, prompt, 8),
        "answer post": messages.answer_post(session, reply),
        "facilitator notice": messages.facilitator_notice(session, [prompt], "Send nu?"),
        "greeting": messages.greeting(session, is_guest=True),
        "wrap-up": messages.wrapup(summary),
        "summary": messages.summary(summary),
        "planned": messages.planned(session, [prompt, vote]),
        "answer modal": modals.answer(session, prompt, False),
        "vote modal": modals.answer(session, vote, True),
        "plan modal": modals.plan(session, [prompt, vote]),
        "edit prompt modal": modals.edit_prompt(session, prompt),
        "my data modal": modals.my_data(language, [(session, reply)]),
        "home": home.home(language, [card], [(session, reply)], may_plan=True),
    }


SURFACE_NAMES = list(hostile_surfaces("da"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", SURFACE_NAMES)
def test_every_surface_is_valid_block_kit(name, language):
    surface = hostile_surfaces(language)[name]
    if "type" in surface:
        check_view(surface)
    else:
        check_message(surface)


@pytest.mark.parametrize("name", [name for name in SURFACE_NAMES if name != "edit prompt modal"])  # inputs only
def test_no_surface_turns_what_people_or_decks_wrote_into_slack_markup(name):
    texts = mrkdwn_texts(hostile_surfaces("da")[name])
    assert texts
    assert [markup for markup in HOSTILE for text in texts if markup in text] == []


# --- prompt messages ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode, wanted", [
    ("named", [("answer", "button.answer")]),
    ("confidential", [("answer", "button.answer_confidential")]),
    ("anonymous", [("answer_anonymously", "button.answer_anonymously")]),
    ("choice", [("answer", "button.answer"), ("answer_anonymously", "button.answer_anonymously")]),
])
@pytest.mark.parametrize("language", LANGUAGES)
def test_prompt_message_buttons_follow_the_anonymity_mode(mode, wanted, language):
    message = messages.prompt_message(make_session(mode, language), make_prompt(), 8)
    assert [(b["action_id"], b["text"]["text"], b["value"]) for b in buttons(message)] == \
           [(action, t(language, key), "42") for action, key in wanted]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("mode", anonymity.MODES)
def test_prompt_message_states_its_mode_in_one_catalog_sentence(mode, language):
    text = all_text(messages.prompt_message(make_session(mode, language), make_prompt(), 8))
    assert text.count(json_text(t(language, f"mode.{mode}"))) == 1
    others = [other for other in anonymity.MODES if other != mode]
    assert [other for other in others if json_text(t(language, f"mode.{other}")) in text] == []


@pytest.mark.parametrize("mode", anonymity.MODES)
def test_closed_prompt_loses_its_buttons_says_so_and_still_states_its_mode(mode):
    message = messages.prompt_message(make_session(mode), make_prompt(), 8, closed=True)
    assert buttons(message) == []
    text = all_text(message)
    assert json_text(t("da", "prompt.closed")) in text
    assert json_text(t("da", f"mode.{mode}")) in text


def test_closed_prompt_loses_its_buttons_and_says_it_is_closed():
    message = messages.prompt_message(make_session(), make_prompt(), 8, closed=True)
    assert buttons(message) == []
    assert json_text(t("da", "prompt.closed")) in all_text(message)


@pytest.mark.parametrize("language", LANGUAGES)
def test_prompt_message_says_which_question_of_how_many(language):
    message = messages.prompt_message(make_session(language=language), make_prompt(position=3), 8)
    assert message["blocks"][0]["text"]["text"] == t(language, "prompt.header", number=3, total=8)


@pytest.mark.parametrize("kind", ["open", "vote", "scale"])
def test_prompt_message_tells_how_to_answer_its_kind(kind):
    message = messages.prompt_message(make_session(), make_prompt(kind), 8)
    assert json_text(t("da", f"prompt.how_{kind}")) in all_text(message)


def test_vote_prompt_lists_its_options_before_anyone_has_chosen():
    text = all_text(messages.prompt_message(make_session(), make_prompt("vote"), 8))
    assert all(f"• {option}" in text for option in OPTIONS)


def test_vote_prompt_shows_a_live_tally_ranked_with_counts_and_no_names():
    message = messages.prompt_message(make_session(), make_prompt("vote"), 8,
                                      values=["Dagtilbud", "Dagtilbud", "Tilflyttere"])
    (tally,) = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section" and "█" in b["text"]["text"]]
    assert t("da", "tally.vote", n=3) in tally
    lines = tally.splitlines()[1:]
    assert [line.split()[-1] for line in lines] == ["Dagtilbud", "Tilflyttere", "Snerydning"]
    assert [int(re.search(r"`\s+(\d+)\s", line).group(1)) for line in lines] == [2, 1, 0]


def test_scale_prompt_shows_a_live_tally_with_the_mean():
    message = messages.prompt_message(make_session(), make_prompt("scale"), 8, values=["2", "4", "5"])
    assert t("da", "tally.scale", n=3, mean="3,7") in all_text(message)


@pytest.mark.parametrize("language", LANGUAGES)
def test_scale_prompt_says_what_1_and_5_mean(language):
    message = messages.prompt_message(make_session(language=language), make_prompt("scale"), 8)
    assert json_text(t(language, "prompt.scale_range", low="Slet ikke", high="Helt klart")) in all_text(message)


def test_facilitators_test_prompt_is_the_prompt_without_buttons_under_a_note():
    preview = messages.test_prompt(make_session(), make_prompt(), 8)
    assert buttons(preview) == []
    assert preview["blocks"][0]["elements"][0]["text"] == t("da", "planned.test_note")


@pytest.mark.parametrize("text", ["<" * 999 + "a", "a" * 998 + "&&&", "ø" * 1000])
def test_prompt_text_fits_a_section_without_breaking_an_entity(text):
    message = messages.prompt_message(make_session(), make_prompt(text=text), 8)
    check_message(message)


# --- the answer modal ----------------------------------------------------------------------------------------------

def answer_input(view: dict) -> dict:
    (block,) = [block for block in view["blocks"] if block.get("block_id") == "answer"]
    assert block["type"] == "input"
    return block["element"]


@pytest.mark.parametrize("anonymous", [False, True])
@pytest.mark.parametrize("kind", ["open", "vote", "scale"])
def test_answer_modal_carries_only_the_prompt_id_and_the_anonymity_choice(kind, anonymous):
    view = modals.answer(make_session(), make_prompt(kind), anonymous)
    assert view["callback_id"] == modals.ANSWER
    assert json.loads(view["private_metadata"]) == {"prompt_id": 42, "anonymous": anonymous}


def test_answer_modal_open_prompt_has_free_text_input():
    element = answer_input(modals.answer(make_session(), make_prompt("open"), False))
    assert (element["type"], element["multiline"], element["max_length"]) == ("plain_text_input", True, 3000)


def test_answer_modal_vote_prompt_has_radio_buttons_with_the_options():
    element = answer_input(modals.answer(make_session(), make_prompt("vote"), False))
    assert element["type"] == "radio_buttons"
    assert [option["value"] for option in element["options"]] == list(OPTIONS)


def test_answer_modal_scale_prompt_offers_one_to_five_with_the_labels_at_the_ends():
    element = answer_input(modals.answer(make_session(), make_prompt("scale"), False))
    assert [option["value"] for option in element["options"]] == ["1", "2", "3", "4", "5"]
    texts = [option["text"]["text"] for option in element["options"]]
    assert "Slet ikke" in texts[0] and "Helt klart" in texts[4] and texts[1:4] == ["2", "3", "4"]


@pytest.mark.parametrize("mode, anonymous, note", [
    ("named", False, "modal.named_note"),
    ("choice", False, "modal.named_note"),
    ("choice", True, "modal.anonymous_note"),
    ("confidential", False, "modal.confidential_note"),
    ("anonymous", True, "modal.anonymous_note"),
])
def test_answer_modal_says_how_the_answer_will_be_shown(mode, anonymous, note):
    view = modals.answer(make_session(mode), make_prompt(), anonymous)
    assert view["blocks"][-1]["elements"][0]["text"] == t("da", note)


def test_answer_modal_cuts_a_long_escaped_prompt_without_breaking_an_entity():
    check_view(modals.answer(make_session(), make_prompt(text="a" + "<" * 999), False))


# --- the bot's post of an answer -----------------------------------------------------------------------------------

@pytest.mark.parametrize("anonymous", [False, True])
@pytest.mark.parametrize("mode", anonymity.MODES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_answer_post_is_attributed_as_the_mode_lets_the_channel_see(mode, anonymous, language):
    post = messages.answer_post(make_session(mode, language), make_reply(anonymous))
    shown = anonymity.byline(mode, "channel", anonymous)
    byline = t(language, "answer.named", user=AUTHOR) if shown == anonymity.NAME else t(language, f"answer.{shown}")
    assert post["blocks"][0]["elements"][0]["text"] == byline
    assert post["text"].startswith(byline)
    assert (AUTHOR in all_text(post)) is (shown == anonymity.NAME)
    assert PSEUDONYM not in all_text(post)
    assert "Flere lærepladser i kommunen" in post["blocks"][1]["text"]["text"]


def test_answer_post_support_button_carries_the_reply_id_and_nothing_personal():
    (button,) = buttons(messages.answer_post(make_session(), make_reply()))
    assert (button["action_id"], button["text"]["text"]) == ("vote", t("da", "button.support"))
    assert json.loads(button["value"]) == {"r": "r1", "on": 1}


@pytest.mark.parametrize("text", ["<" * 2999, "a" * 2998 + "&&&", "ø" * 5000, "<!channel> " * 500])
def test_answer_post_fits_slacks_limits_without_breaking_an_entity(text):
    post = messages.answer_post(make_session(), make_reply(True, text=text))
    check_message(post)
    assert "<" not in post["blocks"][1]["text"]["text"]
    assert "<" not in post["text"]


@pytest.mark.parametrize("supported, label, wish, said", [(True, "button.withdraw", 0, "vote.added"),
                                                          (False, "button.support", 1, "vote.removed")])
def test_vote_receipt_offers_the_opposite_wish(supported, label, wish, said):
    receipt = messages.vote_receipt("da", "r7", supported)
    (button,) = buttons(receipt)
    assert receipt["text"] == t("da", said)
    assert (button["text"]["text"], json.loads(button["value"])) == (t("da", label), {"r": "r7", "on": wish})


# --- other messages ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("answers, wanted", [(0, ("reminder.none", {})), (1, ("reminder.some", {"n": 1})),
                                             (7, ("reminder.some", {"n": 7}))])
def test_reminder_counts_answers_and_names_nobody(answers, wanted):
    key, values = wanted
    assert messages.reminder(make_session(), answers)["text"] == t("da", key, **values)


def test_facilitator_notice_has_a_send_now_button_per_prompt_up_to_twenty():
    prompts = [make_prompt(id=n, position=n) for n in range(1, 26)]
    notice = messages.facilitator_notice(make_session(), prompts, "To spørgsmål blev ikke sendt.")
    assert [(b["action_id"], b["value"], b["text"]["text"]) for b in buttons(notice)] == \
           [("post_now", str(n), t("da", "button.post_now")) for n in range(1, 21)]


@pytest.mark.parametrize("is_guest", [False, True])
def test_greeting_explains_taking_part_and_privacy_and_tells_guests_they_are_welcome(is_guest):
    text = all_text(messages.greeting(make_session("confidential"), is_guest))
    assert json_text(t("da", "greeting.text", title="Temadag om velfærd")) in text
    assert json_text(t("da", "mode.confidential")) in text and json_text(t("da", "greeting.privacy")) in text
    assert (json_text(t("da", "greeting.guest")) in text) is is_guest


@pytest.mark.parametrize("language", LANGUAGES)
def test_wrapup_gives_counts_top_ideas_themes_and_the_caveat(language):
    session = make_session(language=language)
    theme = Theme(label="lærepladser og job", keywords=("lærepladser",), reply_ids=("r1", "r2"), quotes=())
    summary = make_summary(session, themes={42: [theme]})
    wrapup = messages.wrapup(summary)
    text = all_text(wrapup)
    assert wrapup["text"] == t(language, "wrapup.text", title=session.title, answers=4, people=2, n=2, prompts=3)
    assert "“Flere lærepladser i kommunen” (4 👍)" in text and "“Lærlinge i alle forvaltninger” (2 👍)" in text
    assert "lærepladser og job" in text and json_text(t(language, "summary.caveat")) in text
    assert AUTHOR not in text and "Anna Ager" not in text


def test_summary_message_stays_within_fifty_blocks_however_many_prompts():
    prompts = [make_prompt(id=n, position=n) for n in range(1, 61)]
    summary = make_summary(make_session(), "facilitator", prompts=prompts, replies=[])
    check_message(messages.summary(summary))


def test_summary_message_gives_scale_means_and_the_most_chosen_option():
    summary = make_summary(make_session(), "facilitator")
    text = all_text(messages.summary(summary))
    assert t("da", "summary.vote", option="Dagtilbud", n=1) in text
    assert t("da", "summary.scale", mean="4,0", n=1) in text


def test_planned_lists_the_schedule_in_the_sessions_local_time_with_states():
    session = make_session(state="scheduled")
    prompts = [make_prompt(), make_prompt(id=43, position=2, due_at="2026-03-12T08:30:00+00:00", state="missed")]
    text = all_text(messages.planned(session, prompts))
    assert f"`{t('da', 'time.clock', hour='09', minute='00')}`  *1.*" in text
    assert f"`{t('da', 'time.clock', hour='09', minute='30')}`  *2.*" in text
    assert f"_({t('da', 'state.missed')})_" in text
    assert [b["action_id"] for b in buttons(messages.planned(session, prompts))] == ["test_prompt", "plan"]


# --- facilitator modals ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("state, editable", [("pending", True), ("missed", True), ("posting", False), ("posted", False),
                                             ("failed", False), ("closed", False)])
def test_plan_modal_lets_a_prompt_be_changed_only_before_it_is_out(state, editable):
    view = modals.plan(make_session(), [make_prompt(state=state)])
    ids = [b["action_id"] for b in buttons(view)]
    assert (("plan_edit" in ids) and ("plan_remove" in ids)) is editable
    assert json.loads(view["private_metadata"]) == {"session_id": "s1234abc"}


@pytest.mark.parametrize("state, can_add", [("scheduled", True), ("running", True), ("paused", True),
                                            ("closed", False)])
def test_plan_modal_offers_to_add_a_prompt_until_the_session_closes(state, can_add):
    ids = [b["action_id"] for b in buttons(modals.plan(make_session(state=state), [make_prompt(state="posted")]))]
    assert ("plan_add" in ids) is can_add


@pytest.mark.parametrize("prompt, day, time_", [
    (make_prompt(due_at="2026-03-12T08:30:00+00:00"), "2026-03-12", "09:30"),
    (None, "2026-03-12", None),   # a new prompt: the session's day, no time yet
])
def test_edit_prompt_modal_starts_from_the_prompts_local_date_and_time(prompt, day, time_):
    view = modals.edit_prompt(make_session(), prompt)
    elements = {block["block_id"]: block["element"] for block in view["blocks"] if block["type"] == "input"}
    assert elements["date"]["initial_date"] == day
    assert elements["time"].get("initial_time") == time_
    assert elements["text"].get("initial_value") == (prompt.text if prompt else None)
    assert json.loads(view["private_metadata"]) == {"session_id": "s1234abc",
                                                    "prompt_id": prompt.id if prompt else None}


@pytest.mark.parametrize("channel, preset", [("C0TEMADAG", {"initial_conversation": "C0TEMADAG"}),
                                             ("D0DIRECT", {"default_to_current_conversation": True}),
                                             (None, {"default_to_current_conversation": True})])
@pytest.mark.parametrize("language", LANGUAGES)
def test_plan_session_modal_starts_from_the_channel_the_caller_and_the_language(channel, preset, language):
    view = modals.plan_session(language, [("velfaerd", "Velfærd i fællesskab", "da")], channel=channel,
                               user=FACILITATOR, tz="Europe/Copenhagen",
                               today=datetime(2026, 3, 12, tzinfo=timezone.utc))
    check_view(view)
    elements = {block["block_id"]: block["element"] for block in view["blocks"] if block["type"] == "input"}
    assert preset.items() <= elements["channel"].items()
    assert elements["facilitators"]["initial_users"] == [FACILITATOR]
    assert [o["value"] for o in elements["anonymity"]["options"]] == ["choice", "named", "confidential", "anonymous"]
    assert elements["language"]["initial_option"]["value"] == language
    assert elements["date"]["initial_date"] == "2026-03-12"


def test_forget_me_modal_says_how_many_answers_go():
    view = modals.forget_me("da", 3)
    check_view(view)
    assert view["blocks"][0]["text"]["text"] == t("da", "forget.text", n=3, answers=3)


@pytest.mark.parametrize("source, anonymous, deletable", [("modal", False, True), ("modal", True, True),
                                                          ("thread", False, False)])
def test_my_data_offers_delete_for_modal_answers_and_points_thread_answers_to_slack(source, anonymous, deletable):
    view = modals.my_data("da", [(make_session(), make_reply(anonymous, source=source))])
    text = all_text(view)
    assert (["delete_answer", "forget_me"] if deletable else ["forget_me"]) == [b["action_id"] for b in buttons(view)]
    assert (json_text(t("da", "mine.thread_note")) in text) is not deletable
    assert (json_text(t("da", "mine.anonymous")) in text) is anonymous


# --- App Home --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("state, actions", [
    ("scheduled", ["home_plan", "home_start", "home_pause", "home_close", "home_summary", "home_export"]),
    ("running", ["home_plan", "home_pause", "home_send", "home_close", "home_summary", "home_export"]),
    ("paused", ["home_plan", "home_resume", "home_send", "home_close", "home_summary", "home_export"]),
    ("closed", ["home_plan", "home_summary", "home_export"]),
])
def test_home_card_buttons_follow_the_session_state(state, actions):
    card = home.Card(session=make_session(state=state), next_prompt=make_prompt(), answers=3, participants=2,
                     total_prompts=8)
    view = home.home("da", [card], [], may_plan=True)
    assert [b["action_id"] for b in buttons(view)] == ["new_session", *actions, "forget_me"]
    assert all(b["value"] == "s1234abc" for b in buttons(view) if b["action_id"].startswith("home_"))


def test_home_for_a_participant_shows_how_to_take_part_and_no_dashboard():
    view = home.home("da", [], [], may_plan=False)
    text = all_text(view)
    assert json_text(t("da", "home.participant_header")) in text and json_text(t("da", "home.how")) in text
    assert json_text(t("da", "home.facilitator_header")) not in text
    assert [b["action_id"] for b in buttons(view)] == ["forget_me"]


def test_home_stays_within_a_hundred_blocks_however_many_sessions_and_answers():
    card = home.Card(session=make_session(), next_prompt=make_prompt(), answers=3, participants=2, total_prompts=8)
    view = home.home("da", [card] * 40, [(make_session(), make_reply(id=f"r{n}")) for n in range(40)], may_plan=True)
    check_view(view)
