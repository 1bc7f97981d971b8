"""Socket Mode: the real bot connects out to the stand-in over a WebSocket and acknowledges each envelope."""

from __future__ import annotations

import os

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")  # proxies must never intercept loopback

import dataclasses  # noqa: E402
import time  # noqa: E402

import pytest  # noqa: E402
from slack_sdk import WebClient  # noqa: E402
from slack_sdk.errors import SlackApiError  # noqa: E402
from slack_sdk.socket_mode.builtin import SocketModeClient  # noqa: E402

from bot.i18n import t  # noqa: E402
from bot.runtime import Bot, build  # noqa: E402
from tests.conftest import start_session  # noqa: E402
from tests.support import CHANNEL, FACILITATOR, USERS, wait_until  # noqa: E402


@pytest.fixture
def bot(settings, clock, stub, monkeypatch):
    """The real bot in Socket Mode (no HTTP server, no signing secret), connected to the stand-in."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)  # slack_sdk's Socket Mode client uses these and ignores NO_PROXY
    running = Bot(build(dataclasses.replace(settings, app_token=stub.app_token, signing_secret=""), clock),
                  tick_seconds=0.05)
    try:
        running.start_socket_mode()
        stub.use_socket_mode()
        stub.wait_for_socket()
        yield running
    finally:
        running.stop()


@pytest.fixture
def raw_client(stub, monkeypatch):
    """slack_sdk's builtin Socket Mode client with no listeners: it connects and never acknowledges."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    client = SocketModeClient(app_token=stub.app_token, web_client=WebClient(base_url=stub.api_url))
    yield client
    client.close()


def _reply(bot, session, ts):
    return [r for r in bot.h.store.replies(session.id) if r.ts == ts]


def test_bot_opens_one_link_with_the_app_token_and_posts_the_first_prompt(bot, clock, stub):
    session, prompt = start_session(bot, clock, stub)
    assert prompt.state == "posted" and stub.message(CHANNEL, prompt.message_ts) is not None
    [opened] = stub.calls_to("apps.connections.open")
    assert opened.ok and opened.response["url"].startswith("ws://127.0.0.1:")
    assert opened.headers["Authorization"] == f"Bearer {stub.app_token}"
    assert stub.socket_connections() == 1


def test_thread_reply_is_stored_once_when_slack_redelivers_the_same_event(bot, clock, stub):
    session, prompt = start_session(bot, clock, stub)
    first = stub.post_as_user(USERS[0], CHANNEL, "Tænk nu, hvis bussen kom hver time", thread_ts=prompt.message_ts)
    assert first.status == 200 and first.envelope_id
    again = stub.deliver(first.payload, retry_num=1, retry_reason="timeout")
    assert again.status == 200 and again.event_id == first.event_id and again.envelope_id != first.envelope_id
    assert len(_reply(bot, session, first.ts)) == 1
    assert len(bot.h.store.replies(session.id)) == 1


def test_reply_is_in_sqlite_before_its_ack_arrives(bot, clock, stub):
    session, prompt = start_session(bot, clock, stub)
    for n, user in enumerate(USERS[:5]):
        delivery = stub.post_as_user(user, CHANNEL, f"Idé nummer {n}", thread_ts=prompt.message_ts)
        assert delivery.status == 200
        [stored] = _reply(bot, session, delivery.ts)  # read at once: no waiting after the ack
        assert stored.text == f"Idé nummer {n}" and stored.user_id == user


def test_anonymous_answer_through_button_and_modal(bot, clock, stub):
    session, prompt = start_session(bot, clock, stub)
    user = USERS[3]
    assert stub.click(user, CHANNEL, prompt.message_ts, "answer_anonymously", str(prompt.id)).status == 200
    view = wait_until(lambda: stub.last_view(user), "the answer modal")

    refused = stub.submit_view(user, view["id"], {"answer": {"value": "   "}})
    assert refused.status == 200 and refused.json()["response_action"] == "errors"
    assert stub.last_view(user)["open"] is True and bot.h.store.replies(session.id) == []

    accepted = stub.submit_view(user, view["id"], {"answer": {"value": "Ingen må vide, at det var mig"}})
    assert accepted.status == 200 and not accepted.body
    assert stub.last_view(user)["open"] is False
    [reply] = bot.h.store.replies(session.id)
    assert reply.anonymous and reply.user_id is None
    posted = wait_until(lambda: [r for r in bot.h.store.replies(session.id) if r.ts], "the answer in the thread")
    assert user not in str(stub.message(CHANNEL, posted[0].ts))


def test_slash_help_answers_with_the_help_text_in_the_ack(bot, stub):
    answer = stub.slash(FACILITATOR, CHANNEL, "help")
    assert answer.status == 200
    assert answer.json() == {"response_type": "ephemeral", "text": t("en", "help.text")}


def test_bot_reconnects_after_disconnect_and_keeps_storing_replies(bot, clock, stub):
    session, prompt = start_session(bot, clock, stub)
    assert stub.disconnect_socket() == 1
    stub.wait_for_socket()
    stub.wait_for("apps.connections.open", count=2)
    wait_until(lambda: stub.socket_connections() == 1, "the old link to be replaced")
    delivery = stub.post_as_user(USERS[1], CHANNEL, "Svar efter genforbindelse", thread_ts=prompt.message_ts)
    assert delivery.status == 200
    assert len(_reply(bot, session, delivery.ts)) == 1


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
    assert [c.response["error"] for c in stub.calls_to("apps.connections.open")] == \
        ["not_allowed_token_type", "invalid_auth"]


def test_delivery_without_a_link_or_an_ack_has_status_zero(stub, raw_client):
    stub.use_socket_mode()
    stub.delivery_timeout = 0.3
    assert stub.post_as_user(USERS[0], CHANNEL, "ingen forbindelse").status == 0
    raw_client.connect()
    stub.wait_for_socket()
    started = time.monotonic()
    unanswered = stub.post_as_user(USERS[0], CHANNEL, "ingen kvittering")
    assert unanswered.status == 0 and unanswered.envelope_id and time.monotonic() - started < 2
    assert stub.messages(CHANNEL)[-1]["text"] == "ingen kvittering"  # the message exists; only the app missed it
