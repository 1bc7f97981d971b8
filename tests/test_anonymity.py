"""Anonymous answers stay anonymous: not in exports, the database, the logs or any Slack post; names show only
where the session's mode lets each audience see them."""

from __future__ import annotations

import io
import json
import logging
import zipfile

import pytest

from bot import exports
from bot.i18n import t
from bot.services import sessions, summaries
from tests.conftest import start_session
from tests.support import CHANNEL, USERS, exported, wait_until

SECRET_USER = USERS[4]
SECRET_NAME = f"Person {SECRET_USER}"  # the display name the stand-in gives them


def _answer_through_modal(stub, bot, prompt, user, text, action="answer_anonymously"):
    assert stub.click(user, CHANNEL, prompt.message_ts, action, str(prompt.id)).status == 200
    view = wait_until(lambda: (v := stub.last_view(user)) and v["open"] and v, "the answer modal")
    assert stub.submit_view(user, view["id"], {"answer": {"value": text}}).status == 200
    return wait_until(lambda: [r for r in bot.store.replies.of_session(prompt.session_id) if r.text == text and r.ts],
                      "the answer posted in the thread")[0]


def _tables_holding(store, needle: str) -> set[str]:
    """Tables holding `needle` in any value; the workspace directory (`people`, names from users.list) aside."""
    found = set()
    for (table,) in store.db.all("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'people'"):
        for row in store.db.all(f'SELECT * FROM "{table}"'):
            if any(needle in (v.decode("latin-1") if isinstance(v, bytes) else str(v)) for v in row if v is not None):
                found.add(table)
                break
    return found


def _readable(filename: str, data: bytes) -> str:
    """A file's text as a person would find it: an XLSX workbook is a zip of XML parts."""
    if filename.endswith(".xlsx"):
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return "\n".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    return data.decode("utf-8")


def _cells(data: bytes) -> list[str]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return [str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row
            if cell is not None]


def _bot_posts(stub, channel=CHANNEL):
    """What the bot posted in a channel (each of its posts carries an outbox key in its metadata)."""
    return [m for m in stub.messages(channel) if (m.get("metadata") or {}).get("event_type") == "hvis_post"]


def _close(bot, stub, session, clock, files: int):
    sessions.close_session(bot.store, bot.linker, bot.store.sessions.get(session.id), clock.now())
    wait_until(lambda: len(stub.files) == files and (p := bot.store.posts.get(f"wrapup:{session.id}"))
               and p.state == "sent", "the wrap-up and the facilitator's files")
    return bot.store.sessions.get(session.id)


def test_anonymous_modal_answer_leaves_no_trace_of_its_author(bot, live_session, stub, clock, caplog):
    caplog.set_level(logging.INFO)  # the production log level
    session, prompt = live_session
    named = stub.post_as_user(USERS[1], CHANNEL, "Et navngivet svar", thread_ts=prompt.message_ts)
    reply = _answer_through_modal(stub, bot, prompt, SECRET_USER, "Jeg tør ikke sige det højt, men …")
    stub.react(USERS[0], CHANNEL, reply.ts, "+1")
    stub.react(SECRET_USER, CHANNEL, named.ts, "+1")  # their vote is stored too, under a pseudonym of its own
    thanks = wait_until(lambda: stub.ephemerals(channel=CHANNEL, user=SECRET_USER), "the private thank-you")
    assert thanks[0]["text"] == t("da", "modal.thanks")
    assert bot.linker.wrote(session.id, SECRET_USER, reply.id, reply.author), "the running bot can link it (edits)"

    closed = _close(bot, stub, session, clock, files=4)
    assert not bot.linker.wrote(session.id, SECRET_USER, reply.id, reply.author), "once closed, nobody can"
    assert bot.keys.session(session.id) is None

    data = exported(bot.store, session.id)
    answer = next(r for r in data["prompts"][0]["replies"] if r["id"] == reply.id)
    assert answer["user"] is None and answer["name"] is None and answer["anonymous"] is True and answer["votes"] == 1
    made = {fmt: summaries.export(bot.store, closed, fmt, bot.people) for fmt in exports.FORMATS}
    sent = {f["filename"]: f["bytes"] for f in stub.files}
    for filename, content in [*((f"x.{fmt}", data) for fmt, data in made.items()), *sent.items()]:
        text = _readable(filename, content)
        assert SECRET_USER not in text and SECRET_NAME not in text, filename
    assert "Person U0EMP0002" in _readable("x.json", made["json"]), "named answers do show their author"

    assert _tables_holding(bot.store, SECRET_USER) == set()
    assert "replies" in _tables_holding(bot.store, USERS[1]), "the search does find a named author"
    assert caplog.records and SECRET_USER not in caplog.text
    for call in stub.calls:
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "files.completeUploadExternal") \
                and call.args.get("user") != SECRET_USER:  # a private note to them is addressed to them
            assert SECRET_USER not in json.dumps(call.args), call.method
    thread_post = stub.message(CHANNEL, reply.ts)
    assert thread_post["text"].startswith(t("da", "answer.anonymous"))


