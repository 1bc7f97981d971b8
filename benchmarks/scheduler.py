"""Start-up time with 1,000 planned prompts (Bot(...) construction to the first /healthz 200, polled from
outside the bot's process) and the cost of one scheduler tick with 10,000 prompts stored."""

from __future__ import annotations

import http.client
import socket
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import history, servers
from benchmarks.workspace import DECK, bot_settings
from bot.clock import FixedClock
from bot.rules.decks import load_deck
from bot.runtime import Bot
from bot.services.linking import Linker
from standin import SlackStandIn
from storage import Store
from storage.keys import KeyStore


def _store(folder: Path, name: str, api_url: str, bot_token: str):
    settings = bot_settings(api_url, bot_token, folder / f"{name}.db", 8)
    return settings, Store(settings.db_path).migrate(), Linker(KeyStore(settings.key_store_path))


def measure_tick(folder: Path, slack: SlackStandIn, prompts: int, replies_per_prompt: int, ticks: int) -> dict:
    """Median (and spread) of `ticks` ticks over a database of `prompts` prompts: most in closed theme days
    (each answered `replies_per_prompt` times), a tenth planned ahead and one day running; nothing falls due."""
    per_session = len(load_deck(DECK).prompts)
    sessions = max(2, prompts // per_session)
    planned = max(1, sessions // 10)
    now = datetime.now(timezone.utc)
    settings, store, linker = _store(folder, f"tick-{prompts}-{replies_per_prompt}", slack.api_url, slack.bot_token)
    seeding = time.perf_counter()
    made = history.seed(store, linker, now, planned=planned, held=sessions - planned - 1, running=True,
                        replies_per_prompt=replies_per_prompt)
    seeding = time.perf_counter() - seeding
    store.close()
    bot = Bot(settings, FixedClock(now), tick_seconds=3600)  # built, never started: the ticks are called here
    try:
        ticker = bot.ticker
        for _ in range(10):  # the first ticks read the directory again and warm SQLite's page cache
            ticker.tick()
        whole = _timed(ticker.tick, ticks)
        steps = {"lease": _timed(lambda: ticker.keep(), ticks)}
        at = bot.clock.now()
        for step in ticker.steps:
            steps[_label(step)] = _timed(lambda step=step: step(at), ticks)
    finally:
        bot.stop()
    return {"prompts": made.prompts, "sessions": made.sessions, "replies": made.replies, "ticks": ticks,
            "seed_s": round(seeding, 2), **_spread(whole),
            "steps_median_ms": {name: round(statistics.median(times) * 1000, 3) for name, times in steps.items()}}


def _timed(call, times: int) -> list[float]:
    found = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        found.append(time.perf_counter() - started)
    return found


def _label(step) -> str:
    """A step's name: a method's own, or what a lambda calls (`posting.queue_due`)."""
    name = getattr(step, "__name__", "step")
    if name != "<lambda>":
        return name.lstrip("_")
    return ".".join(step.__code__.co_names[:2]) or "step"


def _spread(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"median_ms": round(statistics.median(ordered) * 1000, 3),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 3),
            "max_ms": round(ordered[-1] * 1000, 3)}


def measure_startup(folder: Path, slack: SlackStandIn, prompts: int, runs: int) -> dict:
    """Bot(...) construction to the first /healthz 200 (median of `runs` fresh processes) with `prompts` prompts
    planned; also from spawning the process (Python and imports included)."""
    per_session = len(load_deck(DECK).prompts)
    settings, store, linker = _store(folder, f"startup-{prompts}", slack.api_url, slack.bot_token)
    made = history.seed(store, linker, datetime.now(timezone.utc), planned=max(1, prompts // per_session))
    store.close()
    constructed, spawned = [], []
    for _ in range(runs):
        port = _free_port()
        began = time.monotonic()
        running = servers.spawn("hvis", folder, api_url=slack.api_url, bot_token=slack.bot_token,
                                db=str(settings.db_path), threads=settings.threads, port=port)
        try:
            healthy = _healthy_at(port, running)
            ready = running.wait_ready()
        finally:
            running.stop()
        constructed.append(healthy - ready["constructing_at"])
        spawned.append(healthy - began)
    return {"prompts": made.prompts, "sessions": made.sessions, "runs": runs,
            "median_s": round(statistics.median(constructed), 3), "max_s": round(max(constructed), 3),
            "from_spawn_median_s": round(statistics.median(spawned), 3)}


def _healthy_at(port: int, running: servers.Running, limit: float = 60.0) -> float:
    """Poll /healthz every few milliseconds; the monotonic time of the first 200."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise RuntimeError(f"the bot exited while starting: {running.log.read_text()[-3000:]}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return time.monotonic()
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.002)
    raise RuntimeError(f"/healthz did not answer 200 within {limit:.0f} s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
