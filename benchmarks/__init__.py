"""Benchmarks of hvis's HTTP edge: `python -m benchmarks` (figures are ratios against a baseline from the same run).

Rows: `baseline` (an ack-only Bolt app behind the bot's own WSGI wrapper and waitress), `hvis` (the real bot
storing each thread reply before its 200) and `hvis duplicates` (the same events again, as Slack's retries).
`queued` counts waitress's "Task queue depth" warnings: requests that waited for a free server thread.
Results go to benchmarks/results/latest.json (ignored by git); speed targets belong here, never in tests.
"""

import os

# Everything here talks to 127.0.0.1; an environment proxy must never see those requests (slack_sdk honours it).
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
