"""Behaviour of the local Slack stand-in, driven through the real slack_sdk client."""

import os

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")  # proxies must never intercept loopback

import json
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qs

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from bot.runtime import close_socket_mode
from standin import SignedSender, SlackStandIn
from tests.support import wait_until

SECRET = "s3cret"
BUTTONS = [{"type": "actions", "block_id": "vote",
            "elements": [{"type": "button", "action_id": "yes", "value": "y",
                          "text": {"type": "plain_text", "text": "Ja"}}]}]
MODAL = {"type": "modal", "callback_id": "tilmeld", "private_metadata": "C1|42",
         "title": {"type": "plain_text", "text": "Tilmelding"}, "submit": {"type": "plain_text", "text": "Send"},
         "blocks": [{"type": "input", "block_id": "navn", "label": {"type": "plain_text", "text": "Navn"},
                     "element": {"type": "plain_text_input", "action_id": "v"}},
                    {"type": "input", "block_id": "mad", "label": {"type": "plain_text", "text": "Mad"},
                     "element": {"type": "static_select", "action_id": "valg",
                                 "options": [{"text": {"type": "plain_text", "text": "Vegetar"}, "value": "veg"}]}},
                    {"type": "input", "block_id": "note", "optional": True,
                     "label": {"type": "plain_text", "text": "Note"},
                     "element": {"type": "plain_text_input", "action_id": "n"}}]}


class Receiver:
    """A tiny app stand-in: records every request and answers with `respond(req)`."""

    def __init__(self, respond=None):
        self.requests = []
        self.respond = respond or (lambda req: (200, b""))
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                req = {"headers": dict(self.headers.items()), "body": body}
                outer.requests.append(req)
                status, out = outer.respond(req)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def json(self, i=-1):
        return json.loads(self.requests[i]["body"])

    def form_payload(self, i=-1):
        return json.loads(parse_qs(self.requests[i]["body"].decode())["payload"][0])

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    s = SlackStandIn(signing_secret=SECRET, team_id="T0HVIS", team_name="Hvis Kommune",
                     bot_user_id="UHVISBOT", bot_id="BHVISBOT").start()
    s.add_user("U1", name="mette", real_name="Mette Hansen")
    s.add_user("U2", name="ole", real_name="Ole Olsen", is_restricted=True)
    s.add_channel("C1", name="temadag", members=["U1", "U2"])
    yield s
    s.stop()


@pytest.fixture
def client(stub):
    return WebClient(token=stub.bot_token, base_url=stub.api_url)


@pytest.fixture
def app():
    r = Receiver()
    yield r
    r.stop()


def test_auth_test_returns_bot_identity_and_scopes_header(stub, client):
    resp = client.auth_test()
    assert resp["user_id"] == "UHVISBOT" and resp["bot_id"] == "BHVISBOT" and resp["team_id"] == "T0HVIS"
    assert resp["url"] == "https://hvis-demo.slack.com/" and resp["is_enterprise_install"] is False
    assert "chat:write" in resp.headers["x-oauth-scopes"].split(",")
    headers = {k.lower(): v for k, v in resp.headers.items()}
    assert headers["content-type"] == "application/json; charset=utf-8"


def test_wrong_token_is_invalid_auth_and_unknown_method_is_reported(stub):
    with pytest.raises(SlackApiError) as err:
        WebClient(token="xoxb-nope", base_url=stub.api_url).auth_test()
    assert err.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as err:
        WebClient(token=stub.bot_token, base_url=stub.api_url).api_call("chat.fly")
    assert err.value.response.status_code == 200 and err.value.response["error"] == "unknown_method"


def test_token_is_accepted_as_form_field(stub):
    resp = WebClient(base_url=stub.api_url).users_info(user="U1", token=stub.bot_token)
    assert resp["user"]["name"] == "mette"


