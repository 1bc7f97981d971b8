"""The optional written summary from a language model (HVIS_LLM_URL): only answer texts go out, quotes are
checked word for word, it is labelled machine-written, and any failure leaves the offline summary standing."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support import CHANNEL, POLITICIAN, USERS, cli_env, exported, hvis, running_bot, wait_until

REAL_QUOTE = "Snelaug på hver vej, og kommunen låner skovle ud"


class FakeModel:
    """An OpenAI-compatible /v1/chat/completions on loopback that records what it was sent."""

    def __init__(self, answer: dict | None = None, status: int = 200) -> None:
        self.requests: list[dict] = []
        self.answer, self.status = answer, status
        model = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                model.requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
                data = json.dumps(model.answer or {}).encode()
                self.send_response(model.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _completion(summary: str, quotes: list[str]) -> dict:
    content = json.dumps({"summary": summary, "quotes": quotes}, ensure_ascii=False)
    return {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {
        "role": "assistant", "content": content}, "finish_reason": "stop"}]}


@pytest.fixture
def day(settings, clock, stub, request):
    """A day answered by name, anonymously and with a mention, closed with a (fake) language model configured."""
    from tests.conftest import start_session

    model = FakeModel(*request.param)
    try:
        with running_bot(settings, clock, stub, llm_url=model.url, llm_model="local-7b", llm_key="sk-test") as bot:
            session, prompt = start_session(bot, clock)
            stub.post_as_user(USERS[0], CHANNEL, f"{REAL_QUOTE} – spørg <@{USERS[1]}>", thread_ts=prompt.message_ts)
            stub.post_as_user(POLITICIAN, CHANNEL, "Vi politikere skal lytte mere", thread_ts=prompt.message_ts)
            stub.click(USERS[2], CHANNEL, prompt.message_ts, "answer_anonymously", str(prompt.id))
            view = wait_until(lambda: stub.last_view(USERS[2]), "the answer modal")
            stub.submit_view(USERS[2], view["id"], {"answer": {"value": "Et anonymt ønske om mere tid"}})
            wait_until(lambda: len(bot.store.replies.of_session(session.id)) == 3, "three answers")
            closed = hvis("session", "close", session.id, env=cli_env(settings.db_path), cwd=settings.db_path.parent)
            assert closed.code == 0
            wait_until(lambda: (p := bot.store.posts.get(f"wrapup:{session.id}")) and p.state == "sent", "the wrap-up")
            yield bot, session, model
    finally:
        model.close()


@pytest.mark.parametrize("day", [(_completion("Dagen handlede om fællesskab.", [REAL_QUOTE, "Et citat, ingen skrev"]),)],
                         indirect=True)
def test_only_answer_texts_are_sent_and_only_real_quotes_kept(day, stub):
    bot, session, model = day
    [sent] = model.requests
    assert sent["path"] == "/v1/chat/completions" and sent["headers"]["Authorization"] == "Bearer sk-test"
    assert sent["body"]["model"] == "local-7b"
    text = json.dumps(sent["body"], ensure_ascii=False)
    assert REAL_QUOTE in text and "Et anonymt ønske om mere tid" in text
    for person in (USERS[0], USERS[1], USERS[2], POLITICIAN, "Karen Holm", f"Person {USERS[0]}"):
        assert person not in text  # no ids, no names, not even a mention inside an answer
    assert {m["role"] for m in sent["body"]["messages"]} == {"system", "user"}  # nobody's role is sent

    narrative = exported(bot.store, session.id)["narrative"]
    assert narrative["text"] == "Dagen handlede om fællesskab." and narrative["quotes"] == [REAL_QUOTE]
    report = hvis("export", session.id, "--format", "md", env=cli_env(bot.settings.db_path), cwd=bot.settings.db_path.parent)
    assert "Dagen handlede om fællesskab." in report.out and "Et citat, ingen skrev" not in report.out


@pytest.mark.parametrize("day", [({"error": "overloaded"}, 500), ({"choices": []},), ({"choices": [{"message": {
    "content": "   "}}]},)], indirect=True, ids=["server error", "no choices", "empty text"])
def test_any_failure_of_the_model_leaves_the_offline_summary_standing(day, stub):
    bot, session, model = day
    assert len(model.requests) == 1
    data = exported(bot.store, session.id)
    assert data["narrative"] is None and data["stats"]["replies"] == 3
    assert any("Tak for i dag" in json.dumps(m.get("blocks"), ensure_ascii=False) for m in stub.messages(CHANNEL))
