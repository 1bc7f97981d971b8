"""`hvis demo`: a whole theme day, offline, against the local Slack stand-in, on a compressed clock.

The bot runs exactly as in production (HTTP mode on uvicorn, signed requests, the real slack_sdk
client); only Slack and the people are simulated. The facilitator plans the day through `/hvis ny`
and its modal, as a real one would, and the day ends with every export format written to a folder.
"""

from __future__ import annotations

import logging
import secrets
import sys
import time
import tomllib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import exports
from bot.clock import ScaledClock
from bot.config import Settings
from bot.rules.schedule import local
from bot.runtime import Bot
from bot.services import closing, summaries
from bot.services.directory import Directory
from standin import SlackStandIn
from storage.records import Prompt

SCRIPT = Path(__file__).resolve().parent / "demo_script.toml"
CHANNEL = "CTEMADAG01"
TEAM = "THVISDEMO"
ZONE = ZoneInfo("Europe/Copenhagen")


def say(text: str) -> None:
    print(text, flush=True)


def run_demo(out: Path | None = None, speed: float = 240.0) -> int:
    """Run the rehearsal and write the exports; returns the exit status."""
    started = time.monotonic()
    logging.basicConfig(level=logging.WARNING, format="hvis demo: %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # a busy tick is expected on a compressed day
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
                        db_path=out / "hvis.db", key_file=out / "keys" / "hvis-keys.json",
                        # The compressed day makes a busy tick look like a long outage: a wide grace period.
                        facilitators=frozenset({facilitator}), grace_minutes=120, threads=8, slack_timeout=5.0,
                        settle_seconds=2.0, politicians=frozenset(p["id"] for p in script["people"] if p.get("politician")))
    # The rehearsal's day starts just before 09:00 local time today, whatever the hour of the rehearsal.
    morning = datetime.now(ZONE).replace(hour=8, minute=58, second=0, microsecond=0)
    clock = ScaledClock(morning.astimezone(timezone.utc), speed)
    bot = Bot(settings, clock, tick_seconds=0.25)
    try:
        port = bot.start_http("127.0.0.1", 0)
        stub.request_url = f"http://127.0.0.1:{port}/slack/events"
        say(f"hvis demo: a local Slack stand-in on {stub.api_url} and the bot on http://127.0.0.1:{port}/")
        say(f"           the day runs {speed:g}× faster than real time; results go to {out}")
        _rehearse(bot, stub, script, people, clock, facilitator, out)
    finally:
        bot.stop()
        stub.stop()
    say(f"Done in {time.monotonic() - started:.0f} s. Open {out / 'resultat.html'} to read the result.")
    return 0


def _rehearse(bot: Bot, stub: SlackStandIn, script: dict, people: dict, clock: ScaledClock, facilitator: str,
              out: Path) -> None:
    store = bot.store
    session = _plan_in_slack(bot, stub, clock, facilitator)
    prompts = store.prompts.of(session.id)
    say(f"The facilitator planned “{session.title}” with /hvis ny: {len(prompts)} questions from "
        f"{_local(prompts[0].due_at):%H:%M}, anonymity “{session.anonymity}”; the plan came in a direct message.")
    for joiner in ("UKAREN001", "UBIRGIT01"):
        stub.join(joiner, CHANNEL)
    _wait(lambda: len(stub.ephemerals(channel=CHANNEL)) >= 2, "the greetings")
    say("Two guests joined the channel and were greeted privately.")
    for prompt in prompts:
        posted = _wait_until_posted(bot, prompt)
        clock.pause()  # the cast answers while the question is open, however slow this machine is
        say(f"\n[{_local(posted.due_at):%H:%M}] posted: {posted.text[:90]}…")
        _answer(stub, bot, posted, script["prompts"].get(posted.key, {}))
        clock.resume()
    _wait(lambda: store.sessions.get(session.id).state == "closed", "the session to close after its last round",
          timeout=600)
    say("\nThe last round ended and the session closed itself.")
    _wait(lambda: (wrapup := store.posts.get(closing.wrapup_key(session.id))) and wrapup.state == "sent"
          and len(stub.files) >= 4, "the wrap-up and the facilitator's files", timeout=60)
    closed = store.sessions.get(session.id)
    names = Directory(store, None, closed.team_id)
    files = summaries.export_all(store, closed, exports.FORMATS, names)
    for fmt, data in files.items():
        (out / f"resultat.{fmt}").write_bytes(data)
    summary = summaries.session_summary(store, closed, "facilitator", names)
    themes = [theme.label for p in summary.prompts for theme in p.themes]
    say(f"Session closed: {summary.replies} answers from {summary.named_people} people by name and "
        f"{summary.anonymous_answers} anonymous answers, {summary.votes} votes.")
    say(f"The channel got the wrap-up{' with the themes ' + ', '.join(themes[:6]) if themes else ''}; "
        f"the facilitator got {len(stub.files)} files in a direct message.")
    say("Exports: " + ", ".join(str(out / f"resultat.{fmt}") for fmt in files))