def test_post_message_is_stored_and_logged(stub, client):
    resp = client.chat_postMessage(channel="C1", text="Hej", blocks=BUTTONS)
    assert resp["channel"] == "C1" and resp["message"]["bot_id"] == "BHVISBOT"
    stored = stub.message("C1", resp["ts"])
    assert stored["user"] == "UHVISBOT" and stored["blocks"][0]["block_id"] == "vote"
    call = stub.wait_for("chat.postMessage")[0]
    assert call.args["channel"] == "C1" and call.args["blocks"] == BUTTONS
    assert call.headers["Authorization"] == f"Bearer {stub.bot_token}"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_errors_match_slack(stub, client):
    stub.add_channel("G1", name="hemmelig", members=["U1"], is_private=True, bot_member=False)
    for kwargs, error in [({"channel": "C404", "text": "x"}, "channel_not_found"),
                          ({"channel": "G1", "text": "x"}, "channel_not_found"),
                          ({"channel": "C1"}, "no_text")]:
        with pytest.raises(SlackApiError) as err:
            client.chat_postMessage(**kwargs)
        assert err.value.response["error"] == error
    assert stub.messages("C1") == []


def test_post_to_user_id_lands_in_dm_from_conversations_open(stub, client):
    dm = client.conversations_open(users="U1")["channel"]["id"]
    assert dm.startswith("D")
    resp = client.chat_postMessage(channel="U1", text="privat")
    assert resp["channel"] == dm and stub.messages(dm)[0]["text"] == "privat"
    assert client.conversations_open(users="U1")["already_open"] is True


def test_metadata_round_trip_only_with_include_all_metadata(client):
    md = {"event_type": "hvis_answer", "event_payload": {"question_id": 7}}
    client.chat_postMessage(channel="C1", text="svar", metadata=md)
    with_md = client.conversations_history(channel="C1", include_all_metadata=True)["messages"][0]
    without = client.conversations_history(channel="C1")["messages"][0]
    assert with_md["metadata"] == md and "metadata" not in without


def test_thread_replies_and_history(stub, client):
    parent = stub.post_as_user("U1", "C1", "spørgsmål").ts
    client.chat_postMessage(channel="C1", text="svar 1", thread_ts=parent)
    stub.post_as_user("U2", "C1", "tak", thread_ts=parent)
    history = client.conversations_history(channel="C1")["messages"]
    assert [m["text"] for m in history] == ["spørgsmål"] and history[0]["reply_count"] == 2
    replies = client.conversations_replies(channel="C1", ts=parent)["messages"]
    assert [m["text"] for m in replies] == ["spørgsmål", "svar 1", "tak"]
    assert replies[1]["parent_user_id"] == "U1" and replies[1]["thread_ts"] == parent
    assert [m["text"] for m in stub.messages("C1")] == ["spørgsmål", "svar 1", "tak"]


def test_conversations_members_paginates_with_cursor(stub, client):
    stub.add_channel("C2", name="stor", members=[f"U{i:02d}" for i in range(7)])
    first = client.conversations_members(channel="C2", limit=3)
    assert len(first["members"]) == 3 and first["response_metadata"]["next_cursor"]
    every = [m for page in client.conversations_members(channel="C2", limit=3) for m in page["members"]]
    assert every == [f"U{i:02d}" for i in range(7)] + ["UHVISBOT"]


def test_history_paginates_newest_first(client):
    for i in range(5):
        client.chat_postMessage(channel="C1", text=str(i))
    pages = [[m["text"] for m in p["messages"]] for p in client.conversations_history(channel="C1", limit=2)]
    assert pages == [["4", "3"], ["2", "1"], ["0"]]


def test_files_upload_v2_three_step_flow(stub, client):
    resp = client.files_upload_v2(channel="C1", content=b"navn;mad\nMette;veg\n", filename="tilmeldte.csv",
                                  title="Tilmeldte", initial_comment="Liste")
    assert resp["file"]["name"] == "tilmeldte.csv" and resp["file"]["size"] == 19
    url_call = stub.calls_to("files.getUploadURLExternal")[0]
    assert url_call.args["filename"] == "tilmeldte.csv" and url_call.args["length"] == "19"
    assert url_call.response["upload_url"].startswith(stub.base_url + "/")
    assert stub.calls_to("files.completeUploadExternal")[0].args["files"][0]["title"] == "Tilmeldte"
    (f,) = stub.files
    assert (f["filename"], f["title"], f["bytes"], f["channel_id"]) == ("tilmeldte.csv", "Tilmeldte",
                                                                        b"navn;mad\nMette;veg\n", "C1")
    assert stub.messages("C1")[-1]["files"][0]["id"] == f["id"] and stub.messages("C1")[-1]["text"] == "Liste"


