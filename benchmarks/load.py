"""The load generator, in a process of its own (`python -m benchmarks.load JOB.json`), so the server under test
never shares its GIL or its CPU time with the client.

A closed loop: C keep-alive connections (asyncio protocols, on uvloop when installed), each sending its next
request the moment the previous answer is complete. Requests are signed before the clock starts (Slack's v0
HMAC over `v0:{timestamp}:{body}`), so the client spends its time on sockets. Between phases it reads the
server's CPU time from /proc/<pid>/stat, waits for deferred work to finish, and reads its peak RSS.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import math
import os
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Sequence

from benchmarks import proc

PATH = "/slack/events"
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
NO_ANSWER = 0          # the status recorded for a request that got no HTTP answer (connection lost, deadline)
SLACK_TIMEOUT_S = 3.0  # Slack retries an event that was not acknowledged within this
_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: 'v0=' + hex HMAC-SHA256(secret, 'v0:{timestamp}:{body}')."""
    return "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()


def wire(host: str, port: int, secret: str, body: str, retry: int, timestamp: str) -> bytes:
    """One complete HTTP/1.1 request as Slack sends it, signed."""
    data = body.encode("utf-8")
    lines = [f"POST {PATH} HTTP/1.1", f"Host: {host}:{port}", f"User-Agent: {USER_AGENT}", "Accept: */*",
             "Content-Type: application/json", f"Content-Length: {len(data)}",
             f"X-Slack-Request-Timestamp: {timestamp}", f"X-Slack-Signature: {sign(secret, timestamp, data)}"]
    if retry:
        lines += [f"X-Slack-Retry-Num: {retry}", "X-Slack-Retry-Reason: http_timeout"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + data


class Phase:
    """One batch of requests shared by every connection, and what came back."""

    def __init__(self, requests: Sequence[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self.requests = requests
        self.next = 0
        self.open = 0
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()
        self.finished = loop.create_future()

    def take(self) -> bytes | None:
        if self.next >= len(self.requests):
            return None
        self.next += 1
        return self.requests[self.next - 1]

    def record(self, status: int, seconds: float | None) -> None:
        self.statuses[status] += 1
        if seconds is not None:
            self.latencies.append(seconds)

    def idle(self) -> None:
        """A connection found nothing left to send."""
        self.open -= 1
        if self.open == 0 and not self.finished.done():
            self.finished.set_result(None)


class Client(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.phase: Phase | None = None
        self.started = 0.0
        self.buffer = b""
        self.busy = False

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport

    def serve(self, phase: Phase) -> None:
        self.phase = phase
        phase.open += 1
        self._send()

    def _send(self) -> None:
        request = self.phase.take() if self.transport else None
        if request is None:
            self.busy = False
            self.phase.idle()
            return
        self.busy = True
        self.started = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or not self.busy:
            return
        found = _LENGTH.search(self.buffer, 0, end + 2)
        length = int(found.group(1)) if found else 0
        if len(self.buffer) < end + 4 + length:
            return
        status = int(self.buffer[9:12])
        closing = b"connection: close" in self.buffer[:end].lower()
        self.buffer = self.buffer[end + 4 + length:]
        self.phase.record(status, time.perf_counter() - self.started)
        if closing:
            self.transport.close()
            self.transport = None
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.busy:  # the request in flight got no answer: counted as failed, never sent again
            self.phase.record(NO_ANSWER, None)
            self._send()


async def _connect(host: str, port: int, clients: list[Client]) -> None:
    loop = asyncio.get_running_loop()
    for n, client in enumerate(clients):
        if client.transport is None:
            clients[n] = (await loop.create_connection(Client, host, port))[1]


async def _run(job: dict) -> list[dict]:
    loop = asyncio.get_running_loop()
    host, port, pid = job["host"], job["port"], job["pid"]
    clients = [Client() for _ in range(job["concurrency"])]
    results = []
    for planned in job["phases"]:
        name, timestamp = planned["name"], str(int(time.time()))  # Slack's signatures are valid for 300 s
        requests = [wire(host, port, job["secret"], r["body"], r["retry"], timestamp) for r in planned["requests"]]
        await _connect(host, port, clients)
        phase = Phase(requests, loop)
        cpu, own, started = proc.cpu_seconds(pid), resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        for client in clients:
            client.serve(phase)
        try:
            await asyncio.wait_for(asyncio.shield(phase.finished), job["deadline_s"])
        except asyncio.TimeoutError:
            pass  # what is still in flight or unsent is counted below as unanswered
        seconds = time.perf_counter() - started
        cpu_in_phase = proc.cpu_seconds(pid) - cpu
        own_after = resource.getrusage(resource.RUSAGE_SELF)
        unanswered = len(requests) - sum(phase.statuses.values())
        if unanswered:
            phase.statuses[NO_ANSWER] += unanswered
            for client in clients:
                if client.busy and client.transport:
                    client.busy = False  # counted just above; its connection is dropped, not reused
                    client.transport.abort()
                    client.transport = None
        deferred = await _settle(pid)
        results.append(summary(name, phase, seconds, cpu_in_phase, deferred,
                               own_after.ru_utime + own_after.ru_stime - own.ru_utime - own.ru_stime,
                               proc.memory_mb(pid)))
    for client in clients:
        if client.transport:
            client.transport.close()
    return results


async def _settle(pid: int, quiet_share: float = 0.03, window: float = 0.25, limit: float = 10.0) -> float:
    """Wait until the server has been (nearly) idle for a window; the CPU seconds it used meanwhile
    (work it deferred past its acknowledgements, plus whatever it does anyway)."""
    first = last = proc.cpu_seconds(pid)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        await asyncio.sleep(window)
        now = proc.cpu_seconds(pid)
        if now - last <= quiet_share * window:
            return last - first
        last = now
    return last - first


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of sorted values (0.0 when there are none)."""
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values), max(1, math.ceil(fraction * len(sorted_values)))) - 1]


def summary(name: str, phase: Phase, seconds: float, cpu: float, deferred: float, client_cpu: float,
            memory: dict) -> dict:
    """The figures of one phase (times in ms, CPU in µs per request)."""
    latencies = sorted(phase.latencies)
    requests = len(phase.requests)
    ok = phase.statuses.get(200, 0)
    return {"phase": name, "requests": requests, "acks": ok, "non_200": requests - ok,
            "statuses": {str(k): v for k, v in sorted(phase.statuses.items())},
            "seconds": round(seconds, 3), "acks_per_s": round(ok / seconds, 1) if seconds else 0.0,
            "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
            "max_ms": round((latencies[-1] if latencies else 0.0) * 1000, 2),
            "over_3s": sum(1 for latency in latencies if latency > SLACK_TIMEOUT_S),
            "cpu_us_per_event": round(cpu / requests * 1e6, 1) if requests else 0.0,
            "deferred_cpu_us_per_event": round(deferred / requests * 1e6, 1) if requests else 0.0,
            "server_cpu_share": round(cpu / seconds, 2) if seconds else 0.0,
            "client_cpu_share": round(client_cpu / seconds, 2) if seconds else 0.0,
            **memory}


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    print(json.dumps(asyncio.run(_run(job))), flush=True)
    return 0


def drive(job: dict, folder: Path) -> list[dict]:
    """Run a job in a fresh load-generator process; the figures of each of its phases."""
    path = folder / f"load-{os.getpid()}-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(job), encoding="utf-8")
    try:
        done = subprocess.run([sys.executable, "-m", "benchmarks.load", str(path)], capture_output=True, text=True,
                              timeout=job["deadline_s"] * len(job["phases"]) + 120)
    finally:
        path.unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
