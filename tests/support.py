"""Test helpers: ids of the stand-in workspace, waiting without fixed sleeps, the command line in process,
and the bot as a separate process (for kill -9)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SECRET = "test-signing-secret"
TEAM = "T0HVIS"
CHANNEL = "CTHEMEDAY"
USERS = [f"U0EMP{n:04d}" for n in range(1, 11)]
POLITICIAN = "U0POLITIC1"
GUEST = "U0GUEST001"
FACILITATOR = "U0FACILIT1"
ROOT = Path(__file__).resolve().parent.parent


def wait_until(condition, what: str = "condition", timeout: float = 15.0, interval: float = 0.02):
    """Poll `condition` until it is truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli_env(db: Path, stub=None, **extra: str) -> dict:
    """Environment for the command line: this test's database and key store, and the stand-in if given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HVIS_"))}
    env.update(HVIS_DB=str(db), HVIS_KEY_FILE=str(db.parent / "keys" / "hvis.json"),
               NO_PROXY="127.0.0.1,localhost", PYTHONPATH=str(ROOT))
    if stub is not None:
        env.update(SLACK_BOT_TOKEN=stub.bot_token, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=stub.api_url)
    env.update(extra)
    return env


@dataclass
class Result:
    code: int
    out: str
    err: str


def hvis(*args: str, env: dict, cwd: Path) -> Result:
    """Run the real command line in this process (its own environment and working folder)."""
    from bot.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return Result(code, out.getvalue(), err.getvalue())


def hvis_process(*args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    """Run the command line as its own process (for what only a process shows: the installed entry point)."""
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=60)


class BotProcess:
    """`hvis run` in HTTP mode as a separate process, so tests can kill it like a crash would."""

    def __init__(self, stub, db: Path, cwd: Path, **extra: str) -> None:
        self.port = free_port()
        self.stub = stub
        self.env = cli_env(db, stub, PORT=str(self.port), HVIS_FACILITATORS=FACILITATOR, **extra)
        self.cwd = cwd
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = cwd / f"bot-{self.port}.log"

    def start(self) -> "BotProcess":
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=self.env, cwd=self.cwd,
                                     stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        wait_until(self.healthy, f"the bot on port {self.port} to be healthy (log: {self.log})", timeout=30)
        self.stub.request_url = self.url + "/slack/events"  # Slack now delivers to this process
        return self

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as answer:
                return answer.status == 200 and json.loads(answer.read())["ok"]
        except OSError:
            if self.proc and self.proc.poll() is not None:
                raise AssertionError(f"the bot exited with {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            return False

    def kill(self) -> None:
        """SIGKILL: no clean-up, like a crash or a pulled plug on the process."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def exported(store, session_id: str) -> dict:
    """The session's JSON export (SPEC §8), as the command line would write it."""
    from bot.services import summaries

    return json.loads(summaries.export(store, store.sessions.get(session_id), "json"))


def texts_of(view_or_message) -> str:
    """Every text a person reads in a view or message (sections, contexts, labels, hints, options)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(view_or_message.get("blocks"))
    return "\n".join(found)


def ticks(bot, n: int = 2) -> None:
    """Wait until the running scheduler has finished `n` more whole ticks (one extra: a tick may be under way)."""
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

    from bot import scheduling

    done = []

    def seen(event):
        if event.job_id == scheduling.TICK_ID:
            done.append(event)
    bot.scheduler.add_listener(seen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    try:
        wait_until(lambda: len(done) > n, f"{n} scheduler ticks")
    finally:
        bot.scheduler.remove_listener(seen)


@contextlib.contextmanager
def running_bot(settings, clock, stub, **changes):
    """The real bot in this process with some settings changed, serving the stand-in; stopped at the end."""
    from dataclasses import replace

    from bot.runtime import Bot

    bot = Bot(replace(settings, **changes), clock, tick_seconds=0.05)
    port = bot.start_http("127.0.0.1", 0)
    stub.request_url = f"http://127.0.0.1:{port}/slack/events"
    bot.url = f"http://127.0.0.1:{port}"
    try:
        yield bot
    finally:
        bot.stop()

