"""Text in and out: what is stored from Slack, and how user text is shown in Slack's mrkdwn."""

from __future__ import annotations

import re

MAX_TEXT = 40_000  # Slack's own limit for a message's text
MAX_SECTION = 3000  # Slack's limit for a section block's text
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_ENTITY = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_EMPHASIS = re.compile(r"(?<![\w*_])([*_])(\S(?:[^*_\n]*?\S)?)\1(?![\w*_])")


def clean(text: str | None, from_slack: bool = False) -> str:
    """Text as stored: plain (Slack's &amp; &lt; &gt; undone), no NUL bytes, at most Slack's length."""
    text = text or ""
    if from_slack:
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.replace("\x00", "").strip()[:MAX_TEXT]


def escape(text: str, limit: int | None = None) -> str:
    """User (and deck) text shown as mrkdwn: `<!channel>` or `<@U…>` typed into an answer must stay text.

    With `limit`, the escaped text is cut to fit, never inside an entity. *Bold* and _italic_ stay."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if limit is None or len(escaped) <= limit:
        return escaped
    cut = escaped[:limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"


def plain(text: str) -> str:
    """Slack markup made readable for text leaving Slack (exports, a language model): `<@U1>` → `@…`,
    `<https://x|label>` → `label (https://x)`; user ids never leave."""
    text = _MENTION.sub("@…", text)
    return _ENTITY.sub(lambda m: (f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1))
                       if not m.group(1).startswith(("!", "#", "@")) else (m.group(2) or "…"), text)


def unmarked(text: str) -> str:
    """Deck text without Slack's emphasis markers (`*bold*`, `_italic_`), for reports read outside Slack."""
    return _EMPHASIS.sub(r"\2", text)


def shorten(text: str, limit: int) -> str:
    """One line of at most `limit` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"
