"""The servers under test, each in a process of its own (`python -m benchmarks.servers CONFIG.json`), so that
their CPU time and peak RSS are theirs alone:

- `floor`: a slack-bolt `App` that verifies the signature and acknowledges (a listener doing nothing);
- `sqlite`: the same, plus one durable SQLite insert per event before the ack (WAL, synchronous=NORMAL,
  a unique key on event_id, one connection per thread);
- `hvis`: the real bot against the Slack stand-in, with a running session whose first prompt is posted.

The baselines run on the fastest server we know (uvicorn + uvloop + httptools through Bolt's own ASGI adapter,
process_before_response=True like the bot). A server prints one JSON line when ready and stops when its stdin
closes.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from benchmarks import proc
from benchmarks.workspace import CHANNEL, DECK, FACILITATOR, SECRET, TEAM, bot_settings

EVENTS_TABLE = ("CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, channel TEXT, ts TEXT, "
                "user TEXT, text TEXT, received_at REAL)")


# ---- in the server process ---------------------------------------------------------------------------------
def bolt_baseline(config: dict):
    """A plain Bolt app behind Bolt's ASGI adapter: ack only, or one SQLite insert and then the ack."""
    from slack_bolt import App
    from slack_bolt.adapter.asgi import SlackRequestHandler
    from slack_sdk import WebClient

    # Bolt asks auth.test once, on the first request: the stand-in answers it, as Slack would.
    app = App(client=WebClient(token=config["bot_token"], base_url=config["api_url"]), signing_secret=SECRET,
              process_before_response=True, token_verification_enabled=False)
    if config["kind"] == "floor":
        app.event("message")(lambda ack: ack())
    else:
        local = threading.local()

        def store_then_ack(body: dict, event: dict, ack) -> None:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = _events_db(config["db"])
            conn.execute("INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?)",
                         [body["event_id"], event.get("channel"), event.get("ts"), event.get("user"),
                          event.get("text"), time.time()])
            ack()

        app.event("message")(store_then_ack)
    return SlackRequestHandler(app)


def _events_db(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)  # autocommit: each insert is its own durable transaction
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(EVENTS_TABLE)
    return conn


def serve_baseline(config: dict) -> None:
    import uvicorn

    app = bolt_baseline(config)
    listening = socket.create_server(("127.0.0.1", config.get("port", 0)), backlog=2048)
    server = uvicorn.Server(uvicorn.Config(app, loop="uvloop", http="httptools", lifespan="off", access_log=False,
                                           log_level="warning", server_header=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    _say({"port": listening.getsockname()[1], "pid": os.getpid(), "uvicorn": {"loop": "uvloop", "http": "httptools"}})
    sys.stdin.read()
    server.should_exit = True
    thread.join(10)


def serve_hvis(config: dict) -> None:
    from bot.clock import FixedClock
    from bot.rules.decks import load_deck
    from bot.runtime import Bot
    from bot.services import sessions

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = bot_settings(config["api_url"], config["bot_token"], Path(config["db"]), config["threads"])
    # A clock that never moves: the first prompt falls due at once and nothing else happens during the run,
    # so the scheduler's ticks (real ones, every second) are the bot's normal idle work.
    clock = FixedClock(datetime.now(timezone.utc))
    constructing_at = time.monotonic()
    bot = Bot(settings, clock, tick_seconds=1.0)
    ready = {"constructing_at": constructing_at, "pid": os.getpid()}
    if config.get("session"):
        session, prompts = sessions.create_session(
            bot.store, bot.linker, load_deck(DECK), title="Benchmark", channel=CHANNEL, start=clock.now(),
            timezone="Europe/Copenhagen", anonymity_mode=config.get("anonymity", "choice"),
            facilitators=[FACILITATOR], now=clock.now(), grace=timedelta(minutes=15), team_id=TEAM)
        ready.update(session_id=session.id, prompt_id=prompts[0].id)
    ready["port"] = bot.start_http("127.0.0.1", config.get("port", 0))
    config_of = getattr(getattr(bot.server, "_server", None), "config", None)
    ready["uvicorn"] = {"loop": getattr(config_of, "loop", "?"), "http": getattr(config_of, "http", "?")}
    if config.get("session"):
        deadline = time.monotonic() + 30
        while (prompt := bot.store.prompts.get(ready["prompt_id"])).state != "posted":
            if time.monotonic() > deadline:
                raise RuntimeError(f"the first prompt was not posted within 30 s (state {prompt.state})")
            time.sleep(0.02)
        ready.update(thread_ts=prompt.message_ts, bot_user_id=bot.people.bot_user_id)
    _say(ready)
    sys.stdin.read()
    bot.stop()


def _say(ready: dict) -> None:
    print(json.dumps(ready), flush=True)


def main(argv: list[str]) -> int:
    config = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    (serve_hvis if config["kind"] == "hvis" else serve_baseline)(config)
    return 0


# ---- in the orchestrating process ---------------------------------------------------------------------------
class Running:
    """A server process: what it said when ready, and how to read its costs and stop it."""

    def __init__(self, kind: str, process: subprocess.Popen, log: Path) -> None:
        self.kind, self.process, self.log = kind, process, log
        self.ready: dict = {}

    @property
    def port(self) -> int:
        return self.ready["port"]

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self) -> dict:
        """Its ready line (a failure shows the end of its log)."""
        if not self.ready:
            line = self.process.stdout.readline()
            if not line:
                self.process.wait(10)
                raise RuntimeError(f"the {self.kind} server exited with {self.process.returncode}: "
                                   f"{self.log.read_text()[-3000:]}")
            self.ready = json.loads(line)
        return self.ready

    def memory(self) -> dict:
        return proc.memory_mb(self.pid)

    def stop(self) -> None:
        """Close its stdin (it stops by itself), or kill it if it does not."""
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process.stdout.close()


def spawn(kind: str, folder: Path, **config) -> Running:
    """Start a server process (its log goes to a file in `folder`)."""
    name = f"{kind}-{time.monotonic_ns()}"
    path, log = folder / f"{name}.json", folder / f"{name}.log"
    path.write_text(json.dumps({"kind": kind, **config}), encoding="utf-8")
    with log.open("wb") as errors:
        process = subprocess.Popen([sys.executable, "-m", "benchmarks.servers", str(path)], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=errors, text=True)
    return Running(kind, process, log)


def start(kind: str, folder: Path, **config) -> Running:
    """Start a server process and wait until it is ready."""
    running = spawn(kind, folder, **config)
    try:
        running.wait_ready()
    except BaseException:
        running.stop()
        raise
    return running


def stored_events(db: Path) -> tuple[int, int]:
    """(rows, distinct event ids) in the SQLite baseline's table."""
    conn = sqlite3.connect(str(db))
    try:
        return conn.execute("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM events").fetchone()
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
