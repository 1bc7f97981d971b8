"""`hvis demo`: a whole theme day, offline, against the local Slack stand-in, on a compressed clock.

The bot runs exactly as in production (HTTP mode behind waitress, signed requests, the real
slack_sdk client); only Slack and the people are simulated.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import export, sessions
from bot.clock import ScaledClock
from bot.config import Settings
from bot.decks import load_deck
from bot.model import Prompt
from bot.runtime import Bot, build
from standin import SlackStandIn

SCRIPT = Path(__file__).resolve().parent / "demo_script.toml"
CHANNEL = "CTEMADAG01"
TEAM = "THVISDEMO"


def say(text: str) -> None:
    print(text, flush=True)


def run_demo(out: Path | None = None, speed: float = 240.0) -> int:
    """Run the rehearsal and write the exports; returns the exit status."""
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    started = time.monotonic()
    out = out or Path.cwd() / "demo-output" / datetime.now().strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    script = tomllib.loads(SCRIPT.read_text(encoding="utf-8"))
    people = {p["id"]: p for p in script["people"]}
    facilitator = next(p["id"] for p in script["people"] if p.get("facilitator"))

    stub = SlackStandIn(signing_secret=secrets.token_hex(16), team_id=TEAM, team_name="Hvis Kommune").start()
    for person in script["people"]:
        stub.add_user(person["id"], name=person["name"], real_name=person["real_name"],
                      is_restricted=person.get("guest") in ("multi", "ultra"),
                      is_ultra_restricted=person.get("guest") == "ultra")
    latecomers = ("UKAREN001", "UBIRGIT01")  # they join once the session exists and are greeted
    stub.add_channel(CHANNEL, name="temadag-velfaerd", members=[p for p in people if p not in latecomers])
    stub.echo_bot_messages = True
    settings = Settings(bot_token=stub.bot_token, signing_secret=stub.signing_secret, api_url=stub.api_url,
                        db_path=out / "hvis.db", facilitators=frozenset({facilitator}),
                        politicians=frozenset(p["id"] for p in script["people"] if p.get("politician")),
                        grace_minutes=15, threads=8)
    # The rehearsal's day starts at 08:59 local time today, whatever the hour of the rehearsal.
    morning = datetime.now(ZoneInfo("Europe/Copenhagen")).replace(hour=8, minute=59, second=0, microsecond=0)
    clock = ScaledClock(morning.astimezone(timezone.utc), speed)
    bot = Bot(build(settings, clock), tick_seconds=0.25)
    try:
        port = bot.start_http("127.0.0.1", 0)
        stub.request_url = f"http://127.0.0.1:{port}/slack/events"
        say(f"hvis demo: a local Slack stand-in on {stub.api_url} and the bot on http://127.0.0.1:{port}/")
        say(f"           the day runs {speed:g}× faster than real time; results go to {out}")
        _rehearse(bot, stub, script, people, clock)
    finally:
        bot.stop()
        stub.stop()
    say(f"Done in {time.monotonic() - started:.0f} s. Open {out / 'resultat.md'} to read the result.")
    return 0


def _rehearse(bot: Bot, stub: SlackStandIn, script: dict, people: dict, clock: ScaledClock) -> None:
    h = bot.h
    deck = load_deck("velfaerd")
    session = sessions.create_session(
        h.store, deck, title="Temadag: Velfærd i fællesskab", channel=CHANNEL,
        start=clock.now() + timedelta(minutes=1), timezone="Europe/Copenhagen", language="da", anonymity="choice",
        facilitators=[next(iter(h.settings.facilitators))], now=clock.now(), team_id=TEAM)
    say(f"Session {session.id} created from the deck “{deck.title}” ({len(deck.prompts)} prompts).")
    for joiner in ("UKAREN001", "UBIRGIT01"):
        stub.join(joiner, CHANNEL)
    _wait(lambda: len(stub.ephemerals(channel=CHANNEL)) >= 2, "the greetings")
    say("Two guests joined the channel and were greeted privately.")
    for prompt in h.store.prompts(session.id):
        posted = _wait_until_posted(h, prompt)
        clock.pause()  # the cast answers while the question is open, however slow this machine is
        local = datetime.fromisoformat(posted.due_at).astimezone(ZoneInfo(session.timezone))
        say(f"\n[{local:%H:%M}] posted: {posted.text[:90]}…")
        _answer(stub, h, posted, script["prompts"].get(posted.key, {}), people)
        clock.resume()
    sessions.close_session(h.store, session.id, clock.now())
    _wait(lambda: h.store.session(session.id).wrapped_up_at and len(stub.files) >= 2, "the wrap-up")
    data = export.session_export(h.store, session.id)
    out = h.settings.db_path.parent
    (out / "resultat.json").write_text(export.to_json(data), encoding="utf-8")
    (out / "resultat.md").write_text(export.to_markdown(data, "da"), encoding="utf-8")
    stats = data["stats"]
    say(f"\nSession closed: {stats['replies']} replies from {stats['participants']} people "
        f"({stats['anonymous_replies']} anonymous), {stats['votes']} votes; by role {stats['by_role']}.")
    say(f"The channel got the wrap-up; the facilitator got {len(stub.files)} files in a direct message.")
    say(f"Exports: {out / 'resultat.json'} and {out / 'resultat.md'}")


def _answer(stub: SlackStandIn, h, prompt: Prompt, plan: dict, people: dict) -> None:
    """Let the cast reply in the thread and through the modal, edit, delete and vote."""
    replies: list[str] = []
    for user, text in plan.get("thread", []):
        replies.append(stub.post_as_user(user, CHANNEL, text, thread_ts=prompt.message_ts).ts)
    for user, value, mode in plan.get("modal", []):
        action = "answer_anonymously" if mode == "anonymous" else "answer"
        stub.click(user, CHANNEL, prompt.message_ts, action, str(prompt.id))
        view = stub.last_view(user)
        answer = prompt.options[value] if prompt.kind == "vote" else str(value)
        stub.submit_view(user, view["id"], {"answer": {"value": answer}})
    modal_count = len(plan.get("modal", []))
    _wait(lambda: sum(r.ts is not None for r in h.store.replies(prompt.session_id)
                      if r.prompt_id == prompt.id and r.source == "modal") >= modal_count, "the modal answers")
    replies += [r.ts for r in h.store.replies(prompt.session_id) if r.prompt_id == prompt.id and r.source == "modal"]
    if "edit" in plan:
        stub.edit_as_user(plan["edit"][0], CHANNEL, replies[0], plan["edit"][1])
    if "delete" in plan:
        index = [u for u, _ in plan.get("thread", [])].index(plan["delete"])
        stub.delete_as_user(plan["delete"], CHANNEL, replies[index])
    for index, voters in plan.get("votes", []):
        for voter in voters:
            stub.react(voter, CHANNEL, replies[index], "+1")
    anonymous = sum(mode == "anonymous" for _, _, mode in plan.get("modal", []))
    say(f"        {len(plan.get('thread', []))} thread replies, {modal_count} through the answer button "
        f"({anonymous} anonymous), {sum(len(v) for _, v in plan.get('votes', []))} 👍"
        + (", one edited" if "edit" in plan else "") + (", one deleted" if "delete" in plan else ""))


def _wait_until_posted(h, prompt: Prompt) -> Prompt:
    _wait(lambda: h.store.prompt(prompt.id).state in ("posted", "closed", "missed", "failed"),
          f"prompt {prompt.key}", timeout=600)
    posted = h.store.prompt(prompt.id)
    if not posted.posted_at:
        raise RuntimeError(f"prompt {prompt.key} ended {posted.state}")
    return posted


def _wait(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            print(f"hvis demo: gave up waiting for {what}", file=sys.stderr)
            raise TimeoutError(what)
        time.sleep(0.05)
