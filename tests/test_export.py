"""bot/export.py: the SPEC §8 JSON and the Markdown report, built from hand-made sessions, prompts and replies."""

from __future__ import annotations

import json

import pytest

from bot.export import build, to_json, to_markdown
from bot.model import Prompt, Reply, Session

NAMED_USER = "U0EMP0001"
POLITICIAN = "U0POLIT01"
HIDDEN_USER = "U0SECRET1"          # must never leave build(), even if a caller passes it on an anonymous reply
ANON_PSEUDONYM = "pz-anon-7f3a9c"
NAMED_PSEUDONYM = "pz-named-11aa"
POLITICIAN_PSEUDONYM = "pz-polit-22bb"


def make_session(anonymity: str = "choice") -> Session:
    return Session(id="s1234abc", team_id="T0HVIS", title="Velfærd i fællesskab", channel="C0TEMADAG",
                   deck="velfaerd", language="da", timezone="Europe/Copenhagen", anonymity=anonymity,
                   state="running", start_at="2026-03-12T08:00:00+00:00", created_at="2026-03-01T08:00:00+00:00")


def make_prompt(pid: int, key: str, position: int, **changes) -> Prompt:
    fields = dict(id=pid, session_id="s1234abc", key=key, position=position, kind="open",
                  text=f"Tænk nu, hvis {key}?", due_at=f"2026-03-12T0{7 + position}:00:00+00:00")
    return Prompt(**{**fields, **changes})


def make_reply(rid: str, prompt_id: int, text: str, *, author: str, anonymous: bool = False,
               user_id: str | None = None, role: str = "employee", votes: int = 0, edited: bool = False) -> Reply:
    return Reply(id=rid, session_id="s1234abc", prompt_id=prompt_id, channel="C0TEMADAG",
                 source="modal" if anonymous else "thread", author=author, anonymous=anonymous, role=role,
                 text=text, created_at="2026-03-12T08:05:00+00:00", updated_at="2026-03-12T08:05:00+00:00",
                 ts=f"1773302700.00{rid[-1]}00", user_id=user_id, edited=edited, votes=votes)


@pytest.fixture
def day():
    prompts = [make_prompt(1, "ungdom", 1, state="posted", posted_at="2026-03-12T08:00:02+00:00",
                           message_ts="1773302402.000100"),
               make_prompt(2, "sne", 2),
               make_prompt(3, "tom", 3)]
    replies = [
        make_reply("r1", 1, "Mentorer fra erhvervslivet", author=NAMED_PSEUDONYM, user_id=NAMED_USER, votes=1),
        make_reply("r2", 1, "Gratis buskort til alle unge", author=ANON_PSEUDONYM, anonymous=True,
                   user_id=HIDDEN_USER, votes=5),
        make_reply("r3", 1, "Lommepengejob i kommunen", author=POLITICIAN_PSEUDONYM, user_id=POLITICIAN,
                   role="politician", votes=3, edited=True),
        make_reply("r4", 2, "Snerydningslaug på hver vej", author=NAMED_PSEUDONYM, user_id=NAMED_USER),
        make_reply("r5", 2, "Kommunen låner skovle ud", author=ANON_PSEUDONYM, anonymous=True),
    ]
    return make_session(), prompts, replies


@pytest.fixture
def exported(day):
    """The export as other programs see it: parsed back from the JSON text."""
    text = to_json(build(*day))
    return json.loads(text), text


def test_export_session_has_the_contract_fields(exported):
    data, _ = exported
    assert {key: data["session"][key] for key in ("id", "title", "channel", "state", "timezone", "anonymity")} == {
        "id": "s1234abc", "title": "Velfærd i fællesskab", "channel": "C0TEMADAG", "state": "running",
        "timezone": "Europe/Copenhagen", "anonymity": "choice"}