def test_anonymous_session_stores_no_author_even_for_thread_replies(bot, clock, stub):
    session, prompt = start_session(bot, clock, anonymity="anonymous")
    shown = stub.message(CHANNEL, prompt.message_ts)
    buttons = [e["action_id"] for b in shown["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["answer_anonymously"]
    stub.post_as_user(SECRET_USER, CHANNEL, "Et svar i tråden", thread_ts=prompt.message_ts)
    [answer] = exported(bot.store, session.id)["prompts"][0]["replies"]
    assert answer["user"] is None and answer["anonymous"] is True
    tip = wait_until(lambda: stub.ephemerals(channel=CHANNEL, user=SECRET_USER), "the private tip")
    assert t("da", "button.answer_anonymously") in tip[0]["text"]
    stub.post_as_user(SECRET_USER, CHANNEL, "Et svar mere", thread_ts=prompt.message_ts)
    wait_until(lambda: len(bot.store.replies.of_session(session.id)) == 2, "the second reply")
    _answer_through_modal(stub, bot, prompt, SECRET_USER, "Og et gennem knappen")
    first, second, third = bot.store.replies.of_session(session.id)
    assert len({first.author, second.author, third.author}) == 3, "one pseudonym per answer, never per person"
    assert _tables_holding(bot.store, SECRET_USER) == set()
    assert len(stub.ephemerals(channel=CHANNEL, user=SECRET_USER)) == 2, "the tip once, then the modal's thank-you"


@pytest.mark.parametrize("mode", ["named", "choice"])  # confidential: see the test below
def test_named_modal_answer_is_posted_with_its_name_where_the_mode_shows_names(bot, clock, stub, mode):
    session, prompt = start_session(bot, clock, anonymity=mode)
    reply = _answer_through_modal(stub, bot, prompt, USERS[0], f"Navngivet svar i {mode}", action="answer")
    assert stub.message(CHANNEL, reply.ts)["text"].startswith(t("da", "answer.named", user=USERS[0]))
    assert reply.user_id == USERS[0] and not reply.anonymous


def test_confidential_session_shows_names_to_facilitators_only(bot, clock, stub):
    anne = "U0ANNE0001"
    stub.add_user(anne, name="anne", real_name="Anne Andersen")
    stub.join(anne, CHANNEL)
    session, prompt = start_session(bot, clock, anonymity="confidential")
    wait_until(lambda: bot.people.knows(anne), "the directory to be read again as the session starts")
    reply = _answer_through_modal(stub, bot, prompt, anne, "Fortroligt: flere hænder i hjemmeplejen", action="answer")
    stub.post_as_user(USERS[1], CHANNEL, "Svar i tråden (vises med navn i Slack)", thread_ts=prompt.message_ts)
    _close(bot, stub, session, clock, files=4)

    files = {f["filename"].rsplit(".", 1)[1]: f["bytes"] for f in stub.files}
    document = json.loads(files["json"])
    mine = next(r for r in document["prompts"][0]["replies"] if r["id"] == reply.id)
    assert mine["name"] == "Anne Andersen" and mine["anonymous"] is False
    cells = _cells(files["xlsx"])
    assert "Anne Andersen" in cells and not [c for c in cells if anne in c], "display names, never raw ids"
    for fmt in ("md", "html"):  # reports to pass on: no names in a confidential session
        assert "Anne Andersen" not in _readable(fmt, files[fmt]) and anne not in _readable(fmt, files[fmt])
    for post in _bot_posts(stub):
        assert "Anne Andersen" not in json.dumps(post, ensure_ascii=False) and anne not in json.dumps(post)
    assert stub.message(CHANNEL, reply.ts)["text"].startswith(t("da", "answer.hidden"))


def test_support_button_under_a_posted_answer_counts_one_vote_per_person(bot, live_session, stub):
    session, prompt = live_session
    reply = _answer_through_modal(stub, bot, prompt, SECRET_USER, "Lad os prøve snelaug")
    support = next(e for b in stub.message(CHANNEL, reply.ts)["blocks"] if b["type"] == "actions"
                   for e in b["elements"] if e["action_id"] == "vote")["value"]
    for voter in USERS[:3]:
        assert stub.click(voter, CHANNEL, reply.ts, "vote", support).status == 200
    stub.react(USERS[0], CHANNEL, reply.ts, "+1")  # the same person by reaction: still one vote
    assert stub.click(USERS[1], CHANNEL, reply.ts, "vote", support).status == 200  # a replayed click changes nothing
    assert bot.store.replies.get(reply.id).votes == 3
    receipt = wait_until(lambda: stub.ephemerals(user=USERS[1]), "the receipt")[0]
    assert receipt["text"] == t("da", "vote.added")
    withdraw = next(e for b in receipt["blocks"] if b["type"] == "actions" for e in b["elements"])["value"]
    assert stub.click(USERS[1], CHANNEL, reply.ts, "vote", withdraw).status == 200  # the receipt's own button
    assert bot.store.replies.get(reply.id).votes == 2
    wait_until(lambda: t("da", "vote.removed") in [e["text"] for e in stub.ephemerals(user=USERS[1])], "the withdrawal")


def test_anonymous_answer_cannot_be_linked_to_the_same_persons_named_reply_or_votes(bot, live_session, stub):
    session, prompt = live_session
    named = stub.post_as_user(SECRET_USER, CHANNEL, "Mit navngivne svar", thread_ts=prompt.message_ts)
    _answer_through_modal(stub, bot, prompt, SECRET_USER, "Mit hemmelige svar")
    _answer_through_modal(stub, bot, prompt, SECRET_USER, "Min anden hemmelighed")
    stub.react(SECRET_USER, CHANNEL, named.ts, "+1")
    rows = {r.text: r for r in bot.store.replies.of_session(session.id)}
    secret, other, public = rows["Mit hemmelige svar"], rows["Min anden hemmelighed"], rows["Mit navngivne svar"]
    assert secret.user_id is None and other.user_id is None and public.user_id == SECRET_USER
    assert secret.author != other.author, "two anonymous answers by one person do not share a pseudonym"
    voters = {row[0] for row in bot.store.db.all("SELECT voter FROM votes")}
    people = {row[0] for row in bot.store.db.all("SELECT person FROM anonymous_people")}
    assert not {secret.author, other.author} & (voters | people)
    assert len(people) == 1, "the anonymous person is counted once, apart from the named one"
    stats = exported(bot.store, session.id)["stats"]
    assert (stats["named_people"], stats["anonymous_people"], stats["participants"]) == (1, 1, 2)


def test_markup_typed_into_an_answer_stays_text(bot, live_session, stub):
    session, prompt = live_session
    typed = "Hej <!channel> & <@U0EMP0001>"
    reply = _answer_through_modal(stub, bot, prompt, USERS[2], typed)
    posted = stub.message(CHANNEL, reply.ts)
    assert "&lt;!channel&gt; &amp; &lt;@U0EMP0001&gt;" in json.dumps(posted["blocks"], ensure_ascii=False)
    [call] = [c for c in stub.calls_to("chat.postMessage") if c.ok and c.response["ts"] == reply.ts]
    assert "<!channel>" not in call.args["text"] and "<@U0EMP0001>" not in call.args["text"], \
        "the notification text is escaped too"
    stub.post_as_user(USERS[3], CHANNEL, "a < b & c > d", thread_ts=prompt.message_ts)
    texts = {r.text for r in bot.store.replies.of_session(session.id)}
    assert {"a < b & c > d", typed} <= texts


def test_an_expired_trigger_gets_a_friendly_retry_message(bot, live_session, stub):
    session, prompt = live_session
    stub.inject("views.open", error="expired_trigger_id")
    assert stub.click(USERS[5], CHANNEL, prompt.message_ts, "answer", str(prompt.id)).status == 200
    told = wait_until(lambda: stub.ephemerals(user=USERS[5]), "the retry message")
    assert told[0]["text"] == t("da", "modal.retry")
