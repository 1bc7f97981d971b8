"""A closed-loop load generator: C worker threads, each on its own keep-alive connection, sending signed bodies."""

from __future__ import annotations

import hashlib
import hmac
import math
import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence

PATH = "/slack/events"
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
NO_ANSWER = 0  # the status recorded when a request got no HTTP answer (connection error, timeout)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: 'v0=' + hex HMAC-SHA256(secret, 'v0:{timestamp}:{body}')."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


@dataclass
class Phase:
    """The answers to one batch of requests."""

    requested: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)  # of every answered request, sorted
    statuses: Counter = field(default_factory=Counter)        # HTTP status (or NO_ANSWER) -> count

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def failures(self) -> int:
        """Requests that did not get a 200, including any never sent because the deadline passed."""
        return self.requested - self.ok


class LoadPool:
    """`concurrency` keep-alive HTTP clients that stay connected across batches (so warm-up warms them too)."""

    def __init__(self, port: int, secret: str, concurrency: int, timeout: float = 10.0) -> None:
        self.port = port
        self.secret = secret
        self.timeout = timeout
        self._connections: list[http.client.HTTPConnection | None] = [None] * concurrency

    def run(self, bodies: Sequence[bytes], deadline_seconds: float) -> Phase:
        """Send every body once, `concurrency` at a time; stop taking new ones after `deadline_seconds`."""
        lock = threading.Lock()
        cursor = iter(range(len(bodies)))
        stop_at = time.monotonic() + deadline_seconds

        def take() -> int | None:
            if time.monotonic() > stop_at:
                return None
            with lock:
                return next(cursor, None)

        # Each worker keeps its own tallies; merging after the join avoids a lock on the hot path.
        tallies = [([], Counter()) for _ in self._connections]
        workers = [threading.Thread(target=self._work, args=(slot, bodies, take, *tallies[slot]),
                                    name=f"bench-client-{slot}", daemon=True)
                   for slot in range(len(self._connections))]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            # Bounded: after the deadline each worker finishes at most one request, itself bounded by the timeout.
            worker.join(max(0.0, stop_at - time.monotonic()) + self.timeout + 5)
        seconds = time.perf_counter() - started
        if any(worker.is_alive() for worker in workers):
            raise RuntimeError("a load worker did not finish within its deadline")
        phase = Phase(requested=len(bodies), seconds=seconds)
        for latencies, statuses in tallies:
            phase.latencies_ms.extend(latencies)
            phase.statuses.update(statuses)
        phase.latencies_ms.sort()
        return phase

    def close(self) -> None:
        """Close every client connection."""
        for slot in range(len(self._connections)):
            self._drop(slot)

    def _work(self, slot: int, bodies: Sequence[bytes], take: Callable[[], int | None], latencies: list[float],
              statuses: Counter) -> None:
        while (index := take()) is not None:
            body = bodies[index]
            # Signed per request, like Slack: the timestamp is part of what is signed.
            timestamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                       "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": sign(self.secret, timestamp, body)}
            started = time.perf_counter()
            try:
                connection = self._connection(slot)
                connection.request("POST", PATH, body, headers)
                answer = connection.getresponse()
                answer.read()
                status = answer.status
                if answer.will_close:
                    self._drop(slot)
            except (OSError, http.client.HTTPException):
                statuses[NO_ANSWER] += 1
                self._drop(slot)  # reconnect for the next request; this one is counted as failed, not retried
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[status] += 1

    def _connection(self, slot: int) -> http.client.HTTPConnection:
        connection = self._connections[slot]
        if connection is None:
            connection = self._connections[slot] = http.client.HTTPConnection("127.0.0.1", self.port,
                                                                              timeout=self.timeout)
        return connection

    def _drop(self, slot: int) -> None:
        connection, self._connections[slot] = self._connections[slot], None
        if connection is not None:
            connection.close()


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 when there are none)."""
    if not sorted_values:
        return 0.0
    rank = min(len(sorted_values), max(1, math.ceil(fraction * len(sorted_values))))
    return sorted_values[rank - 1]
