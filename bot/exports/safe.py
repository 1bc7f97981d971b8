"""What an answer may not do in an export: the one home of the escaping rules for every output format.

Answers, titles and prompt texts are untrusted text. In a spreadsheet they must never become a
formula (OWASP "CSV injection"), in HTML never markup, and in Markdown never structure: a new list
item, a heading, a link, emphasis, or an attribution that looks like the report's own.
JSON needs no rule here: `json.dumps` escapes what JSON must, and the text stays exact.
"""

from __future__ import annotations

import html
import re

# C0 and C1 control characters (tab and line breaks stay), and the bidirectional overrides and
# isolates that can make the text after an answer (its attribution) display in another order.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# A cell whose first character is one of these is a formula to Excel or LibreOffice (OWASP): =, +, -, @,
# tab and carriage return, and the full-width forms some Excel versions treat alike.
FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
EXCEL_CELL_CHARS = 32767

# Markdown: punctuation that means something anywhere in a line (CommonMark escapes it with a backslash),
# a closing run of # that a heading would swallow, …
_MD_ANYWHERE = re.compile(r"([\\`*_\[\]|~])")
_MD_CLOSING_HASHES = re.compile(r"(?<= )#+$")
# … and what means something only at the start of a line: a bullet, a heading, a setext underline, an ordered item.
_MD_LINE_START = re.compile(r"^([-+=#])|^(\d{1,9})([.)])")
MD_LINE_BREAK = " / "


def clean(text: str) -> str:
    """The text without invisible control characters (tab and line breaks kept)."""
    return _INVISIBLE.sub("", text)


def spreadsheet(text: str) -> str:
    """A cell value (CSV or XLSX) that Excel and LibreOffice show as text, never run as a formula.

    A value that would start a formula, even after leading spaces or line breaks, gets a leading
    single quote (OWASP's advice); the workbook also writes every text cell as a string.
    """
    text = clean(text)
    stripped = text.lstrip(" \n")
    if stripped[:1] in FORMULA_START:
        return "'" + text
    return text


def html_text(text: str) -> str:
    """Text for HTML content or an attribute value: every <, >, &, " and ' escaped."""
    return html.escape(clean(text), quote=True)


def markdown_inline(text: str, *, line_start: bool = True) -> str:
    """Text for one Markdown line: line breaks become " / ", and nothing in it is Markdown or HTML.

    Multi-line text cannot start a new list item or heading, emphasis markers cannot make text
    look like the report's italic attribution, and brackets cannot make a link. `line_start` says
    the text begins a line or a list item (where "- ", "# " and "1. " would be structure).
    """
    lines = [" ".join(line.split()) for line in clean(text).splitlines()]
    text = MD_LINE_BREAK.join(line for line in lines if line)
    text = _MD_ANYWHERE.sub(r"\\\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_CLOSING_HASHES.sub(lambda m: "\\#" * len(m[0]), text)
    if not line_start:
        return text
    return _MD_LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)
