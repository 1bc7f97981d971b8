"""Counting waitress's "Task queue depth is N" warnings instead of printing them: how often requests waited for a thread."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator

QUEUE_LOGGER = "waitress.queue"


class QueueWatch(logging.Handler):
    """Counts the warnings waitress logs each time a request is queued behind busy server threads."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.deepest = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        depth = record.args[0] if isinstance(record.args, tuple) and record.args else 0
        if isinstance(depth, int):
            self.deepest = max(self.deepest, depth)

    def take(self) -> dict:
        """The tallies since the last take, then start again from zero."""
        tallies = {"queued": self.count, "max_queue_depth": self.deepest}
        self.count = self.deepest = 0
        return tallies


@contextmanager
def watching_queue() -> Iterator[QueueWatch]:
    """Route waitress's queue warnings to a counter for the duration (thousands of stderr lines otherwise)."""
    logger = logging.getLogger(QUEUE_LOGGER)
    watch = QueueWatch()
    propagate = logger.propagate
    logger.addHandler(watch)
    logger.propagate = False
    try:
        yield watch
    finally:
        logger.removeHandler(watch)
        logger.propagate = propagate
