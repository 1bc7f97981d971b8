"""The HTTP edge: the Bolt floor, the floor + one SQLite insert, and hvis, each in its own process, sent
byte-for-byte the same signed thread replies (plus a share of Slack's retries) by a load generator in another
process. Every round is fresh events; figures are medians over the rounds, the slowest ack the worst of all."""

from __future__ import annotations

import secrets
import statistics
from dataclasses import dataclass
from pathlib import Path

from benchmarks import load, payloads, servers
from benchmarks.workspace import APP_ID, CHANNEL, PARTICIPANTS, SECRET, TEAM
from standin import SlackStandIn
from storage import Store

MEDIAN_OF = ("acks_per_s", "p50_ms", "p99_ms", "cpu_us_per_event", "deferred_cpu_us_per_event",
             "server_cpu_share", "client_cpu_share")


@dataclass(frozen=True)
class Plan:
    """What every server is sent: per concurrency, a warm-up and `rounds` rounds of fresh events."""

    concurrencies: tuple[int, ...]
    events: int
    rounds: int
    warmup: int
    retry_share: float
    threads: int
    deadline_s: float


def measure(folder: Path, slack: SlackStandIn, plan: Plan) -> dict:
    """Rows for each server and concurrency, and whether every event was stored exactly once."""
    common = {"api_url": slack.api_url, "bot_token": slack.bot_token, "threads": plan.threads}
    hvis = servers.start("hvis", folder, db=str(folder / "hvis.db"), session=True, **common)
    # The bot's prompt is the thread every server's replies answer, so all of them get identical bodies.
    thread = payloads.Thread(TEAM, APP_ID, hvis.ready["bot_user_id"], CHANNEL, hvis.ready["thread_ts"])
    phases = _phases(thread, plan)
    originals = {request.ts for batches in phases.values() for _, batch in batches for request in batch
                 if not request.retry}
    retries = sum(1 for batches in phases.values() for _, batch in batches for request in batch if request.retry)
    rows, runs = [], {}
    try:
        rows += _drive(hvis, phases, plan, folder)
        runs["hvis"] = {"uvicorn": hvis.ready["uvicorn"], **hvis.memory()}
    finally:
        hvis.stop()
    store = Store(folder / "hvis.db")
    try:
        stored = [reply.ts for reply in store.replies.of_session(hvis.ready["session_id"])]
    finally:
        store.close()
    checks = {"hvis": {"expected": len(originals), "retries_sent": retries, "stored": len(stored),
                       "passed": len(stored) == len(originals) and set(stored) == originals}}
    for kind in ("floor", "sqlite"):
        db = folder / f"{kind}.db"
        server = servers.start(kind, folder, db=str(db), **common)
        try:
            rows += _drive(server, phases, plan, folder)
            runs[kind] = {"uvicorn": server.ready["uvicorn"], **server.memory()}
        finally:
            server.stop()
        if kind == "sqlite":
            count, distinct = servers.stored_events(db)
            checks[kind] = {"expected": len(originals), "retries_sent": retries, "stored": count,
                            "passed": count == distinct == len(originals)}
    return {"rows": rows, "servers": runs, "stored_once": checks}


def _phases(thread: payloads.Thread, plan: Plan) -> dict[int, list[tuple[str, list[payloads.Request]]]]:
    tag, number, phases = secrets.token_hex(3).upper(), 0, {}
    for concurrency in plan.concurrencies:
        batches = []
        for n, size in enumerate([plan.warmup] + [plan.events] * plan.rounds):
            originals = payloads.replies(thread, PARTICIPANTS, size, tag, first=number)
            number += size
            batch = payloads.with_retries(originals, plan.retry_share, gap=2 * concurrency, seed=number)
            batches.append(("warm-up" if n == 0 else f"round {n}", batch))
        phases[concurrency] = batches
    return phases


def _drive(server: servers.Running, phases: dict, plan: Plan, folder: Path) -> list[dict]:
    rows = []
    for concurrency, batches in phases.items():
        job = {"host": "127.0.0.1", "port": server.port, "pid": server.pid, "secret": SECRET,
               "concurrency": concurrency, "deadline_s": plan.deadline_s,
               "phases": [{"name": name, "requests": [{"body": r.body, "retry": r.retry} for r in batch]}
                          for name, batch in batches]}
        results = load.drive(job, folder)
        rounds = results[1:]
        row = {"server": server.kind, "concurrency": concurrency, "rounds": len(rounds),
               "requests": sum(r["requests"] for r in rounds), "acks": sum(r["acks"] for r in rounds),
               "non_200": sum(r["non_200"] for r in results), "max_ms": max(r["max_ms"] for r in rounds),
               "worst_ms": max(r["max_ms"] for r in results),  # the warm-up included
               "over_3s": sum(r["over_3s"] for r in results), "peak_rss_mb": results[-1]["peak_rss_mb"],
               "phases": results}
        row.update({key: round(statistics.median(r[key] for r in rounds), 2) for key in MEDIAN_OF})
        rows.append(row)
    return rows
