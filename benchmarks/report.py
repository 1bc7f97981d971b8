"""The report: ratios against the baselines of the same run, a readable table and a JSON copy."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

from benchmarks.targets import ratio

NAMES = {"floor": "Bolt floor", "sqlite": "floor + SQLite", "hvis": "hvis"}
RATIO_KEYS = ("acks_per_s", "p50_ms", "p99_ms", "cpu_us_per_event", "peak_rss_mb")


def machine() -> dict:
    """What the figures were measured on."""
    return {"cpu_count": os.cpu_count(), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform()}


def ratios(report: dict) -> dict:
    """hvis / floor and hvis / floor + SQLite, per concurrency (acks/s: higher is better; the rest: lower)."""
    found = {}
    for concurrency in sorted({r["concurrency"] for r in report["edge"]["rows"]}, reverse=True):
        found[str(concurrency)] = {f"hvis/{over}": {key: ratio(report, key, over, concurrency) for key in RATIO_KEYS}
                                   for over in ("floor", "sqlite")}
    return found


def table(report: dict) -> str:
    """The report as plain text."""
    m, p = report["machine"], report["parameters"]
    lines = [f"hvis benchmarks on {m['cpu_count']} CPUs, Python {m['python']} ({m['platform']})"]
    if report.get("edge"):
        lines += ["", _edge(report, p)]
    if report.get("startup"):
        s = report["startup"]
        lines += ["", f"start-up with {s['prompts']:,} planned prompts: {s['median_s'] * 1000:.0f} ms from Bot(...) "
                      f"to the first /healthz 200 (median of {s['runs']}, worst {s['max_s'] * 1000:.0f} ms); "
                      f"{s['from_spawn_median_s'] * 1000:.0f} ms from spawning the process"]
    for tick in (report.get("tick") or {}).values():
        steps = ", ".join(f"{step} {ms:.2f}" for step, ms in tick["steps_median_ms"].items() if ms >= 0.05)
        lines += ["", f"tick with {tick['prompts']:,} prompts and {tick['replies']:,} replies "
                      f"({tick['sessions']['closed']:,} closed days, {tick['sessions']['scheduled']} planned, "
                      f"{tick['sessions']['running']} running): median {tick['median_ms']:.2f} ms, "
                      f"p90 {tick['p90_ms']:.2f}, max {tick['max_ms']:.2f} over {tick['ticks']} ticks",
                  f"  steps (median ms, those ≥ 0.05): {steps}"]
    if report.get("targets"):
        lines += ["", "targets:"]
        for t in report["targets"]:
            value = f"{t['value']:.3g}" if isinstance(t["value"], float) else str(t["value"])
            lines.append(f"  {'PASS' if t['passed'] else 'FAIL'}  {t['target']}: {value}{t['unit']} "
                         f"(limit {t['limit']:g}{t['unit']})")
    return "\n".join(lines)


def _edge(report: dict, p: dict) -> str:
    edge = report["edge"]
    lines = [f"HTTP edge: {p['events']:,} new events per round (+{p['retry_share']:.0%} Slack retries), "
             f"{p['rounds']} rounds after a {p['warmup']}-event warm-up, medians over rounds; "
             f"hvis with {p['threads']} worker threads",
             f"{'server':<16}{'conc':>5}{'acks/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'CPU µs/ev':>10}"
             f"{'+after':>8}{'RSS MB':>8}{'srv CPU':>8}{'cli CPU':>8}{'non-200':>8}"]
    for r in edge["rows"]:
        lines.append(f"{NAMES[r['server']]:<16}{r['concurrency']:>5}{r['acks_per_s']:>9.0f}{r['p50_ms']:>8.2f}"
                     f"{r['p99_ms']:>8.2f}{r['max_ms']:>8.1f}{r['cpu_us_per_event']:>10.0f}"
                     f"{r['deferred_cpu_us_per_event']:>8.0f}{r['peak_rss_mb']:>8.1f}{r['server_cpu_share']:>8.2f}"
                     f"{r['client_cpu_share']:>8.2f}{r['non_200']:>8}")
    lines.append("  (CPU µs/ev: the server's CPU while the round ran, per request; +after: what it did after the "
                 "last ack until idle; srv/cli CPU: cores used by server and load generator)")
    for concurrency, pair in edge["ratios"].items():
        for name, values in pair.items():
            shown = "  ".join(f"{key.replace('_per_event', '').replace('_', ' ')} {_times(v)}"
                              for key, v in values.items())
            lines.append(f"  c={concurrency:<3} {name:<12} {shown}")
    lines.append("  event loop / HTTP parser: " + ", ".join(
        f"{NAMES[kind]} {run['uvicorn']['loop']}/{run['uvicorn']['http']}" for kind, run in edge["servers"].items()))
    for server, check in edge["stored_once"].items():
        lines.append(f"  {server}: {check['stored']:,} stored for {check['expected']:,} events sent once "
                     f"+ {check['retries_sent']:,} retries: {'exactly once' if check['passed'] else 'FAILED'}")
    return "\n".join(lines)


def _times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def write(report: dict, path: Path) -> None:
    """Write the report as JSON, creating the folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
