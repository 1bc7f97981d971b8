"""bot/render.py: prompt messages, the answer modal and the bot's post of an answer, as Slack would take them."""

from __future__ import annotations

import json
import re

import pytest

from bot.i18n import t
from bot.model import ANONYMITY_MODES, Prompt, Reply, Session
from bot.render import answer_modal, answer_post, prompt_message

FACILITATOR = "U0FACIL01"
CREATOR = "U0CREATE1"
AUTHOR = "U0AUTHOR1"
PSEUDONYM = "p-5f1c0ffee"


def make_session(anonymity: str = "choice", language: str = "da") -> Session:
    return Session(id="s1234abc", team_id="T0HVIS", title="Temadag om velfærd", channel="C0TEMADAG", deck="velfaerd",
                   language=language, timezone="Europe/Copenhagen", anonymity=anonymity, state="running",
                   start_at="2026-03-12T08:00:00+00:00", created_at="2026-03-01T08:00:00+00:00",
                   created_by=CREATOR, facilitators=(FACILITATOR, CREATOR))


def make_prompt(kind: str = "open", **changes) -> Prompt:
    fields = dict(id=42, session_id="s1234abc", key="ungdom", position=1, kind=kind,
                  text="Tænk nu, hvis alle unge fik en uddannelse eller et job?", due_at="2026-03-12T08:00:00+00:00",
                  help="Tænk på en bestemt ung.")
    if kind == "vote":
        fields["options"] = ["Snerydning", "Dagtilbud", "Tilflyttere"]
    if kind == "scale":
        fields["scale_labels"] = ["Slet ikke", "Helt klar"]
    return Prompt(**{**fields, **changes})


def make_reply(anonymous: bool, user_id: str | None = AUTHOR) -> Reply:
    return Reply(id="r1", session_id="s1234abc", prompt_id=42, channel="C0TEMADAG", source="modal",
                 author=PSEUDONYM, anonymous=anonymous, role="employee", text="Flere lærepladser i kommunen",
                 created_at="2026-03-12T08:05:00+00:00", updated_at="2026-03-12T08:05:00+00:00",
                 user_id=None if anonymous else user_id)


def buttons(message: dict) -> list[dict]:
    return [element for block in message["blocks"] if block["type"] == "actions"
            for element in block["elements"] if element["type"] == "button"]


