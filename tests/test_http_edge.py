"""The HTTP edge: health, paths and methods, signatures, body limits, malformed input, Slack's retries,
requests nobody handles, and a slash command Bolt would have misread."""

from __future__ import annotations

import copy
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

from bot.clock import FixedClock
from bot.config import Settings
from bot.i18n import t
from bot.runtime import Bot
from standin import SignedSender, SlackStandIn, signature_for
from tests.conftest import START, start_session
from tests.support import CHANNEL, FACILITATOR, SECRET, TEAM, USERS, exported, wait_until


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    """One running bot with a live session for the checks that must store nothing (refusals, malformed and
    unhandled requests): a fresh bot per case would cost more than all the cases together."""
    stub = SlackStandIn(signing_secret=SECRET, team_id=TEAM).start()
    for user in (*USERS, FACILITATOR):
        stub.add_user(user, name=user.lower(), real_name=f"Person {user}")
    stub.add_channel(CHANNEL, name="temadag", members=[*USERS, FACILITATOR])
    folder = tmp_path_factory.mktemp("edge")
    settings = Settings(bot_token=stub.bot_token, signing_secret=SECRET, api_url=stub.api_url,
                        db_path=folder / "hvis.db", key_file=folder / "keys.json",
                        facilitators=frozenset({FACILITATOR}), threads=4, slack_timeout=2.0, settle_seconds=0.5)
    clock = FixedClock(START)
    bot = Bot(settings, clock, tick_seconds=0.05)
    bot.url = f"http://127.0.0.1:{bot.start_http('127.0.0.1', 0)}"
    stub.request_url = bot.url + "/slack/events"
    session, prompt = start_session(bot, clock)
    yield SimpleNamespace(bot=bot, stub=stub, session=session, prompt=prompt)
    bot.stop()
    stub.stop()


def _healthy(bot) -> bool:
    with urllib.request.urlopen(bot.url + "/healthz", timeout=5) as answer:
        return answer.status == 200 and json.loads(answer.read())["ok"] is True


def _sender(bot) -> SignedSender:
    return SignedSender(bot.url + "/slack/events", SECRET)


def _envelope(event: dict, event_id: str = "Ev0EDGE0001") -> dict:
    return {"token": "x", "team_id": TEAM, "api_app_id": "A0HVISAPP", "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()), "event": event}


def _reply_event(prompt, text="Et svar", ts=None) -> dict:
    return {"type": "message", "channel": CHANNEL, "user": USERS[0], "text": text, "ts": ts or f"{time.time():.6f}",
            "thread_ts": prompt.message_ts, "channel_type": "channel"}


def _replies(bot, session):
    return bot.store.replies.of_session(session.id)


# ---- what is there and what is not ------------------------------------------------------------------------

def test_healthz_reports_database_and_scheduler_as_json(edge):
    with urllib.request.urlopen(edge.bot.url + "/healthz", timeout=5) as answer:
        assert answer.status == 200 and answer.headers["Content-Type"].startswith("application/json")
        report = json.loads(answer.read())
    assert report["ok"] is True and report["database"] is True and report["scheduler"] is True


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/slack/events", 405), ("PUT", "/slack/events", 405), ("GET", "/", 404), ("POST", "/slack/other", 404),
    ("GET", "/healthz/../slack", 404)])
def test_other_paths_and_methods_are_refused(edge, method, path, status):
    request = urllib.request.Request(edge.bot.url + path, method=method, data=b"{}" if method != "GET" else None)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == status


# ---- who may talk to the bot ------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["unsigned", "bad signature", "old timestamp", "future timestamp", "other secret",
                                  "timestamp not a number", "not UTF-8, unsigned", "not UTF-8, signed"])
def test_unsigned_stale_or_unverifiable_requests_get_401_and_store_nothing(edge, case, caplog):
    bot, session, prompt = edge.bot, edge.session, edge.prompt
    body = json.dumps(_envelope(_reply_event(prompt))).encode()
    garbage = body[:-1] + b"\xff\xfe}"  # Slack signs UTF-8 text only
    sender, now = _sender(bot), int(time.time())
    answer = {
        "unsigned": lambda: sender.post(body, "application/json", sign=False),
        "bad signature": lambda: sender.post(body, "application/json", signature="v0=" + "0" * 64),
        "old timestamp": lambda: sender.post(body, "application/json", timestamp=now - 6 * 60),
        "future timestamp": lambda: sender.post(body, "application/json", timestamp=now + 6 * 60),
        "other secret": lambda: sender.post(body, "application/json",
                                            signature=signature_for("not-our-secret", str(now), body), timestamp=now),
        "timestamp not a number": lambda: sender.post(body, "application/json",
                                                      extra_headers={"X-Slack-Request-Timestamp": "soon"}),
        "not UTF-8, unsigned": lambda: sender.post(garbage, "application/json", signature="v0=" + "0" * 64),
        "not UTF-8, signed": lambda: sender.post(garbage, "application/json"),
    }[case]()
    assert answer.status == 401
    assert _replies(bot, session) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "refused, not crashed on"


