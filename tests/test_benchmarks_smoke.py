"""The benchmark machinery runs end to end on a tiny load (no timing assertions: speed targets are printed by
`python -m benchmarks`, never asserted, so a busy machine cannot fail the build)."""

from __future__ import annotations

import json

from benchmarks.run import main

TINY = ["all", "--events", "50", "--rounds", "1", "--warmup", "10", "--concurrency", "4", "--threads", "4",
        "--startup-prompts", "16", "--startup-runs", "1", "--tick-prompts", "80", "--tick-replies", "1",
        "--ticks", "5"]
FIGURES = ("acks_per_s", "p50_ms", "p99_ms", "max_ms", "cpu_us_per_event", "peak_rss_mb")


def test_benchmark_reports_every_figure_and_counts_each_event_once(tmp_path):
    out = tmp_path / "latest.json"
    status = main([*TINY, "--out", str(out)])
    report = json.loads(out.read_text(encoding="utf-8"))

    rows = report["edge"]["rows"]
    assert [(row["server"], row["concurrency"]) for row in rows] == [("hvis", 4), ("floor", 4), ("sqlite", 4)]
    for row in rows:  # 50 new events and 5 of Slack's retries, each acknowledged
        assert (row["requests"], row["acks"], row["non_200"]) == (55, 55, 0)
        assert all(isinstance(row[figure], (int, float)) for figure in FIGURES)
    sent_once = {"expected": 60, "retries_sent": 6, "stored": 60, "passed": True}  # the warm-up's 10 + 1 included
    assert report["edge"]["stored_once"] == {"hvis": sent_once, "sqlite": sent_once}
    assert set(report["edge"]["ratios"]["4"]) == {"hvis/floor", "hvis/sqlite"}
    assert report["startup"]["prompts"] == 16 and report["startup"]["median_s"] > 0
    assert report["tick"]["prompts"]["prompts"] == 80 and report["tick"]["with_replies"]["replies"] > 0
    assert {line["target"] for line in report["targets"]} and status == 0
