"""One row per answer, the columns shared by the Answers sheet and the CSV file; and the CSV file itself.

The CSV is what Danish Excel opens with a double click: UTF-8 with a byte order mark, `;` between
fields by default. Every text passes `safe.spreadsheet`, so no answer becomes a formula.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Iterator

from bot.exports import words
from bot.exports.safe import spreadsheet
from bot.i18n import t
from bot.rules.summary import Summary

COLUMNS = ("number", "key", "question", "answer", "who", "role", "source", "time", "votes", "edited", "late")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def header(lang: str) -> list[str]:
    """The column titles in the export's language."""
    return [t(lang, f"sheet.{column}") for column in COLUMNS]


def answers(summary: Summary) -> Iterator[tuple]:
    """Typed rows (int, str, …, naive local datetime, int, bool, bool), prompt by prompt; texts not yet made safe."""
    lang, session = words.language(summary), summary.session
    for prompt in summary.prompts:
        for a in prompt.answers:
            when = words.local(session, a.created_at).replace(tzinfo=None, microsecond=0)
            source = words.label(lang, f"sheet.source_{a.source}", a.source)
            yield (prompt.position, prompt.key, prompt.text, a.text, words.who(lang, a), words.role(lang, a.role),
                   source, when, a.votes, a.edited, a.late)


def render(summary: Summary, delimiter: str = ";") -> bytes:
    """Every answer as CSV rows, with a header row, as UTF-8 bytes beginning with the byte order mark."""
    lang = words.language(summary)
    yes, no = t(lang, "sheet.yes"), t(lang, "sheet.no")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header(lang))
    for row in answers(summary):
        writer.writerow([_text(value, yes, no) for value in row])
    return "\ufeff".encode("utf-8") + buffer.getvalue().encode("utf-8")


def _text(value: object, yes: str, no: str) -> str | int:
    if isinstance(value, bool):
        return yes if value else no
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    if isinstance(value, int):
        return value
    return spreadsheet(value)
