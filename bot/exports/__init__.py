"""Exports of a theme day's Summary: a report to hand on (Markdown, HTML) and the facilitator's data (XLSX, CSV, JSON).

Every format renders the same `bot.rules.summary.Summary`, made for the format's audience; none
shows more than the Summary gives it. Importing this package is cheap: xlsxwriter and matplotlib
are imported when a workbook or a chart is made.
"""

from __future__ import annotations

import re
import unicodedata

from bot.rules.summary import Summary
from storage.records import Session

FORMATS = ("md", "html", "xlsx", "csv", "json")
AUDIENCE = {"md": "report", "html": "report", "xlsx": "facilitator", "csv": "facilitator", "json": "facilitator"}
DELIMITERS = (";", ",")
_DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa", "ß": "ss"})
SLUG_CHARS = 40


def render(summary: Summary, fmt: str, *, delimiter: str = ";") -> bytes:
    """`summary` as a file in format `fmt`; the summary must be made for that format's audience."""
    check_format(fmt)
    if summary.audience != AUDIENCE[fmt]:
        raise ValueError(f"a {fmt} export is for the {AUDIENCE[fmt]!r} audience, "
                         f"but the summary was made for {summary.audience!r}")
    if fmt == "md":
        from bot.exports import report_md
        return report_md.render(summary)
    if fmt == "html":
        from bot.exports import report_html
        return report_html.render(summary)
    if fmt == "xlsx":
        from bot.exports import workbook
        return workbook.render(summary)
    if fmt == "csv":
        if delimiter not in DELIMITERS:
            raise ValueError(f"unknown CSV delimiter {delimiter!r}; choose one of {', '.join(DELIMITERS)}")
        from bot.exports import rows
        return rows.render(summary, delimiter)
    from bot.exports import document
    return document.render(summary)


def check_format(fmt: str) -> None:
    """Raise ValueError naming `fmt` and the choices when it is not an export format."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


def filename(session: Session, fmt: str) -> str:
    """`hvis-<title>-<session id>.<fmt>`, in lower-case ASCII letters, digits and hyphens."""
    check_format(fmt)
    parts = ["hvis", slug(session.title)[:SLUG_CHARS].strip("-"), slug(session.id)]
    return "-".join(part for part in parts if part) + f".{fmt}"


def slug(text: str) -> str:
    """ASCII for a file name: Danish letters spelt out (ø → oe), accents dropped, the rest hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_DANISH_LETTERS)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
