"""The targets, declared once as data and reported as pass/fail lines (never asserted in tests: a busy machine
must not fail the build). Each reads one figure from the report; a figure not measured in this run is skipped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

HEADLINE = 32  # the concurrency the throughput and latency targets are judged at


@dataclass(frozen=True)
class Target:
    text: str
    figure: Callable[[dict], float | None]
    limit: float
    at_least: bool = False  # True: the figure must reach the limit; False: stay under it
    unit: str = ""


def edge_row(report: dict, server: str, concurrency: int = HEADLINE) -> dict | None:
    rows = (report.get("edge") or {}).get("rows", [])
    return next((r for r in rows if r["server"] == server and r["concurrency"] == concurrency), None)


def ratio(report: dict, key: str, over: str, concurrency: int = HEADLINE) -> float | None:
    """hvis's figure divided by a baseline's, at one concurrency."""
    mine, theirs = edge_row(report, "hvis", concurrency), edge_row(report, over, concurrency)
    return round(mine[key] / theirs[key], 3) if mine and theirs and theirs[key] else None


def _hvis(key: str) -> Callable[[dict], float | None]:
    def figure(report: dict) -> float | None:
        rows = [r for r in (report.get("edge") or {}).get("rows", []) if r["server"] == "hvis"]
        return max(r[key] for r in rows) if rows else None
    return figure


def _tick(name: str) -> Callable[[dict], float | None]:
    return lambda report: ((report.get("tick") or {}).get(name) or {}).get("median_ms")


TARGETS = (
    Target(f"hvis acks/s ≥ 0.8× the Bolt floor + SQLite at concurrency {HEADLINE}",
           lambda report: ratio(report, "acks_per_s", "sqlite"), 0.8, at_least=True, unit="×"),
    Target(f"hvis p99 ack under 50 ms at concurrency {HEADLINE}",
           lambda report: (edge_row(report, "hvis") or {}).get("p99_ms"), 50.0, unit=" ms"),
    Target("no hvis ack slower than 3 s (any concurrency, warm-up included)", _hvis("worst_ms"), 3000.0, unit=" ms"),
    Target("hvis peak RSS under 120 MB", _hvis("peak_rss_mb"), 120.0, unit=" MB"),
    Target("a tick with 10,000 prompts under 5 ms (median)", _tick("prompts"), 5.0, unit=" ms"),
    Target("a tick with 10,000 prompts and their closed days' replies under 5 ms (median)",
           _tick("with_replies"), 5.0, unit=" ms"),
)


def judge(report: dict) -> list[dict]:
    """One line per target measured in this run: the figure, the limit and whether it passed."""
    lines = []
    for target in TARGETS:
        value = target.figure(report)
        if value is None:
            continue
        passed = value >= target.limit if target.at_least else value < target.limit
        lines.append({"target": target.text, "value": value, "limit": target.limit, "unit": target.unit,
                      "passed": passed})
    return lines
