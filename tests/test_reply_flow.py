"""Thread replies, edits, deletions and votes arrive as signed Events API requests and land in SQLite once."""

from __future__ import annotations

import copy
import json

from tests.support import CHANNEL, GUEST, POLITICIAN, USERS, cli_env, exported, hvis, wait_until

TEXTS = ["Tænk nu, hvis unge fik én indgang 🙌", "Snelaug på hver vej ❄️\nmed kommunens skovle",
         "Åbne dagtilbud om aftenen – ærligt talt nødvendigt 👶"]


def _export(bot, session_id):
    return exported(bot.store, session_id)


def test_thirty_replies_with_edit_delete_ignored_events_retry_and_votes(bot, live_session, stub, settings, tmp_path):
    session, prompt = live_session
    posted = []
    for round_ in range(3):
        for user in USERS:
            delivery = stub.post_as_user(user, CHANNEL, f"{TEXTS[round_]} ({user})", thread_ts=prompt.message_ts)
            assert delivery.status == 200
            posted.append(delivery)
    first, doomed, favourite = posted[0], posted[1], posted[2]

    assert stub.edit_as_user(USERS[0], CHANNEL, first.ts, "Rettet: én indgang for ALLE unge ✨").status == 200
    assert stub.delete_as_user(USERS[1], CHANNEL, doomed.ts).status == 200
    retry = stub.deliver(posted[5].payload, retry_num=1, retry_reason="http_timeout")
    assert retry.status == 200
    bot_event = copy.deepcopy(posted[6].payload)
    bot_event["event_id"] = "Ev0BOTMESSAGE"
    bot_event["event"].update(subtype="bot_message", bot_id="B0OTHERBOT", text="Jeg er en anden bot", ts="1773302400.999999")
    bot_event["event"].pop("user", None)
    assert stub.deliver(bot_event).status == 200
    stub.add_user("U0NEWCOMER", name="ny", real_name="Ny Kollega")
    assert all(d.status == 200 for d in stub.join("U0NEWCOMER", CHANNEL))

    voters = USERS[3:7]
    for voter in voters:
        assert stub.react(voter, CHANNEL, favourite.ts, "+1").status == 200
    assert stub.unreact(voters[0], CHANNEL, favourite.ts, "+1").status == 200
    assert stub.react(voters[1], CHANNEL, favourite.ts, "heart").status == 200

    result = hvis("export", session.id, "--format", "json", env=cli_env(settings.db_path), cwd=tmp_path)
    assert result.code == 0, result.err
    data = json.loads(result.out)
    replies = data["prompts"][0]["replies"]
    assert len(replies) == 29 and data["stats"]["replies"] == 29
    assert data["stats"]["participants"] == 10
    edited = [r for r in replies if r["edited"]]
    assert [r["text"] for r in edited] == ["Rettet: én indgang for ALLE unge ✨"]
    assert doomed.ts not in {r["ts"] for r in replies}
    assert {r["ts"]: r["votes"] for r in replies}[favourite.ts] == 3
    assert sum(r["votes"] for r in replies) == 3
    assert any("\n" in r["text"] and "❄️" in r["text"] for r in replies)
    assert "Jeg er en anden bot" not in json.dumps(data, ensure_ascii=False)


def test_reply_keeps_the_role_its_author_had(bot, live_session, stub):
    session, prompt = live_session
    for user in (USERS[0], POLITICIAN, GUEST):
        stub.post_as_user(user, CHANNEL, f"Svar fra {user}", thread_ts=prompt.message_ts)
    roles = {r["user"]: r["role"] for r in _export(bot, session.id)["prompts"][0]["replies"]}
    assert roles == {USERS[0]: "employee", POLITICIAN: "politician", GUEST: "guest"}


