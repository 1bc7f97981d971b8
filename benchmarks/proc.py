"""What a process costs, read from /proc by its pid (Linux): CPU seconds, resident and peak resident memory."""

from __future__ import annotations

import os

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of every thread of the process so far."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        fields = stat.read().rsplit(b")", 1)[1].split()  # the name in parentheses may contain spaces
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime and stime, fields 14 and 15 of stat(5)


def memory_mb(pid: int) -> dict:
    """Resident set size now and its peak so far (VmRSS, VmHWM), in MB (10^6 bytes, as the targets say)."""
    found = {}
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                found[line[:5]] = int(line.split()[1]) * 1024 / 1e6  # the kernel counts in KiB
    return {"rss_mb": round(found.get("VmRSS", 0.0), 1), "peak_rss_mb": round(found.get("VmHWM", 0.0), 1)}
