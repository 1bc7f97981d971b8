"""Socket Mode end to end: the real bot connects out to the stand-in over a WebSocket, stores before it acks,
answers commands and modals, and survives a reconnect."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.i18n import t
from bot.runtime import Bot
from tests.support import CHANNEL, FACILITATOR, USERS, wait_until


@pytest.fixture
def bot(settings, clock, stub, monkeypatch):
    """The real bot in Socket Mode (no HTTP server, no signing secret), connected to the stand-in."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)  # slack_sdk's Socket Mode client uses these and ignores NO_PROXY
    running = Bot(dataclasses.replace(settings, app_token=stub.app_token, signing_secret=""), clock, tick_seconds=0.05)
    try:
        running.start_socket_mode()
        stub.use_socket_mode()
        stub.wait_for_socket()
        yield running
    finally:
        running.stop()


def _replies(bot, session, ts=None):
    return [r for r in bot.store.replies.of_session(session.id) if ts is None or r.ts == ts]


def test_bot_links_with_the_app_token_stores_each_reply_before_its_ack_and_survives_a_reconnect(bot, live_session,
                                                                                               stub):
    session, prompt = live_session
    assert prompt.state == "posted" and stub.message(CHANNEL, prompt.message_ts) is not None
    [opened] = stub.calls_to("apps.connections.open")
    assert opened.ok and opened.response["url"].startswith("ws://127.0.0.1:")
    assert opened.headers["Authorization"] == f"Bearer {stub.app_token}"
    assert stub.socket_connections() == 1
    assert all(c.headers.get("Authorization") == f"Bearer {stub.bot_token}" for c in stub.calls
               if c.method != "apps.connections.open"), "the app token is used for nothing else"

    for n, user in enumerate(USERS[:3]):
        delivery = stub.post_as_user(user, CHANNEL, f"Idé nummer {n}", thread_ts=prompt.message_ts)
        assert delivery.status == 200 and delivery.envelope_id
        [stored] = _replies(bot, session, delivery.ts)  # read at once: no waiting after the ack
        assert stored.text == f"Idé nummer {n}" and stored.user_id == user
    again = stub.deliver(delivery.payload, retry_num=1, retry_reason="timeout")
    assert again.status == 200 and again.event_id == delivery.event_id and again.envelope_id != delivery.envelope_id
    assert len(_replies(bot, session, delivery.ts)) == 1 and len(_replies(bot, session)) == 3

    assert stub.disconnect_socket() == 1  # Slack refreshes the link now and then
    stub.wait_for("apps.connections.open", count=2)
    wait_until(lambda: stub.socket_connections() == 1, "the old link to be replaced")
    first, second = (c.response["url"] for c in stub.calls_to("apps.connections.open"))
    assert first != second
    after = stub.post_as_user(USERS[4], CHANNEL, "Svar efter genforbindelse", thread_ts=prompt.message_ts)
    assert after.status == 200 and len(_replies(bot, session, after.ts)) == 1


def test_anonymous_answer_through_button_and_modal(bot, live_session, stub):
    session, prompt = live_session
    user = USERS[3]
    assert stub.click(user, CHANNEL, prompt.message_ts, "answer_anonymously", str(prompt.id)).status == 200
    view = wait_until(lambda: stub.last_view(user), "the answer modal")

    refused = stub.submit_view(user, view["id"], {"answer": {"value": "   "}})
    assert refused.status == 200 and refused.json()["response_action"] == "errors"
    assert stub.last_view(user)["open"] is True and _replies(bot, session) == []

    accepted = stub.submit_view(user, view["id"], {"answer": {"value": "Ingen må vide, at det var mig"}})
    assert accepted.status == 200 and not accepted.body
    assert stub.last_view(user)["open"] is False
    [reply] = _replies(bot, session)
    assert reply.anonymous and reply.user_id is None
    posted = wait_until(lambda: [r for r in _replies(bot, session) if r.ts], "the answer in the thread")
    shown = stub.message(CHANNEL, posted[0].ts)
    assert shown["thread_ts"] == prompt.message_ts and user not in json.dumps(shown)
    assert "Ingen må vide" in json.dumps(shown, ensure_ascii=False)


def test_commands_and_requests_nobody_handles_are_acknowledged(bot, live_session, stub):
    session, prompt = live_session
    answer = stub.slash(FACILITATOR, CHANNEL, "help")
    assert answer.status == 200
    [told] = wait_until(lambda: stub.ephemerals(user=FACILITATOR), "the help text")
    assert told["text"].startswith(t("en", "help.participant")) and t("en", "help.facilitator") in told["text"]

    renamed = {"type": "event_callback", "team_id": stub.team_id, "api_app_id": "A0HVISAPP", "event_id": "Ev0RENAME01",
               "event_time": 1, "event": {"type": "channel_rename", "channel": {"id": CHANNEL, "name": "nyt-navn"}}}
    assert stub.deliver(renamed).status == 200
    click = stub.click(USERS[0], CHANNEL, prompt.message_ts, "answer", str(prompt.id))
    unknown = copy.deepcopy(click.payload)
    unknown["actions"][0]["action_id"] = "no_such_button"
    assert click.status == 200 and stub.deliver(unknown).status == 200
    assert stub.socket_connections() == 1


def test_apps_connections_open_takes_only_the_app_token(stub):
    client = WebClient(base_url=stub.api_url)
    with pytest.raises(SlackApiError) as bot_token:
        client.apps_connections_open(app_token=stub.bot_token)
    with pytest.raises(SlackApiError) as unknown:
        client.apps_connections_open(app_token="xapp-1-A0NOPE-1-deadbeef")
    with pytest.raises(SlackApiError) as app_token_elsewhere:
        WebClient(token=stub.app_token, base_url=stub.api_url).auth_test()
    assert bot_token.value.response["error"] == "not_allowed_token_type"
    assert unknown.value.response["error"] == "invalid_auth"
    assert app_token_elsewhere.value.response["error"] == "not_allowed_token_type"


def test_delivery_without_a_link_has_status_zero_and_the_message_still_exists(stub):
    stub.use_socket_mode()
    stub.delivery_timeout = 0.3
    missed = stub.post_as_user(USERS[0], CHANNEL, "ingen forbindelse")
    assert missed.status == 0
    assert stub.messages(CHANNEL)[-1]["text"] == "ingen forbindelse"  # only the app missed it


def test_without_an_app_token_the_bot_needs_a_signing_secret(settings, clock, stub):
    from bot.errors import BadInput

    with pytest.raises(BadInput, match="SLACK_SIGNING_SECRET"):
        Bot(dataclasses.replace(settings, signing_secret=""), clock)