def test_a_guest_the_bot_has_not_met_answering_through_the_modal_is_tagged_guest(bot, live_session, stub):
    session, prompt = live_session
    stub.add_user("U0NEWGUEST", name="nina", real_name="Nina Ny", is_restricted=True)  # joined after the bot started
    stub.join("U0NEWGUEST", CHANNEL)
    stub.click("U0NEWGUEST", CHANNEL, prompt.message_ts, "answer", str(prompt.id))
    view = wait_until(lambda: stub.last_view("U0NEWGUEST"), "the answer modal")
    assert stub.submit_view("U0NEWGUEST", view["id"], {"answer": {"value": "Et svar fra en ny gæst"}}).status == 200
    [reply] = _export(bot, session.id)["prompts"][0]["replies"]
    assert reply["role"] == "guest"


def test_messages_outside_prompt_threads_are_not_replies(bot, live_session, stub):
    session, prompt = live_session
    top = stub.post_as_user(USERS[0], CHANNEL, "Hej alle sammen")
    assert top.status == 200
    assert stub.post_as_user(USERS[1], CHANNEL, "Svar på en almindelig besked", thread_ts=top.ts).status == 200
    assert _export(bot, session.id)["stats"]["replies"] == 0


def test_reactions_on_the_prompt_itself_are_not_votes(bot, live_session, stub):
    session, prompt = live_session
    reply = stub.post_as_user(USERS[0], CHANNEL, "En idé", thread_ts=prompt.message_ts)
    stub.react(USERS[1], CHANNEL, prompt.message_ts, "+1")
    stub.react(USERS[2], CHANNEL, reply.ts, "+1::skin-tone-3")
    stub.react(USERS[2], CHANNEL, reply.ts, "+1")
    assert _export(bot, session.id)["prompts"][0]["replies"][0]["votes"] == 1


def test_joiner_of_a_session_channel_is_greeted_privately(bot, live_session, stub):
    stub.add_user("U0POLITIC2", name="ole", real_name="Ole Dahl", is_ultra_restricted=True)
    stub.join("U0POLITIC2", CHANNEL)
    greeting = wait_until(lambda: stub.ephemerals(channel=CHANNEL, user="U0POLITIC2"), "a greeting")
    assert "Velkommen" in greeting[0]["text"]
    assert not stub.calls_to("chat.postMessage") or all(
        "Velkommen" not in (c.args.get("text") or "") for c in stub.calls_to("chat.postMessage"))


def test_edit_or_deletion_that_overtakes_the_original_is_not_undone_by_its_late_delivery(bot, live_session, stub):
    session, prompt = live_session
    stub.request_url, real_url = None, stub.request_url  # the originals' deliveries fail…
    edited_first = stub.post_as_user(USERS[0], CHANNEL, "Første udgave", thread_ts=prompt.message_ts)
    deleted_first = stub.post_as_user(USERS[1], CHANNEL, "Fortrudt", thread_ts=prompt.message_ts)
    assert edited_first.status == deleted_first.status == 0
    stub.request_url = real_url  # …then Slack reaches us again, and the edit and deletion arrive first
    assert stub.edit_as_user(USERS[0], CHANNEL, edited_first.ts, "Rettet udgave").status == 200
    assert stub.delete_as_user(USERS[1], CHANNEL, deleted_first.ts).status == 200
    for late in (edited_first, deleted_first):  # Slack's retries of the originals
        assert stub.deliver(late.payload, retry_num=1).status == 200
    [reply] = _export(bot, session.id)["prompts"][0]["replies"]
    assert reply["text"] == "Rettet udgave" and reply["edited"] is True


def test_edits_delivered_out_of_order_keep_the_latest_text(bot, live_session, stub):
    session, prompt = live_session
    original = stub.post_as_user(USERS[0], CHANNEL, "Udgave 1", thread_ts=prompt.message_ts)
    stub.request_url, real_url = None, stub.request_url
    older = stub.edit_as_user(USERS[0], CHANNEL, original.ts, "Udgave 2")  # its delivery fails …
    stub.request_url = real_url
    assert stub.edit_as_user(USERS[0], CHANNEL, original.ts, "Udgave 3").status == 200
    assert stub.deliver(older.payload, retry_num=1).status == 200  # … and Slack's retry comes last
    [reply] = _export(bot, session.id)["prompts"][0]["replies"]
    assert reply["text"] == "Udgave 3"
