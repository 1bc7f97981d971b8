"""Run the three measurements (baseline, hvis, hvis duplicates) and report them against each other."""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
from pathlib import Path

from benchmarks import report
from benchmarks.load import LoadPool
from benchmarks.payloads import Thread, reply_events
from benchmarks.queue import QueueWatch, watching_queue
from benchmarks.targets import CHANNEL, TEAM, baseline_server, hvis_bot, participants, slack_standin
from bot.config import Settings

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"
SECRET = "benchmark-signing-secret"
APP_ID = "A0BENCHAPP"
PARTICIPANTS = 20


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line's parameters."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--events", type=_positive, default=2000, help="signed requests per run (default 2000)")
    parser.add_argument("--concurrency", type=_positive, default=16, help="client connections (default 16)")
    parser.add_argument("--warmup", type=_positive, default=100, help="requests before each run (default 100)")
    parser.add_argument("--threads", type=_positive, default=Settings().threads,
                        help="server worker threads, the bot's HVIS_THREADS (default %(default)s)")
    parser.add_argument("--deadline", type=_positive, default=120,
                        help="seconds after which a run stops sending (default 120)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON output (default {DEFAULT_OUT})")
    return parser.parse_args(argv)


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{raw} is not a positive whole number")
    return value


def measure(name: str, port: int, warmup: list[bytes], events: list[bytes], args: argparse.Namespace,
            watch: QueueWatch) -> dict:
    """Warm up, then measure with the same pool of keep-alive clients; the measured run's row."""
    pool = LoadPool(port, SECRET, args.concurrency)
    try:
        pool.run(warmup, args.deadline)
        watch.take()  # queueing during warm-up is not part of the figures
        phase = pool.run(events, args.deadline)
    finally:
        pool.close()
    return {**report.row(name, phase), **watch.take()}


def collect(args: argparse.Namespace) -> dict:
    """Measure the baseline, the bot and the bot's duplicate path in one process; the report as a dict."""
    rss_before = report.peak_rss_mib()
    users = participants(PARTICIPANTS)
    tag = secrets.token_hex(3).upper()
    rows = []
    with tempfile.TemporaryDirectory(prefix="hvis-bench-") as folder, watching_queue() as watch, \
            slack_standin(SECRET, users) as slack:
        with hvis_bot(slack, Path(folder) / "hvis.db", args.threads) as live:
            thread = Thread(team_id=TEAM, app_id=APP_ID, channel=CHANNEL, thread_ts=live.prompt.message_ts,
                            parent_user=live.bot.h.bot_user_id)
            # The baseline gets byte-for-byte the same bodies, so only the work behind the ack differs.
            warmup = reply_events(thread, users, args.warmup, first=0, tag=tag)
            events = reply_events(thread, users, args.events, first=args.warmup, tag=tag)
            with baseline_server(slack, args.threads) as port:
                rows.append(measure(report.BASELINE, port, warmup, events, args, watch))
            rows.append(measure("hvis", live.port, warmup, events, args, watch))
            after_hvis = live.reply_ts()
            # Slack's retries carry the same event_ids: every one must be acknowledged and none stored again.
            rows.append(measure("hvis duplicates", live.port, warmup, events, args, watch))
            after_duplicates = live.reply_ts()
    expected = sorted(_ts(body) for body in warmup + events)
    report.add_ratios(rows)
    return {
        "parameters": {"events": args.events, "concurrency": args.concurrency, "warmup": args.warmup,
                       "threads": args.threads, "deadline_s": args.deadline, "participants": PARTICIPANTS},
        "machine": report.machine(),
        "rows": rows,
        "memory": {"peak_rss_before_mib": round(rss_before, 1), "peak_rss_after_mib": round(report.peak_rss_mib(), 1)},
        # A benchmark that silently drops (or doubles) work is worthless: every sent reply stored, exactly once.
        "replies": {"expected": len(expected), "after_hvis": len(after_hvis), "after_duplicates": len(after_duplicates),
                    "passed": after_hvis == expected and after_duplicates == expected},
        "summary": report.summary(rows),
    }


def _ts(body: bytes) -> str:
    return json.loads(body)["event"]["ts"]


def main(argv: list[str] | None = None) -> int:
    """Run, print the table, write the JSON; exit status 1 if any answer was not a 200 or a reply went missing."""
    args = parse(argv)
    result = collect(args)
    print(report.table(result), flush=True)
    report.write(result, args.out)
    print(f"written to {args.out}")
    failed = any(r["non_200"] for r in result["rows"]) or not result["replies"]["passed"]
    return 1 if failed else 0