def _raw_post(bot, headers: dict, body_parts, timeout: float = 5.0) -> int:
    """POST a hand-made request (to declare or stream more than is sent); the answer's status, which must come
    before the whole body was sent (or `timeout` fails the test)."""
    host, port = bot.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as conn:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        conn.sendall(f"POST /slack/events HTTP/1.1\r\nHost: {host}\r\n{head}\r\n".encode())
        try:
            for part in body_parts:
                conn.sendall(part)
        except OSError:
            pass  # the server may stop reading (and close) as soon as it has seen enough
        return int(conn.makefile("rb").readline().split()[1])


def test_body_over_one_mebibyte_gets_413_before_it_is_read(edge):
    bot = edge.bot
    declared = {"Content-Type": "application/json", "Content-Length": str(64 * 1024 * 1024)}
    assert _raw_post(bot, declared, [b"{"]) == 413  # 64 MiB announced, one byte sent: nothing is waited for


def test_chunked_body_is_cut_off_once_it_passes_one_mebibyte(edge):
    bot = edge.bot
    chunk = b"x" * 65536
    never_ending = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * 20  # 1.25 MiB and no final chunk: it never ends
    assert _raw_post(bot, {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}, never_ending) == 413
    assert _healthy(bot)


# ---- malformed but signed: answered, never a 500 ------------------------------------------------------------

