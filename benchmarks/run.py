"""`python -m benchmarks [edge|startup|tick|all] [options]`: measure, print a table, write JSON.

Exit status 1 when a request was not acknowledged with a 200 or an event was not stored exactly once;
missed speed targets are printed as FAIL lines but do not change the exit status.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks import edge, report, scheduler
from benchmarks.targets import judge
from benchmarks.workspace import slack_standin

SUITES = ("edge", "startup", "tick")
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"  # *.json there is git-ignored


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("suite", nargs="?", choices=(*SUITES, "all"), default="all",
                        help="what to measure (default: all, about two minutes)")
    parser.add_argument("--events", type=_whole, default=4000, help="new events per round (default 4000)")
    parser.add_argument("--rounds", type=_whole, default=3, help="rounds per server and concurrency (default 3)")
    parser.add_argument("--warmup", type=_whole, default=500, help="warm-up events before the rounds (default 500)")
    parser.add_argument("--concurrency", type=_levels, default=(32, 8),
                        help="client connections, comma-separated; 32 is the headline (default 32,8)")
    parser.add_argument("--retries", type=float, default=0.1,
                        help="share of events Slack delivers a second time, with X-Slack-Retry-Num (default 0.1)")
    parser.add_argument("--threads", type=_whole, default=8, help="the bot's HVIS_THREADS (default 8)")
    parser.add_argument("--deadline", type=_whole, default=120, help="seconds a phase may take (default 120)")
    parser.add_argument("--startup-prompts", type=_whole, default=1000, help="planned prompts (default 1000)")
    parser.add_argument("--startup-runs", type=_whole, default=3, help="start-ups measured (default 3)")
    parser.add_argument("--tick-prompts", type=_whole, default=10_000, help="prompts stored (default 10000)")
    parser.add_argument("--tick-replies", type=int, default=5,
                        help="replies per prompt of closed days, second tick database (default 5; 0: skip)")
    parser.add_argument("--ticks", type=_whole, default=300, help="ticks measured (default 300)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON output (default {DEFAULT_OUT})")
    return parser.parse_args(argv)


def _whole(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{raw} is not a positive whole number")
    return value


def _levels(raw: str) -> tuple[int, ...]:
    return tuple(_whole(part) for part in raw.split(","))


def collect(args: argparse.Namespace) -> dict:
    """Run the chosen suites against one Slack stand-in; the report as a dict."""
    suites = SUITES if args.suite == "all" else (args.suite,)
    found = {"parameters": {"suites": list(suites), "events": args.events, "rounds": args.rounds,
                            "warmup": args.warmup, "concurrency": list(args.concurrency),
                            "retry_share": args.retries, "threads": args.threads, "deadline_s": args.deadline,
                            "startup_prompts": args.startup_prompts, "tick_prompts": args.tick_prompts,
                            "tick_replies_per_prompt": args.tick_replies, "ticks": args.ticks},
             "machine": report.machine()}
    with tempfile.TemporaryDirectory(prefix="hvis-bench-") as scratch, slack_standin() as slack:
        folder = Path(scratch)
        if "edge" in suites:
            plan = edge.Plan(args.concurrency, args.events, args.rounds, args.warmup, args.retries, args.threads,
                             args.deadline)
            found["edge"] = edge.measure(folder, slack, plan)
            found["edge"]["ratios"] = report.ratios(found)
        if "startup" in suites:
            found["startup"] = scheduler.measure_startup(folder, slack, args.startup_prompts, args.startup_runs)
        if "tick" in suites:
            found["tick"] = {"prompts": scheduler.measure_tick(folder, slack, args.tick_prompts, 0, args.ticks)}
            if args.tick_replies:
                found["tick"]["with_replies"] = scheduler.measure_tick(folder, slack, args.tick_prompts,
                                                                       args.tick_replies, args.ticks)
    found["targets"] = judge(found)
    return found


def failed(found: dict) -> bool:
    """A request not acknowledged, or an event not stored exactly once."""
    edge_report = found.get("edge") or {}
    return any(r["non_200"] for r in edge_report.get("rows", [])) or \
        not all(check["passed"] for check in edge_report.get("stored_once", {}).values())


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    found = collect(args)
    print(report.table(found), flush=True)
    report.write(found, args.out)
    print(f"\nwritten to {args.out}")
    return 1 if failed(found) else 0