def test_export_prompts_have_the_contract_fields_in_deck_order(exported):
    data, _ = exported
    prompts = data["prompts"]
    assert [p["id"] for p in prompts] == ["ungdom", "sne", "tom"]
    for prompt in prompts:
        assert {"id", "text", "kind", "state", "due_at", "posted_at", "message_ts", "replies", "themes"} <= set(prompt)
        assert isinstance(prompt["themes"], list)
    first = prompts[0]
    assert (first["text"], first["kind"], first["state"]) == ("Tænk nu, hvis ungdom?", "open", "posted")
    assert (first["due_at"], first["posted_at"], first["message_ts"]) == (
        "2026-03-12T08:00:00+00:00", "2026-03-12T08:00:02+00:00", "1773302402.000100")
    assert (prompts[1]["state"], prompts[1]["posted_at"], prompts[1]["message_ts"]) == ("pending", None, None)
    assert prompts[2]["replies"] == []


def test_export_replies_have_the_contract_fields_under_their_prompt(exported):
    data, _ = exported
    replies = {r["id"]: r for p in data["prompts"] for r in p["replies"]}
    assert [r["id"] for r in data["prompts"][0]["replies"]] == ["r1", "r2", "r3"]
    assert [r["id"] for r in data["prompts"][1]["replies"]] == ["r4", "r5"]
    for reply in replies.values():
        assert {"id", "user", "role", "text", "ts", "edited", "votes"} <= set(reply)
    assert {k: replies["r3"][k] for k in ("user", "role", "text", "edited", "votes")} == {
        "user": POLITICIAN, "role": "politician", "text": "Lommepengejob i kommunen", "edited": True, "votes": 3}
    assert replies["r1"]["user"] == NAMED_USER
    assert replies["r1"]["ts"] == "1773302700.00100"


def test_export_anonymous_replies_have_no_user(exported):
    data, _ = exported
    replies = {r["id"]: r for p in data["prompts"] for r in p["replies"]}
    assert replies["r2"]["user"] is None
    assert replies["r5"]["user"] is None


def test_export_stats_count_replies_and_distinct_participants(exported):
    data, _ = exported
    assert data["stats"]["replies"] == 5
    assert data["stats"]["participants"] == 3   # r1/r4 and r2/r5 share an author


def test_anonymous_author_appears_nowhere_in_json_or_markdown(day, exported):
    _, text = exported
    markdown = to_markdown(build(*day), "da")
    for secret in (ANON_PSEUDONYM, HIDDEN_USER):
        assert secret not in text
        assert secret not in markdown


def test_no_pseudonym_leaves_the_database(day, exported):
    _, text = exported
    markdown = to_markdown(build(*day), "da")
    for pseudonym in (ANON_PSEUDONYM, NAMED_PSEUDONYM, POLITICIAN_PSEUDONYM):
        assert pseudonym not in text + markdown


def markdown_line(markdown: str, text: str) -> str:
    (line,) = [line for line in markdown.splitlines() if text in line]
    return line


def test_markdown_lists_replies_most_voted_first(day):
    markdown = to_markdown(build(*day), "da")
    order = [markdown.index(text) for text in
             ("Gratis buskort til alle unge", "Lommepengejob i kommunen", "Mentorer fra erhvervslivet")]
    assert order == sorted(order)


def test_markdown_says_anonym_for_anonymous_replies(day):
    markdown = to_markdown(build(*day), "da")
    assert "anonym" in markdown_line(markdown, "Gratis buskort til alle unge")
    assert "anonym" in markdown_line(markdown, "Kommunen låner skovle ud")
    assert "anonym" not in markdown_line(markdown, "Mentorer fra erhvervslivet")


def test_markdown_names_named_replies_in_a_choice_session(day):
    markdown = to_markdown(build(*day), "da")
    assert f"<@{NAMED_USER}>" in markdown_line(markdown, "Mentorer fra erhvervslivet")


def test_markdown_hides_names_in_a_confidential_session(day):
    _, prompts, replies = day
    markdown = to_markdown(build(make_session("confidential"), prompts, replies), "da")
    assert NAMED_USER not in markdown and POLITICIAN not in markdown


def test_markdown_has_every_prompt_and_the_title(day):
    markdown = to_markdown(build(*day), "da")
    assert "Velfærd i fællesskab" in markdown
    assert all(f"Tænk nu, hvis {key}?" in markdown for key in ("ungdom", "sne", "tom"))
