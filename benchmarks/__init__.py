"""Benchmarks of hvis: `python -m benchmarks [edge|startup|tick|all]` (or `python3 tasks.py bench`).

- edge: acks/s, latency, CPU per event and peak RSS of three servers, each in its own process, sent the same
  signed thread replies (and a share of Slack's retries) by a load generator in another process: the Bolt
  floor, the floor + one SQLite insert per event, and hvis itself. Ratios are against the baselines of the
  same run, and every event must be stored exactly once.
- startup: Bot(...) to the first /healthz 200 with 1,000 planned prompts.
- tick: one scheduler tick over 10,000 stored prompts.

Targets are printed as pass/fail lines (benchmarks/targets.py), never asserted in tests. Results go to
benchmarks/results/latest.json, which git ignores. benchmarks.exports and benchmarks.themes are separate.
"""

import os

# Everything here talks to 127.0.0.1; an environment proxy must never see those requests (slack_sdk honours it).
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