def test_rate_limit_is_retried_by_sdk_handler_and_posts_once(stub):
    client = WebClient(token=stub.bot_token, base_url=stub.api_url,
                       retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    stub.inject("chat.postMessage", status=429, retry_after=0)  # 0 keeps the test fast (SDK adds jitter <1 s)
    client.chat_postMessage(channel="C1", text="til sidst")
    assert [c.status for c in stub.calls_to("chat.postMessage")] == [429, 200]
    assert [m["text"] for m in stub.messages("C1")] == ["til sidst"]


def test_rate_limit_answer_has_retry_after_header(stub):
    stub.inject("users.info", status=429, retry_after=3)
    req = urllib.request.Request(stub.api_url + "users.info", data=b"user=U1", method="POST",
                                 headers={"Authorization": f"Bearer {stub.bot_token}"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=5)
    assert err.value.code == 429 and err.value.headers["Retry-After"] == "3"
    assert json.loads(err.value.read()) == {"ok": False, "error": "ratelimited"}


def test_injected_server_errors_and_logical_errors_change_nothing(stub, client):
    stub.inject("chat.postMessage", status=500, times=1)
    stub.inject("chat.postMessage", status=503, times=1)
    stub.inject("chat.postMessage", error="channel_not_found")
    for expected in (500, 503, 200):
        with pytest.raises(SlackApiError) as err:
            client.chat_postMessage(channel="C1", text="x")
        assert err.value.response.status_code == expected
    assert err.value.response["error"] == "channel_not_found" and stub.messages("C1") == []
    client.chat_postMessage(channel="C1", text="nu")
    assert len(stub.messages("C1")) == 1


def test_injected_delay_slows_one_call(stub, client):
    stub.inject("users.info", delay=0.3)
    start = time.monotonic()
    assert client.users_info(user="U1")["user"]["real_name"] == "Mette Hansen"
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    client.users_info(user="U1")
    assert time.monotonic() - start < 0.3


def test_users_info_list_and_usergroups(stub, client):
    user = client.users_info(user="U2")["user"]
    assert user["is_restricted"] is True and user["profile"]["real_name"] == "Ole Olsen"
    assert user["tz"] == "Europe/Copenhagen" and user["team_id"] == "T0HVIS"
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U404")
    assert err.value.response["error"] == "user_not_found"
    assert {"U1", "U2", "UHVISBOT"} <= {m["id"] for m in client.users_list()["members"]}
    stub.add_usergroup("S1", "arrangoerer", ["U1"])
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1"]


def test_missing_scope_is_enforced():
    s = SlackStandIn(signing_secret=SECRET, scopes=("chat:write",)).start()
    try:
        with pytest.raises(SlackApiError) as err:
            WebClient(token=s.bot_token, base_url=s.api_url).users_list()
        assert err.value.response["error"] == "missing_scope" and err.value.response["needed"] == "users:read"
    finally:
        s.stop()


def test_update_delete_and_permalink(stub, client):
    ts = client.chat_postMessage(channel="C1", text="v1")["ts"]
    client.chat_update(channel="C1", ts=ts, text="v2")
    assert stub.message("C1", ts)["text"] == "v2" and stub.message("C1", ts)["edited"]["user"] == "UHVISBOT"
    link = client.chat_getPermalink(channel="C1", message_ts=ts)["permalink"]
    assert link == f"https://hvis-demo.slack.com/archives/C1/p{ts.replace('.', '')}"
    stub.react("U1", "C1", ts, "tada")  # people react; the bot itself never does
    assert stub.message("C1", ts)["reactions"] == [{"name": "tada", "users": ["U1"], "count": 1}]
    user_ts = stub.post_as_user("U1", "C1", "min").ts
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C1", ts=user_ts, text="hack")
    assert err.value.response["error"] == "cant_update_message"
    client.chat_delete(channel="C1", ts=ts)
    assert stub.message("C1", ts) is None


def test_delivered_event_is_signed_like_slack(stub, app):
    stub.request_url = app.url
    d = stub.post_as_user("U1", "C1", "hej hvis")
    assert d.status == 200 and d.ts and d.event_id.startswith("Ev")
    req = app.requests[0]
    assert SignatureVerifier(SECRET).is_valid_request(req["body"], req["headers"])
    assert not SignatureVerifier("other").is_valid_request(req["body"], req["headers"])
    env = app.json()
    assert env["type"] == "event_callback" and env["event_id"] == d.event_id
    assert env["authorizations"][0] == {"enterprise_id": None, "team_id": "T0HVIS", "user_id": "UHVISBOT",
                                        "is_bot": True, "is_enterprise_install": False}
    ev = env["event"]
    assert (ev["type"], ev["channel"], ev["user"], ev["text"], ev["channel_type"]) == \
        ("message", "C1", "U1", "hej hvis", "channel")
    assert ev["ts"] == ev["event_ts"] == d.ts and ev["blocks"][0]["type"] == "rich_text"


def test_retry_redelivers_same_event_id_with_retry_headers(stub, app):
    stub.request_url = app.url
    first = stub.post_as_user("U1", "C1", "igen")
    again = stub.deliver(first.payload, retry_num=1, retry_reason="http_timeout")
    assert again.event_id == first.event_id
    headers = app.requests[1]["headers"]
    assert headers["X-Slack-Retry-Num"] == "1" and headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert SignatureVerifier(SECRET).is_valid_request(app.requests[1]["body"], headers)


def test_signed_sender_forges_bad_requests_without_raising():
    verifier = SignatureVerifier(SECRET)
    rx = Receiver(lambda req: (200, b"{}") if verifier.is_valid_request(req["body"], req["headers"]) else (401, b"no"))
    try:
        sender = SignedSender(rx.url, SECRET)
        assert sender.post(b"{}", "application/json").status == 200
        assert sender.post(b"{}", "application/json", signature="v0=deadbeef").status == 401
        stale = sender.post(b"{}", "application/json", timestamp=int(time.time()) - 600)
        assert stale.status == 401 and stale.body == b"no"
    finally:
        rx.stop()
    with pytest.raises(OSError):  # nobody listening: connection refused
        SignedSender(rx.url, SECRET, timeout=2).post(b"{}", "application/json")


def test_edit_delete_join_and_reaction_events(stub, app):
    stub.request_url = app.url
    stub.add_user("U3", name="kim")
    ts = stub.post_as_user("U1", "C1", "først").ts
    stub.edit_as_user("U1", "C1", ts, "rettet")
    ev = app.json()["event"]
    assert ev["subtype"] == "message_changed" and ev["message"]["text"] == "rettet"
    assert ev["previous_message"]["text"] == "først" and ev["message"]["edited"]["user"] == "U1"
    stub.react("U2", "C1", ts, name="+1")
    ev = app.json()["event"]
    assert ev["type"] == "reaction_added" and ev["item"] == {"type": "message", "channel": "C1", "ts": ts}
    assert ev["item_user"] == "U1" and ev["reaction"] == "+1"
    stub.delete_as_user("U1", "C1", ts)
    ev = app.json()["event"]
    assert ev["subtype"] == "message_deleted" and ev["deleted_ts"] == ts and stub.message("C1", ts) is None
    joined = stub.join("U3", "C1")
    assert [app.json(i)["event"]["type"] for i in (-2, -1)] == ["member_joined_channel", "message"]
    assert app.json()["event"]["subtype"] == "channel_join" and all(d.status == 200 for d in joined)
    assert "U3" in stub.members("C1")


def test_click_delivers_block_actions_and_trigger_opens_modal_once(stub, client, app):
    stub.request_url = app.url
    ts = client.chat_postMessage(channel="C1", text="Kommer du?", blocks=BUTTONS)["ts"]
    stub.click("U1", "C1", ts, "yes", "y")
    p = app.form_payload()
    assert p["type"] == "block_actions" and p["user"]["id"] == "U1" and p["channel"] == {"id": "C1", "name": "temadag"}
    assert p["container"] == {"type": "message", "message_ts": ts, "channel_id": "C1", "is_ephemeral": False}
    assert p["actions"][0]["action_id"] == "yes" and p["actions"][0]["block_id"] == "vote"
    assert p["actions"][0]["value"] == "y" and p["message"]["ts"] == ts
    assert SignatureVerifier(SECRET).is_valid_request(app.requests[-1]["body"], app.requests[-1]["headers"])
    view = client.views_open(trigger_id=p["trigger_id"], view=MODAL)["view"]
    assert view["id"].startswith("V") and view["callback_id"] == "tilmeld" and view["root_view_id"] == view["id"]
    assert stub.last_view("U1")["private_metadata"] == "C1|42" and stub.last_view()["trigger_id"] == p["trigger_id"]
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=p["trigger_id"], view=MODAL)
    assert err.value.response["error"] == "expired_trigger_id"


def test_stale_trigger_id_is_expired(stub, client, app):
    stub.request_url = app.url
    stub.trigger_ttl = 0.05
    stub.slash("U1", "C1", "")
    time.sleep(0.1)
    trigger = parse_qs(app.requests[-1]["body"].decode())["trigger_id"][0]
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=trigger, view=MODAL)
    assert err.value.response["error"] == "expired_trigger_id"


