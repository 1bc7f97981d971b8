"""The report as one self-contained HTML page: inline CSS, charts as PNG data URIs, no URL at all.

Readable on a phone (no horizontal scrolling: long words wrap, images shrink) and printable. Every
text comes from the outline and is escaped by `safe.html_text`; nothing in an answer becomes markup,
and the Content-Security-Policy forbids scripts and every outside resource in case something did.
"""

from __future__ import annotations

import base64

from bot.exports import charts, outline
from bot.exports.outline import Block, Facts, Figure, Items, Paragraph, Section, Table
from bot.exports.safe import html_text as h
from bot.rules.summary import Summary

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;line-height:1.5;
 color:#1b1b1b;background:#fff;margin:0 auto;max-width:52rem;padding:1rem;overflow-wrap:anywhere}
h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0 1rem}
h2{font-size:1.3rem;margin:2rem 0 .5rem;padding-bottom:.2rem;border-bottom:2px solid #0072B2}
h3{font-size:1.1rem;margin:1.25rem 0 .4rem}
h4,h5,h6{font-size:1rem;margin:1rem 0 .3rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0 1rem}
dt{font-weight:600}dd{margin:0}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.95rem}
th,td{padding:.3rem .5rem;border-bottom:1px solid #e2e2e2;text-align:left;vertical-align:top}
th{border-bottom:2px solid #bbb}.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
figure{margin:1rem 0}img{display:block;max-width:100%;height:auto}
figcaption{font-size:.9rem;color:#555}
.note{color:#555;font-style:italic}
.warning{border-left:4px solid #b35900;background:#fff4e5;padding:.5rem .75rem;font-weight:600}
section.machine{border:2px dashed #b35900;border-radius:.5rem;padding:0 1rem;margin:1.5rem 0}
ul,ol{padding-left:1.4rem}li{margin:.35rem 0}
.answer{white-space:pre-line;unicode-bidi:isolate}.meta{color:#555;font-size:.92em;font-style:italic}
blockquote{margin:.5rem 0;padding:.3rem .75rem;border-left:4px solid #0072B2;background:#f4f8fb}
blockquote p{margin:0}
@media (max-width:32rem){body{padding:.75rem}dl{grid-template-columns:1fr}dd{margin:0 0 .4rem}
 th,td{padding:.25rem .3rem}}
@media print{body{max-width:none;padding:0;font-size:10.5pt}h2{break-after:avoid}
 h3,h4{break-after:avoid}li,blockquote,figure,tr{break-inside:avoid}
 .warning,blockquote{background:none}}
"""
# Only the inline style sheet and data: images; no script, no request to anywhere.
POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def render(summary: Summary) -> bytes:
    """The report of `summary` as a UTF-8 HTML page."""
    report = outline.build(summary)
    body: list[str] = [f"<h1>{h(report.title)}</h1>"]
    for block in report.blocks:
        _block(block, 2, body)
    page = (f'<!DOCTYPE html>\n<html lang="{h(report.language)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{h(report.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")
    return page.encode("utf-8")


def _block(block: Block, level: int, out: list[str]) -> None:
    if isinstance(block, Section):
        style = f' class="{block.style}"' if block.style else ""
        tag = f"h{min(level, 6)}"
        out.append(f"<section{style}>\n<{tag}>{h(block.title)}</{tag}>")
        for inner in block.blocks:
            _block(inner, level + 1, out)
        out.append("</section>")
    elif isinstance(block, Paragraph):
        style = f' class="{block.style}"' if block.style else ""
        out.append(f"<p{style}>{h(block.text)}</p>")
    elif isinstance(block, Facts):
        out.append("<dl>" + "".join(f"<dt>{h(k)}</dt><dd>{h(v)}</dd>" for k, v in block.rows) + "</dl>")
    elif isinstance(block, Table):
        out.append(_table(block))
    elif isinstance(block, Items):
        out.append(_items(block))
    elif isinstance(block, Figure):
        data = base64.b64encode(charts.png(block)).decode("ascii")
        out.append(f'<figure><img src="data:image/png;base64,{data}" alt="{h(block.title)}">'
                   f"<figcaption>{h(block.title)}</figcaption></figure>")


def _meta(item: outline.Item) -> str:
    return f' <span class="meta">({h(" · ".join(item.meta))})</span>' if item.meta else ""


def _items(items: Items) -> str:
    if items.quotes:
        return "\n".join(f'<blockquote><p><span class="answer">“{h(item.text)}”</span>{_meta(item)}</p></blockquote>'
                         for item in items.items)
    tag = "ol" if items.ordered else "ul"
    rows = "\n".join(f'<li><span class="answer">“{h(item.text)}”</span>{_meta(item)}</li>' for item in items.items)
    return f"<{tag}>\n{rows}\n</{tag}>"


def _table(table: Table) -> str:
    def cell(tag: str, n: int, text: str) -> str:
        style = ' class="num"' if n in table.numeric else ""
        return f"<{tag}{style}>{h(text)}</{tag}>"
    head = "".join(cell("th", n, text) for n, text in enumerate(table.header))
    rows = "".join("<tr>" + "".join(cell("td", n, text) for n, text in enumerate(cells)) + "</tr>" for cells in table.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
