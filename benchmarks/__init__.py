"""Benchmarks of hvis's HTTP edge: `python -m benchmarks` (figures are ratios against a baseline from the same run)."""

import os

# Everything here talks to 127.0.0.1; an environment proxy must never see those requests (slack_sdk honours it).
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