def test_view_validation_rejects_long_title(stub, client, app):
    stub.request_url = app.url
    stub.slash("U1", "C1", "")
    trigger = parse_qs(app.requests[-1]["body"].decode())["trigger_id"][0]
    too_long = {**MODAL, "title": {"type": "plain_text", "text": "Tilmelding til temadagen 2025"}}
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id=trigger, view=too_long)
    assert err.value.response["error"] == "invalid_arguments"


def test_submit_view_builds_state_and_honours_response_action(stub, client):
    answers = iter([b'{"response_action": "errors", "errors": {"navn": "Skriv dit navn"}}', b""])
    rx = Receiver(lambda req: (200, next(answers) if b"view_submission" in req["body"] else b""))
    try:
        stub.request_url = rx.url
        stub.slash("U1", "C1", "tilmeld")
        trigger = parse_qs(rx.requests[-1]["body"].decode())["trigger_id"][0]
        view_id = client.views_open(trigger_id=trigger, view=MODAL)["view"]["id"]
        d = stub.submit_view("U1", view_id, {"navn": {"v": "Mette"}, "mad": {"valg": "veg"}})
        p = rx.form_payload()
        values = p["view"]["state"]["values"]
        assert p["type"] == "view_submission" and p["view"]["callback_id"] == "tilmeld"
        assert p["view"]["private_metadata"] == "C1|42" and p["view"]["hash"]
        assert values["navn"]["v"] == {"type": "plain_text_input", "value": "Mette"}
        assert values["mad"]["valg"]["selected_option"]["value"] == "veg"
        assert values["note"]["n"] == {"type": "plain_text_input", "value": None}
        assert d.json()["response_action"] == "errors" and stub.last_view()["open"] is True
        stub.submit_view("U1", view_id, {"navn": {"v": "Mette"}, "mad": {"valg": "veg"}})
        assert stub.last_view()["open"] is False
        with pytest.raises(ValueError):
            stub.submit_view("U1", view_id, {})
    finally:
        rx.stop()


