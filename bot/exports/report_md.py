"""The report as Markdown: the outline marked up, every text escaped by `safe.markdown_inline`."""

from __future__ import annotations

from bot.exports import outline
from bot.exports.outline import Block, Facts, Figure, Items, Paragraph, Section, Table
from bot.exports.safe import markdown_inline
from bot.rules.summary import Summary


def md(text: str) -> str:
    """Text in the middle of a line (after a list marker, a label or a table bar)."""
    return markdown_inline(text, line_start=False)


def render(summary: Summary) -> bytes:
    """The report of `summary` as UTF-8 Markdown (charts are HTML-only; their numbers are in the tables)."""
    report = outline.build(summary)
    lines = [f"# {md(report.title)}", ""]
    for block in report.blocks:
        _block(block, 2, lines)
    return ("\n".join(lines).rstrip() + "\n").encode("utf-8")


def _block(block: Block, level: int, lines: list[str]) -> None:
    if isinstance(block, Section):
        lines += [f"{'#' * min(level, 6)} {md(block.title)}", ""]
        for inner in block.blocks:
            _block(inner, level + 1, lines)
    elif isinstance(block, Paragraph):
        text = markdown_inline(block.text)
        lines += [{"note": f"_{text}_", "warning": f"> **⚠ {text}**"}.get(block.style, text), ""]
    elif isinstance(block, Facts):
        lines += [f"- **{md(label)}:** {md(value)}" for label, value in block.rows] + [""]
    elif isinstance(block, Table):
        lines += _table(block) + [""]
    elif isinstance(block, Items):
        lines += [_item(n, item, block) for n, item in enumerate(block.items, start=1)] + [""]
    elif isinstance(block, Figure):
        pass  # the same numbers stand in a table beside it


def _item(n: int, item: outline.Item, items: Items) -> str:
    marker = f"{n}." if items.ordered else "-"
    # Quotation marks show where an answer ends: nothing after them is the answer's own.
    text = f"“{md(item.text)}”"
    # The attribution is in italics, which an answer cannot produce (its _ and * are escaped).
    meta = f" _({md(' · '.join(item.meta))})_" if item.meta else ""
    return f"{marker} {text}{meta}"


def _table(table: Table) -> list[str]:
    def row(cells) -> str:
        return "| " + " | ".join(md(cell) or " " for cell in cells) + " |"
    rule = "| " + " | ".join("---:" if n in table.numeric else "---" for n in range(len(table.header))) + " |"
    return [row(table.header), rule, *(row(cells) for cells in table.rows)]