def all_texts(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


@pytest.mark.parametrize("mode, action_ids", [
    ("named", ["answer"]),
    ("confidential", ["answer"]),
    ("anonymous", ["answer_anonymously"]),
    ("choice", ["answer", "answer_anonymously"]),
])
def test_prompt_message_buttons_follow_the_anonymity_mode(mode, action_ids):
    message = prompt_message(make_session(mode), make_prompt())
    assert sorted(button["action_id"] for button in buttons(message)) == sorted(action_ids)
    assert all(button["value"] == "42" for button in buttons(message))


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("mode", ANONYMITY_MODES)
def test_prompt_message_states_its_mode_in_one_catalog_sentence(mode, language):
    text = all_texts(prompt_message(make_session(mode, language), make_prompt()))
    sentence = t(language, f"mode.{mode}")
    assert text.count(json.dumps(sentence, ensure_ascii=False)[1:-1]) == 1
    others = [t(language, f"mode.{other}") for other in ANONYMITY_MODES if other != mode]
    assert not [other for other in others if json.dumps(other, ensure_ascii=False)[1:-1] in text]


@pytest.mark.parametrize("mode", ANONYMITY_MODES)
def test_prompt_message_metadata_names_session_and_prompt_and_nothing_personal(mode):
    message = prompt_message(make_session(mode), make_prompt())
    metadata = message["metadata"]
    assert metadata["event_type"] == "hvis_prompt"
    payload = metadata["event_payload"]
    assert payload["session_id"] == "s1234abc"
    assert str(payload["prompt_id"]) == "42"
    flat = json.dumps(metadata)
    assert not [user for user in (FACILITATOR, CREATOR, AUTHOR) if user in flat]


@pytest.mark.parametrize("kind", ["open", "vote", "scale"])
@pytest.mark.parametrize("mode", ANONYMITY_MODES)
def test_prompt_message_is_valid_block_kit(mode, kind):
    message = prompt_message(make_session(mode), make_prompt(kind, text="Tænk nu, hvis " + "meget " * 160))
    blocks = message["blocks"]
    assert message["text"].strip()
    assert 1 <= len(blocks) <= 50
    for block in blocks:
        assert block["type"] in {"header", "section", "context", "actions", "divider", "input", "rich_text"}
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert 0 < len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    assert buttons(message)
    for button in buttons(message):
        assert button["action_id"]
        assert 0 < len(button["value"]) <= 2000
        assert 0 < len(button["text"]["text"]) <= 75
    action_ids = [button["action_id"] for button in buttons(message)]
    assert len(action_ids) == len(set(action_ids))


def test_prompt_message_shows_vote_options():
    text = all_texts(prompt_message(make_session(), make_prompt("vote")))
    assert all(option in text for option in ("Snerydning", "Dagtilbud", "Tilflyttere"))


@pytest.mark.parametrize("anonymous", [False, True])
@pytest.mark.parametrize("kind", ["open", "vote", "scale"])
def test_answer_modal_is_a_modal_carrying_prompt_id_and_anonymity(kind, anonymous):
    view = answer_modal(make_session(), make_prompt(kind), anonymous)
    assert view["type"] == "modal"
    assert view["callback_id"] == "hvis_answer"
    metadata = json.loads(view["private_metadata"])
    assert str(metadata["prompt_id"]) == "42"
    assert metadata["anonymous"] is anonymous
    assert len(view["private_metadata"]) <= 3000
    assert AUTHOR not in view["private_metadata"]


@pytest.mark.parametrize("language", ["da", "en"])
def test_answer_modal_texts_fit_slack_limits(language):
    view = answer_modal(make_session(language=language), make_prompt(), False)
    assert 0 < len(view["title"]["text"]) <= 24
    assert 0 < len(view["submit"]["text"]) <= 24
    assert 0 < len(view["close"]["text"]) <= 24
    assert len(view["blocks"]) <= 100


def answer_input(view: dict) -> dict:
    (block,) = [block for block in view["blocks"] if block.get("block_id") == "answer"]
    assert block["type"] == "input"
    return block["element"]


def test_answer_modal_open_prompt_has_free_text_input():
    assert answer_input(answer_modal(make_session(), make_prompt("open"), False))["type"] == "plain_text_input"


def test_answer_modal_vote_prompt_has_radio_buttons_with_the_options():
    element = answer_input(answer_modal(make_session(), make_prompt("vote"), False))
    assert element["type"] == "radio_buttons"
    assert [option["value"] for option in element["options"]] == ["Snerydning", "Dagtilbud", "Tilflyttere"]


def test_answer_modal_scale_prompt_offers_one_to_five():
    element = answer_input(answer_modal(make_session(), make_prompt("scale"), False))
    assert element["type"] == "radio_buttons"
    assert [option["value"] for option in element["options"]] == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("mode, anonymous", [
    ("named", True),
    ("choice", True),
    ("confidential", False),
    ("confidential", True),
    ("anonymous", True),
    ("anonymous", False),
])
def test_answer_post_hides_the_author_where_names_are_hidden(mode, anonymous):
    post = all_texts(answer_post(make_session(mode), make_reply(anonymous)))
    assert AUTHOR not in post
    assert PSEUDONYM not in post
    assert "Flere lærepladser i kommunen" in post


@pytest.mark.parametrize("mode", ["named", "choice"])
def test_answer_post_names_the_author_of_a_named_reply_in_named_sessions(mode):
    post = answer_post(make_session(mode), make_reply(anonymous=False))
    assert f"<@{AUTHOR}>" in post["text"]
    assert f"<@{AUTHOR}>" in all_texts(post["blocks"])
    assert PSEUDONYM not in all_texts(post)


@pytest.mark.parametrize("text", ["<" * 2999, "a" * 2998 + "&&&", "ø" * 5000])
def test_answer_post_fits_slacks_section_limit_without_breaking_an_entity(text):
    reply = make_reply(anonymous=True, user_id=None)
    reply.text = text
    post = answer_post(make_session(), reply)
    body = post["blocks"][1]["text"]["text"]
    assert len(body) <= 3000 and "<" not in body
    assert not re.search(r"&[a-z]*$", body.rstrip("…")), "no half entity at the cut"
    assert "<" not in post["text"]