def test_slash_command_form_and_response_url(stub, app):
    stub.request_url = app.url
    d = stub.slash("U1", "C1", "status nu")
    form = {k: v[0] for k, v in parse_qs(app.requests[-1]["body"].decode()).items()}
    assert d.status == 200 and app.requests[-1]["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert (form["command"], form["text"], form["user_id"], form["channel_id"], form["team_id"]) == \
        ("/hvis", "status nu", "U1", "C1", "T0HVIS")
    assert form["channel_name"] == "temadag" and form["user_name"] == "mette" and form["trigger_id"]
    body = json.dumps({"text": "kun til dig"}).encode()
    req = urllib.request.Request(form["response_url"], data=body, headers={"Content-Type": "application/json"})
    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=5).read()
    assert stub.ephemerals(user="U1")[0]["text"] == "kun til dig"


def test_post_ephemeral_and_home_tab(stub, client, app):
    stub.request_url = app.url
    assert client.chat_postEphemeral(channel="C1", user="U2", text="psst")["message_ts"]
    assert stub.ephemerals(channel="C1")[0]["user"] == "U2"
    client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert stub.home_views["U1"]["type"] == "home"
    stub.open_home("U1")
    ev = app.json()["event"]
    assert ev["type"] == "app_home_opened" and ev["tab"] == "home" and ev["view"]["type"] == "home"


