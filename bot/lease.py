"""Exactly one process schedules: a lease row in SQLite, renewed by a heartbeat, taken over from the dead.

A second `hvis run` on the same database (a web and a worker process, a rolling deploy) then only
answers Slack; if the scheduling process dies, another takes over within seconds.
"""

from __future__ import annotations

import os
import secrets
import socket
import time

from storage import Store

NAME = "scheduler"
SECONDS = 10.0  # renewed every HEARTBEAT seconds; a hung process loses it after this
HEARTBEAT = 2.0


def owner_id() -> str:
    """Who holds a lease: host and process id (so a dead process can be recognised) plus a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _is_gone(holder: str) -> bool:
    """True if the holder ran on this host and its process no longer exists (e.g. killed by SIGKILL)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def keep(store: Store, owner: str) -> bool:
    """Take or renew the lease; True while `owner` may schedule."""
    return store.hold_lease(NAME, owner, time.time(), SECONDS, _is_gone)


def holds(store: Store, owner: str) -> bool:
    """Checked right before posting: a process that lost the lease while waiting on Slack must not post."""
    return store.lease_holder(NAME, time.time()) == owner


def release(store: Store, owner: str) -> None:
    store.release_lease(NAME, owner)
