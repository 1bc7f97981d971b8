"""Charts for the HTML report: PNG bytes drawn from an outline Figure with matplotlib.

matplotlib is imported inside `png`, so importing bot.exports stays cheap. Each chart is drawn on a
Figure with its own Agg canvas: no pyplot, no `matplotlib.use`, no rcParams changed, so nothing
global moves under other users of matplotlib, and listener threads may draw at the same time.
"""

from __future__ import annotations

import io
import math

from bot.exports.outline import Figure

# Okabe–Ito: told apart by people with the common colour-vision deficiencies, and in greyscale print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")
SIZE = (6.4, 3.4)   # inches; scaled down to the phone's width by the page's CSS, hence the large type
DPI = 120
FONT = 12
MAX_TICK_LABELS = 10
LABEL_CHARS = 56    # tick labels wider than this (in characters, all together) are turned on their side


def png(figure: Figure) -> bytes:
    """The figure as a column chart (stacked when it has several series), as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as Canvas
    from matplotlib.ticker import MaxNLocator

    chart = Canvas(figsize=SIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(chart)
    axes = chart.add_subplot()
    places = range(len(figure.categories))
    bottom = [0] * len(figure.categories)
    for n, (name, values) in enumerate(figure.series):
        axes.bar(places, values, bottom=bottom, label=name, color=PALETTE[n % len(PALETTE)], width=0.8)
        bottom = [b + v for b, v in zip(bottom, values)]
    step = max(1, math.ceil(len(figure.categories) / MAX_TICK_LABELS))
    labels = figure.categories[::step]
    crowded = sum(max(map(len, label.splitlines()), default=0) + 2 for label in labels) > LABEL_CHARS
    axes.set_xticks(list(places)[::step], labels, fontsize=FONT, rotation=40 if crowded else 0,
                    ha="right" if crowded else "center", rotation_mode="anchor")
    axes.set_xlim(-0.6, len(figure.categories) - 0.4)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="y", labelsize=FONT)
    axes.set_ylabel(figure.y_label, fontsize=FONT)
    axes.grid(axis="y", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    axes.spines[["top", "right"]].set_visible(False)
    if len(figure.series) > 1:
        # Above the bars, never over them.
        axes.legend(frameon=False, fontsize=FONT - 1, loc="lower center", bbox_to_anchor=(0.5, 1.0),
                    ncols=min(len(figure.series), 3))
    buffer = io.BytesIO()
    # No "Software" entry: the default one names matplotlib's web site, and the HTML carries no URL at all.
    chart.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
