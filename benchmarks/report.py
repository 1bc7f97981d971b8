"""Turning measured phases into rows, ratios against the baseline, a printed table and a JSON file."""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
from pathlib import Path

from benchmarks.load import Phase, percentile

BASELINE = "baseline"


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def row(name: str, phase: Phase) -> dict:
    """The figures of one run: throughput, latency percentiles and how many answers were not a 200."""
    acks = phase.ok / phase.seconds if phase.seconds > 0 else 0.0
    return {"name": name, "requests": phase.requested, "acks": phase.ok, "non_200": phase.failures,
            "statuses": {str(status): count for status, count in sorted(phase.statuses.items())},
            "seconds": round(phase.seconds, 3), "acks_per_s": round(acks, 1),
            "p50_ms": round(percentile(phase.latencies_ms, 0.50), 2),
            "p95_ms": round(percentile(phase.latencies_ms, 0.95), 2),
            "p99_ms": round(percentile(phase.latencies_ms, 0.99), 2),
            "peak_rss_mib": round(peak_rss_mib(), 1)}


def add_ratios(rows: list[dict]) -> None:
    """Give every row its figures divided by the baseline's (acks/s: higher is better; latency: lower is)."""
    base = next(r for r in rows if r["name"] == BASELINE)
    for r in rows:
        r["ratio"] = {key: round(r[key] / base[key], 3) if base[key] else None
                      for key in ("acks_per_s", "p50_ms", "p95_ms", "p99_ms")}


def machine() -> dict:
    """What the figures were measured on."""
    return {"cpu_count": os.cpu_count(), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform()}


def summary(rows: list[dict]) -> list[str]:
    """One plain sentence per measured row, in the baseline's terms."""
    lines = []
    for r in rows:
        if r["name"] == BASELINE:
            continue
        ratio = r["ratio"]
        if ratio["acks_per_s"] is None:
            lines.append(f"{r['name']}: the baseline acknowledged nothing, so there is no ratio")
            continue
        lines.append(f"{r['name']} acknowledges {ratio['acks_per_s']:.2f}× the baseline's acks/s "
                     f"(p50 {_times(ratio['p50_ms'])}, p99 {_times(ratio['p99_ms'])} the baseline's latency)")
    return lines


def _times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def table(report: dict) -> str:
    """The report as a short plain-text table."""
    p, m = report["parameters"], report["machine"]
    lines = [f"hvis HTTP edge: {p['events']} signed events per run, concurrency {p['concurrency']}, "
             f"warm-up {p['warmup']}, {p['threads']} server threads ({m['cpu_count']} CPUs, Python {m['python']})",
             f"{'run':<16}{'acks/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'non-200':>9}"
             f"{'× acks/s':>10}{'× p50':>8}{'× p99':>8}{'queued':>8}"]
    for r in report["rows"]:
        ratio = r["ratio"]
        lines.append(f"{r['name']:<16}{r['acks_per_s']:>9.0f}{r['p50_ms']:>9.2f}{r['p95_ms']:>9.2f}"
                     f"{r['p99_ms']:>9.2f}{r['non_200']:>9}{_times(ratio['acks_per_s']):>10}"
                     f"{_times(ratio['p50_ms']):>8}{_times(ratio['p99_ms']):>8}{r.get('queued', 0):>8}")
    mem, check = report["memory"], report["replies"]
    lines.append(f"peak RSS: {mem['peak_rss_before_mib']:.1f} MiB before, {mem['peak_rss_after_mib']:.1f} MiB after")
    lines.append(f"replies stored: {check['after_hvis']} after hvis, {check['after_duplicates']} after duplicates, "
                 f"expected {check['expected']}: {'OK' if check['passed'] else 'FAILED'}")
    lines.extend(report["summary"])
    return "\n".join(lines)


def write(report: dict, path: Path) -> None:
    """Write the report as JSON, creating the folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