def test_echo_of_bot_message_is_delivered_when_enabled(stub, client, app):
    stub.request_url = app.url
    stub.echo_bot_messages = True
    ts = client.chat_postMessage(channel="C1", text="fra bot")["ts"]
    deadline = time.time() + 5
    while not app.requests and time.time() < deadline:
        time.sleep(0.02)
    ev = app.json()["event"]
    assert ev["bot_id"] == "BHVISBOT" and ev["ts"] == ts and "subtype" not in ev and ev["bot_profile"]["id"] == "BHVISBOT"


def test_wait_for_reports_what_was_seen(stub, client):
    client.auth_test()
    with pytest.raises(AssertionError, match="auth.test"):
        stub.wait_for("chat.postMessage", timeout=0.1)
    stub.reset_calls()
    assert stub.calls == []


# ---- Socket Mode: the WebSocket side, through real clients ---------------------------------------------------

@pytest.fixture
def bolt(stub, monkeypatch):
    """A bare Bolt app on slack_sdk's builtin Socket Mode client, connected to the stand-in."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)  # slack_sdk's Socket Mode client uses these and ignores NO_PROXY
    app = App(client=WebClient(token=stub.bot_token, base_url=stub.api_url))
    events = []
    app.command("/hvis")(lambda ack, command: ack(text=f"hej {command['text']}"))
    app.event("message")(lambda event: events.append(event))
    handler = SocketModeHandler(app, app_token=stub.app_token)
    seen = []  # every message the stand-in sent, as the client parsed it
    handler.client.on_message_listeners.append(lambda raw: seen.append(json.loads(raw)))
    handler.connect()
    stub.use_socket_mode().wait_for_socket()
    yield SimpleNamespace(handler=handler, seen=seen, events=events)
    close_socket_mode(handler)


def _types(messages):
    return [m["type"] for m in messages]


def _socket_url(stub):
    """A fresh WebSocket URL from apps.connections.open, as an app gets it."""
    return WebClient(base_url=stub.api_url).apps_connections_open(app_token=stub.app_token)["url"]


@contextmanager
def _link(stub):
    """A WebSocket from the `websockets` client on a fresh URL, past its hello: yields (url, websocket)."""
    url = _socket_url(stub)
    with ws_connect(url, open_timeout=5) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "hello"
        yield url, ws


def test_socket_mode_link_opens_with_hello_and_acks_carry_the_answer(stub, bolt):
    wait_until(lambda: bolt.seen, "the hello message")
    hello = bolt.seen[0]
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": "A0HVISAPP"} and hello["debug_info"]["host"]
    [opened] = stub.calls_to("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {stub.app_token}"
    assert opened.response["url"].startswith("ws://127.0.0.1:") and "/link/?ticket=" in opened.response["url"]

    answer = stub.slash("U1", "C1", "status")
    assert answer.status == 200 and answer.json() == {"text": "hej status"} and answer.envelope_id
    posted = stub.post_as_user("U1", "C1", "hej hvis")
    assert posted.status == 200 and posted.body == b""
    [event] = wait_until(lambda: bolt.events, "the message listener")  # Bolt runs it after the ack
    assert event["text"] == "hej hvis" and event["ts"] == posted.ts
    envelopes = bolt.seen[1:]
    assert _types(envelopes) == ["slash_commands", "events_api"]
    assert [e["envelope_id"] for e in envelopes] == [answer.envelope_id, posted.envelope_id]
    assert envelopes[0]["accepts_response_payload"] is True and envelopes[0]["payload"]["command"] == "/hvis"
    assert envelopes[1]["accepts_response_payload"] is False and envelopes[1]["retry_attempt"] == 0
    assert envelopes[1]["payload"]["event"]["type"] == "message"
    assert stub.socket_messages == []  # every ack matched its envelope


def test_disconnect_makes_the_app_reconnect_with_a_new_ticket(stub, bolt):
    assert stub.disconnect_socket("refresh_requested") == 1
    stub.wait_for("apps.connections.open", count=2)
    wait_until(lambda: _types(bolt.seen) == ["hello", "disconnect", "hello"], "a second hello")
    assert bolt.seen[1]["reason"] == "refresh_requested"
    first, second = (c.response["url"] for c in stub.calls_to("apps.connections.open"))
    assert first != second
    wait_until(lambda: stub.socket_connections() == 1, "the old link to be replaced")
    assert stub.post_as_user("U1", "C1", "efter genforbindelse").status == 200
    [event] = wait_until(lambda: bolt.events, "the message listener")
    assert event["text"] == "efter genforbindelse"


def test_ack_is_matched_by_envelope_id_and_strays_are_kept(stub):
    with _link(stub) as (url, ws):
        stub.use_socket_mode()
        stub.delivery_timeout = 5
        result = {}
        slash = threading.Thread(target=lambda: result.update(d=stub.slash("U1", "C1", "status")))
        slash.start()
        env = json.loads(ws.recv(timeout=5))
        assert env["type"] == "slash_commands" and env["payload"]["text"] == "status"
        ws.send(json.dumps({"envelope_id": "not-this-one"}))
        ws.send(json.dumps({"envelope_id": env["envelope_id"], "payload": {"text": "svar"}}))
        slash.join(5)
    assert result["d"].status == 200 and result["d"].json() == {"text": "svar"}
    assert stub.socket_messages == [{"envelope_id": "not-this-one"}]


def test_delivery_without_an_ack_in_time_has_status_zero(stub):
    with _link(stub) as (url, ws):
        stub.use_socket_mode()
        stub.delivery_timeout = 0.2
        d = stub.post_as_user("U1", "C1", "ingen kvittering")
        assert d.status == 0 and d.envelope_id
        late = json.loads(ws.recv(timeout=5))["envelope_id"]
        ws.send(json.dumps({"envelope_id": late}))
        wait_until(lambda: stub.socket_messages, "the late ack")
    assert d.envelope_id == late and stub.socket_messages == [{"envelope_id": late}]


def test_ticket_is_single_use_and_only_for_the_link_path(stub):
    with _link(stub) as (url, ws):
        with pytest.raises(InvalidStatus) as reused, ws_connect(url, open_timeout=5):
            pass
        with pytest.raises(InvalidStatus) as elsewhere, ws_connect(_socket_url(stub).replace("/link/", "/other/")):
            pass
    assert reused.value.response.status_code == 401 and elsewhere.value.response.status_code == 404
    wait_until(lambda: stub.socket_connections() == 0, "the link to close")


def test_pings_let_the_app_hang_up_at_once(stub, bolt):
    # slack_sdk's reader holds a lock while it waits in recv (up to 3 s) that disconnect() needs: a ping frees it.
    started = time.monotonic()
    bolt.handler.client.disconnect()
    assert time.monotonic() - started < 1
    wait_until(lambda: stub.socket_connections() == 0, "the stand-in to see the link go", timeout=2)


def test_stop_closes_every_link_fast(stub, bolt):
    with _link(stub) as (url, ws):
        assert stub.wait_for_socket(2) == 2
        started = time.monotonic()
        stub.stop()
        assert time.monotonic() - started < 0.5
        assert stub.socket_connections() == 0 and ws.close_code == 1001  # 1001: going away