def _plan_in_slack(bot: Bot, stub: SlackStandIn, clock: ScaledClock, facilitator: str):
    """The facilitator types /hvis ny in the channel and fills in the planning modal."""
    clock.pause()
    start = (clock.now() + timedelta(minutes=2)).astimezone(ZONE)
    stub.slash(facilitator, CHANNEL, "ny")
    view = _wait(lambda: stub.last_view(facilitator), "the planning modal")
    stub.submit_view(facilitator, view["id"], {
        "title": {"title": "Temadag: Velfærd i fællesskab"},
        "deck": {"deck": "velfaerd"},
        "date": {"date": start.strftime("%Y-%m-%d")},
        "time": {"time": start.strftime("%H:%M")},
        "anonymity": {"anonymity": "choice"},
    })
    clock.resume()
    session = _wait(lambda: (bot.store.sessions.list() or [None])[0], "the planned session")
    _wait(lambda: any(f"<#{CHANNEL}>" in (c.args.get("text") or "") for c in stub.calls_to("chat.postMessage")),
          "the plan in a direct message")
    return session


def _answer(stub: SlackStandIn, bot: Bot, prompt: Prompt, plan: dict) -> None:
    """Let the cast reply in the thread and through the modal, edit, delete and vote."""
    store = bot.store
    replies: list[str] = []
    for user, text in plan.get("thread", []):
        replies.append(stub.post_as_user(user, CHANNEL, text, thread_ts=prompt.message_ts).ts)
    for user, value, mode in plan.get("modal", []):
        action = "answer_anonymously" if mode == "anonymous" else "answer"
        stub.click(user, CHANNEL, prompt.message_ts, action, str(prompt.id))
        view = _wait(lambda who=user: (v := stub.last_view(who)) and v["open"] and v, "the answer modal")
        answer = prompt.options[value] if prompt.kind == "vote" else str(value)
        stub.submit_view(user, view["id"], {"answer": {"value": answer}})
    modal_count = len(plan.get("modal", [])) if prompt.kind == "open" else 0
    _wait(lambda: sum(r.ts is not None for r in store.replies.of_session(prompt.session_id)
                      if r.prompt_id == prompt.id and r.source == "modal") >= modal_count, "the modal answers")
    replies += [r.ts for r in store.replies.of_session(prompt.session_id) if r.prompt_id == prompt.id
                and r.source == "modal" and r.ts]
    if "edit" in plan:
        stub.edit_as_user(plan["edit"][0], CHANNEL, replies[0], plan["edit"][1])
    if "delete" in plan:
        index = [u for u, _ in plan.get("thread", [])].index(plan["delete"])
        stub.delete_as_user(plan["delete"], CHANNEL, replies[index])
    for index, voters in plan.get("votes", []):
        for voter in voters:
            stub.react(voter, CHANNEL, replies[index], "+1")
    anonymous = sum(mode == "anonymous" for _, _, mode in plan.get("modal", []))
    say(f"        {len(plan.get('thread', []))} thread replies, {len(plan.get('modal', []))} through the answer "
        f"button ({anonymous} anonymous), {sum(len(v) for _, v in plan.get('votes', []))} 👍"
        + (", one edited" if "edit" in plan else "") + (", one deleted" if "delete" in plan else ""))


def _wait_until_posted(bot: Bot, prompt: Prompt) -> Prompt:
    _wait(lambda: bot.store.prompts.get(prompt.id).state in ("posted", "closed", "missed", "failed"),
          f"prompt {prompt.key}", timeout=600)
    posted = bot.store.prompts.get(prompt.id)
    if not posted.posted_at:
        raise RuntimeError(f"prompt {prompt.key} ended {posted.state}")
    return posted


def _local(moment: str) -> datetime:
    return local(moment, ZONE.key)


def _wait(condition, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            print(f"hvis demo: gave up waiting for {what}", file=sys.stderr)
            raise TimeoutError(what)
        time.sleep(0.05)

