"""The benchmark still runs end to end (tiny parameters; no timing assertions: speed targets live in benchmarks/)."""

from __future__ import annotations

import json

from benchmarks.run import main


def test_benchmark_runs_and_reports_every_reply_stored_once(tmp_path):
    out = tmp_path / "latest.json"
    status = main(["--events", "50", "--concurrency", "4", "--warmup", "10", "--threads", "4", "--out", str(out)])
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [row["name"] for row in report["rows"]] == ["baseline", "hvis", "hvis duplicates"]
    assert all(row["non_200"] == 0 and row["acks"] == 50 for row in report["rows"])
    assert all(row["ratio"]["acks_per_s"] > 0 for row in report["rows"])
    assert report["replies"] == {"expected": 60, "after_hvis": 60, "after_duplicates": 60, "passed": True}
    assert report["parameters"]["events"] == 50 and report["machine"]["cpu_count"]
    assert status == 0
