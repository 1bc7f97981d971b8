"""The HTTP edge: signatures, stale requests, malformed and oversized input, events nobody handles."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from bot import export
from standin import SignedSender
from tests.support import CHANNEL, SECRET, USERS


def _healthy(bot) -> bool:
    with urllib.request.urlopen(bot.url + "/healthz", timeout=5) as answer:
        return answer.status == 200 and json.loads(answer.read())["ok"] is True


def _event_body(prompt, text="Et svar", event_id="Ev0TEST0001"):
    return json.dumps({
        "token": "x", "team_id": "T0HVIS", "api_app_id": "A0HVIS", "type": "event_callback",
        "event_id": event_id, "event_time": int(time.time()),
        "event": {"type": "message", "channel": CHANNEL, "user": USERS[0], "text": text,
                  "ts": f"{time.time():.6f}", "thread_ts": prompt.message_ts, "channel_type": "channel"},
    }).encode()


@pytest.mark.parametrize("case", ["bad signature", "old timestamp"])
def test_unsigned_or_stale_requests_get_401_and_store_nothing(bot, live_session, case):
    session, prompt = live_session
    sender = SignedSender(bot.url + "/slack/events", SECRET)
    if case == "bad signature":
        answer = sender.post(_event_body(prompt), "application/json", signature="v0=" + "0" * 64)
    else:
        answer = sender.post(_event_body(prompt), "application/json", timestamp=int(time.time()) - 6 * 60)
    assert answer.status == 401
    assert bot.h.store.replies(session.id) == []


def test_signed_body_that_is_not_json_gets_a_4xx(bot, live_session):
    answer = SignedSender(bot.url + "/slack/events", SECRET).post(b"{this is not json", "application/json")
    assert 400 <= answer.status < 500
    assert _healthy(bot)


@pytest.mark.parametrize("text", ["ø" * 40_000, "før\x00efter\x00"])
def test_huge_or_nul_laden_reply_is_acknowledged_and_stored_cleanly(bot, live_session, stub, text):
    session, prompt = live_session
    assert stub.post_as_user(USERS[0], CHANNEL, text, thread_ts=prompt.message_ts).status == 200
    [reply] = export.session_export(bot.h.store, session.id)["prompts"][0]["replies"]
    assert "\x00" not in reply["text"] and reply["text"] == text.replace("\x00", "")
    assert _healthy(bot)


def test_event_type_the_bot_does_not_use_is_acknowledged(bot, live_session, stub):
    envelope = {"token": "x", "team_id": "T0HVIS", "api_app_id": "A0HVIS", "type": "event_callback",
                "event_id": "Ev0UNUSED01", "event_time": int(time.time()),
                "event": {"type": "emoji_changed", "subtype": "add", "name": "hvis", "event_ts": "1.0"}}
    assert stub.deliver(envelope).status == 200
    assert stub.open_home(USERS[0]).status == 200
    assert _healthy(bot)


def test_app_rate_limited_notice_is_acknowledged(bot):
    body = json.dumps({"token": "x", "type": "app_rate_limited", "team_id": "T0HVIS",
                       "minute_rate_limited": 1518467820, "api_app_id": "A0HVIS"}).encode()
    assert SignedSender(bot.url + "/slack/events", SECRET).post(body, "application/json").status == 200


def test_slash_command_mentioning_payload_is_answered(bot, live_session, stub):
    answer = stub.slash(USERS[0], CHANNEL, "export payload")
    assert answer.status == 200 and "hvis" in answer.body.decode()


def test_healthz_reports_database_and_scheduler(bot):
    with urllib.request.urlopen(bot.url + "/healthz", timeout=5) as answer:
        report = json.loads(answer.read())
    assert report["database"] is True and report["scheduler"] is True
