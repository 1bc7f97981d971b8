"""The facilitator's workbook (XLSX): Overview, Answers, Themes and Tallies sheets.

Written with xlsxwriter: write-only and streaming (`constant_memory` flushes each finished row), so
20,000 answers take little time and memory. Every text is written with `write_string` after
`safe.spreadsheet` (never `write`, which would turn "=…" into a formula or "http…" into a link);
times are real Excel datetimes in the session's time zone, counts are numbers, flags booleans.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

from bot.exports import rows, words
from bot.exports.safe import EXCEL_CELL_CHARS, spreadsheet
from bot.i18n import t
from bot.rules.summary import Summary

QUOTES = 3
ANSWER_WIDTHS = (6, 14, 40, 60, 22, 16, 10, 18, 9, 11, 13)


@dataclass(frozen=True)
class Percent:
    """A fraction, written as a number shown as a percentage."""

    fraction: float


class _Sheet:
    """A worksheet written row by row (what constant_memory asks), each value by its type."""

    def __init__(self, book, name: str, formats: dict) -> None:
        self.sheet, self.formats, self.row, self.width = book.add_worksheet(name), formats, 0, 1
        self.wrapped: frozenset[int] = frozenset()

    def write(self, values: Iterable[object], *, header: bool = False) -> None:
        """One row, each value written by its type."""
        for col, value in enumerate(values):
            self.cell(col, value, header)
        self.row += 1

    def cell(self, col: int, value: object, header: bool = False) -> None:
        sheet, f, row = self.sheet, self.formats, self.row
        if value is None or value == "":
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, col, value)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, col, value, f["time"])
        elif isinstance(value, (int, float)):
            sheet.write_number(row, col, value)
        elif isinstance(value, Percent):
            sheet.write_number(row, col, value.fraction, f["percent"])
        else:
            # A line break in a cell is a line feed; a carriage return would be stored as "_x000D_".
            text = spreadsheet(value).replace("\r\n", "\n").replace("\r", "\n")
            if len(text) > EXCEL_CELL_CHARS:
                text = text[:EXCEL_CELL_CHARS - 1] + "…"
            style = "header" if header else "wrap" if col in self.wrapped else "text"
            sheet.write_string(row, col, text, f[style])

    def gap(self) -> None:
        """An empty row between two blocks."""
        self.row += 1

    def table(self, header: list[str], widths: Sequence[float], wrapped: Iterable[int] = ()) -> None:
        """A header row that stays in view and filters the rows below it; `wrapped` columns wrap long text."""
        for col, width in enumerate(widths):
            self.sheet.set_column(col, col, width)
        self.write(header, header=True)
        self.sheet.freeze_panes(1, 0)
        self.width, self.wrapped = len(header), frozenset(wrapped)

    def filter(self) -> None:
        """An autofilter over the table written so far (the header row alone when it is empty)."""
        self.sheet.autofilter(0, 0, max(self.row - 1, 0), self.width - 1)


def render(summary: Summary) -> bytes:
    """The workbook of `summary` as XLSX bytes."""
    import xlsxwriter

    lang = words.language(summary)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    formats = {"header": book.add_format({"bold": True, "bg_color": "#DDEBF7", "bottom": 1}),
               "text": book.add_format({"valign": "top"}),
               "wrap": book.add_format({"valign": "top", "text_wrap": True}),
               "time": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss", "valign": "top"}),
               "percent": book.add_format({"num_format": "0%"})}
    _overview(_Sheet(book, t(lang, "sheet.overview"), formats), summary, lang)
    _answers(_Sheet(book, t(lang, "sheet.answers"), formats), summary, lang)
    _themes(_Sheet(book, t(lang, "sheet.themes"), formats), summary, lang)
    _tallies(_Sheet(book, t(lang, "sheet.tallies"), formats), summary, lang)
    book.close()
    return buffer.getvalue()


def _overview(sheet: _Sheet, summary: Summary, lang: str) -> None:
    s = summary.session
    sheet.sheet.set_column(0, 0, 26)
    sheet.sheet.set_column(1, 1, 40)
    sheet.sheet.set_column(2, 20, 12)
    closed = words.local(s, s.closed_at).replace(tzinfo=None) if s.closed_at else None
    notes = words.caveat(lang, summary)
    sheet.write([t(lang, "sheet.field"), t(lang, "sheet.value")], header=True)
    for label, value in (
        (t(lang, "sheet.title"), s.title), (t(lang, "sheet.channel"), words.channel(s)),
        (t(lang, "sheet.start"), words.local(s, s.start_at).replace(tzinfo=None)), (t(lang, "sheet.closed"), closed),
        (t(lang, "sheet.timezone"), s.timezone), (t(lang, "sheet.anonymity"), words.mode(lang, summary)),
        (t(lang, "totals.answers"), summary.replies), (t(lang, "totals.participants"), summary.participants),
        (t(lang, "totals.named_people"), summary.named_people),
        (t(lang, "totals.anonymous_people"), summary.anonymous_people),
        (t(lang, "totals.anonymous_answers"), summary.anonymous_answers),
        (t(lang, "totals.members"), summary.members),
        (t(lang, "totals.participation"), Percent(summary.participation) if summary.participation is not None else None),
        (t(lang, "totals.votes"), summary.votes), (t(lang, "sheet.caveat"), notes),
    ):
        sheet.write([label, value])
    sheet.gap()
    sheet.write([t(lang, "sheet.role"), t(lang, "totals.answers")], header=True)
    for name, n in words.by_role(summary.by_role):
        sheet.write([words.role(lang, name), n])
    sheet.gap()
    roles = [name for name, _ in words.by_role(summary.by_role)]
    sheet.write([t(lang, "sheet.number"), t(lang, "sheet.question"), t(lang, "sheet.key"), t(lang, "sheet.kind"),
                 t(lang, "sheet.state"), t(lang, "totals.answers"), t(lang, "sheet.participants"),
                 t(lang, "sheet.votes"), t(lang, "sheet.scale_n"), t(lang, "sheet.mean"), t(lang, "sheet.median"),
                 *(words.role(lang, name) for name in roles)], header=True)
    for p in summary.prompts:
        scale = (p.scale.n, p.scale.mean, p.scale.median) if p.scale else (None, None, None)
        sheet.write([p.position, p.text, p.key, words.label(lang, f"sheet.kind_{p.kind}", p.kind),
                     words.label(lang, f"state.{p.state}", p.state), p.replies, p.participants,
                     sum(a.votes for a in p.answers), *scale, *(p.by_role.get(name, 0) for name in roles)])


def _answers(sheet: _Sheet, summary: Summary, lang: str) -> None:
    sheet.table(rows.header(lang), ANSWER_WIDTHS, wrapped={rows.COLUMNS.index("answer")})
    for row in rows.answers(summary):
        sheet.write(row)
    sheet.filter()


def _themes(sheet: _Sheet, summary: Summary, lang: str) -> None:
    header = [t(lang, "sheet.number"), t(lang, "sheet.key"), t(lang, "sheet.question"), t(lang, "sheet.theme"),
              t(lang, "sheet.keywords"), t(lang, "sheet.size"), *(t(lang, "sheet.quote", n=n) for n in range(1, QUOTES + 1))]
    sheet.table(header, (6, 14, 40, 24, 30, 10, *([50] * QUOTES)), wrapped=range(6, 6 + QUOTES))
    for p in summary.prompts:
        for theme in p.themes:
            sheet.write([p.position, p.key, p.text, theme.label, ", ".join(theme.keywords), len(theme.reply_ids),
                         *(q.text for q in theme.quotes[:QUOTES])])
    sheet.filter()


def _tallies(sheet: _Sheet, summary: Summary, lang: str) -> None:
    header = [t(lang, "sheet.number"), t(lang, "sheet.key"), t(lang, "sheet.question"), t(lang, "sheet.kind"),
              t(lang, "sheet.option"), t(lang, "sheet.meaning"), t(lang, "sheet.count")]
    sheet.table(header, (6, 14, 40, 12, 30, 20, 9))
    for p in summary.prompts:
        kind = words.label(lang, f"sheet.kind_{p.kind}", p.kind)
        if p.scale:
            for value, n in p.scale.distribution:
                sheet.write([p.position, p.key, p.text, kind, value, p.scale.meaning.get(value), n])
        for option, n in p.vote or ():
            sheet.write([p.position, p.key, p.text, kind, option, None, n])
    sheet.filter()