MALFORMED = {
    "JSON array": ("application/json", b"[]"),
    "JSON scalar": ("application/json", b"42"),
    "JSON string": ("application/json", b'"event_callback"'),
    "not JSON": ("application/json", b"{this is not json"),
    "100,000 nested objects": ("application/json", b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
    "100,000 nested arrays": ("application/json", b"[" * 100_000 + b"]" * 100_000),
    "payload=[]": ("application/x-www-form-urlencoded", b"payload=%5B%5D"),
    "payload not JSON": ("application/x-www-form-urlencoded", b"payload=%7Bnope"),
    "payload deeply nested": ("application/x-www-form-urlencoded",
                              urlencode({"payload": "[" * 50_000 + "]" * 50_000}).encode()),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_unusable_signed_request_is_refused_or_acknowledged_without_retry(edge, case, caplog):
    bot = edge.bot
    content_type, body = MALFORMED[case]
    answer = _sender(bot).post(body, content_type)
    assert answer.status in (200, 400), answer.status
    if answer.status == 200:
        assert {k.lower(): v for k, v in answer.headers.items()}.get("x-slack-no-retry") == "1"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert _healthy(bot)


def _click_payload(stub, prompt):
    return copy.deepcopy(stub.click(USERS[1], CHANNEL, prompt.message_ts, "answer", str(prompt.id)).payload)


def _odd(stub, prompt, case):
    """A signed request Slack would never send, but a bug or an attacker with the secret might."""
    if case == "event channel is an object":
        return _envelope({**_reply_event(prompt), "channel": {"id": CHANNEL}})
    if case == "reaction item channel is an object":
        return _envelope({"type": "reaction_added", "user": USERS[0], "reaction": "+1",
                          "item": {"type": "message", "channel": {"id": CHANNEL}, "ts": prompt.message_ts}})
    if case == "event author is a list":
        return _envelope({**_reply_event(prompt), "user": [USERS[0]]})
    if case == "event is a list":
        return {**_envelope({}), "event": [_reply_event(prompt)]}
    if case == "authorizations is text":
        return {**_envelope(_reply_event(prompt)), "authorizations": "alle"}
    if case == "view has no type":
        return {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": USERS[0]},
                "view": {"id": "V0NOPE", "callback_id": "answer", "state": {"values": {}}}}
    payload = _click_payload(stub, prompt)
    action = payload["actions"][0]
    if case == "huge prompt id in a button":
        action["value"] = "9" * 5000
    elif case == "prompt id not a number":
        action["value"] = "1e9"
    elif case == "vote value not JSON":
        action.update(action_id="vote", value="{nope")
    elif case == "post now on a prompt id of 30 digits":
        action.update(action_id="post_now", value="1" * 30)
    return payload


# (case, handled by the listener itself rather than by the one error handler)
ODD = [("event channel is an object", True), ("reaction item channel is an object", True),
       ("huge prompt id in a button", True), ("prompt id not a number", True), ("vote value not JSON", True),
       ("post now on a prompt id of 30 digits", True), ("event author is a list", False), ("event is a list", False),
       ("authorizations is text", True), ("view has no type", True)]


@pytest.mark.parametrize("case,quiet", ODD)
def test_odd_fields_in_signed_requests_are_answered_never_with_500(edge, case, quiet, caplog):
    bot, stub, session, prompt = edge.bot, edge.stub, edge.session, edge.prompt
    caplog.set_level(logging.INFO)
    answer = stub.deliver(_odd(stub, prompt, case))
    assert answer.status in (200, 400), answer.status
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    if quiet:
        assert not errors, "handled where it arrived, not by the error handler"
    if errors:
        assert {k.lower(): v for k, v in answer.headers.items()}.get("x-slack-no-retry") == "1"
    assert _replies(bot, session) == [] and _healthy(bot)


# ---- Slack's own behaviour --------------------------------------------------------------------------------

def test_slack_retries_store_a_reply_and_a_vote_once(bot, live_session, stub):
    session, prompt = live_session
    reply = stub.post_as_user(USERS[0], CHANNEL, "Tænk hvis bussen kom hver time", thread_ts=prompt.message_ts)
    vote = stub.react(USERS[1], CHANNEL, reply.ts, "+1")
    for attempt, reason in ((1, "http_timeout"), (2, "http_error"), (3, "connection_failed")):
        assert stub.deliver(reply.payload, retry_num=attempt, retry_reason=reason).status == 200
        assert stub.deliver(vote.payload, retry_num=attempt, retry_reason=reason).status == 200
    [stored] = exported(bot.store, session.id)["prompts"][0]["replies"]
    assert stored["text"] == "Tænk hvis bussen kom hver time" and stored["votes"] == 1


def test_events_and_actions_nobody_handles_are_acknowledged_not_404(edge):
    bot, stub, session, prompt = edge.bot, edge.stub, edge.session, edge.prompt
    renamed = _envelope({"type": "channel_rename", "channel": {"id": CHANNEL, "name": "nyt-navn", "created": 1}},
                        "Ev0RENAME01")
    emoji = _envelope({"type": "emoji_changed", "subtype": "add", "name": "hvis", "event_ts": "1.0"}, "Ev0EMOJI01")
    topic = _envelope({"type": "message", "subtype": "channel_topic", "channel": CHANNEL, "user": USERS[0],
                       "topic": "Temadag", "ts": f"{time.time():.6f}"}, "Ev0TOPIC01")
    unknown_button = _click_payload(stub, prompt)
    unknown_button["actions"][0]["action_id"] = "no_such_button"
    unknown_view = {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": USERS[0]},
                    "view": {"id": "V0NOPE", "type": "modal", "callback_id": "no_such_form", "state": {"values": {}},
                             "private_metadata": ""}}
    for payload in (renamed, emoji, topic, unknown_button, unknown_view):
        assert stub.deliver(payload).status == 200, payload.get("type")
    assert stub.open_home(USERS[0]).status == 200
    assert _replies(bot, session) == [] and _healthy(bot)


def test_app_rate_limited_notice_is_acknowledged(edge):
    bot = edge.bot
    body = json.dumps({"token": "x", "type": "app_rate_limited", "team_id": TEAM,
                       "minute_rate_limited": 1518467820, "api_app_id": "A0HVISAPP"}).encode()
    assert _sender(bot).post(body, "application/json").status == 200


@pytest.mark.parametrize("words", ["eksport payload", "export payload"])
def test_slash_command_mentioning_payload_is_answered_as_typed(edge, words, caplog):
    stub = edge.stub
    asked = len(stub.ephemerals(user=FACILITATOR))
    assert stub.slash(FACILITATOR, CHANNEL, words).status == 200
    told = wait_until(lambda: stub.ephemerals(user=FACILITATOR)[asked:], "the command's answer")
    # The words reach the command (also in the copy Bolt makes for the lazy listener): no session "payload".
    english = words.startswith("export")
    assert told[0]["text"] == t("en" if english else "da", "session.unknown", id="payload")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


LONGEST = ("Tænk nu, hvis vi gjorde det sammen – ærligt talt, på tværs af forvaltningerne! " * 500)[:39_999] + "!"


@pytest.mark.parametrize("text", [LONGEST, "før\x00efter\x00"], ids=["40,000 characters", "NUL bytes"])
def test_huge_or_nul_laden_reply_is_acknowledged_and_stored_cleanly(bot, live_session, stub, text):
    session, prompt = live_session
    assert stub.post_as_user(USERS[0], CHANNEL, text, thread_ts=prompt.message_ts).status == 200
    [reply] = exported(bot.store, session.id)["prompts"][0]["replies"]
    assert reply["text"] == text.replace("\x00", "")
    assert _healthy(bot)
