"""The one style of every figure, rendered off-screen (the Agg canvas; never a window): the same
colours for the same things (actual black, the model red, naive grey, intervals as red bands),
dated x axes, and titles that say what is shown and on which data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from cycler import cycler

ACTUAL, MODEL, NAIVE, COMPETITOR = "#1a1a1a", "#c0392b", "#7f8c8d", "#a0785a"
MODELS = ["#c0392b", "#2471a3", "#229954", "#8e44ad", "#d68910", "#17a589", "#5d6d7e"]  # the i-th model's colour
PARTS = {"validation": "#f6e7b4", "test": "#d6e6f5"}  # background of the split's parts
STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "#888888",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.titlesize": 11,
    "axes.prop_cycle": cycler(color=MODELS),
}


FIGURE_OPTIONS = ("figsize", "layout")  # the rest of figure()'s options lay out the axes


@contextlib.contextmanager
def figure(path: Path, dpi: int, mosaic: list[list[str]] | None = None, **kwargs: Any) -> Iterator[tuple[Any, Any]]:
    """A styled figure (subplots, or a mosaic of named axes) saved to `path` as PNG.

    Matplotlib's object API with its Agg canvas, not pyplot: files only, so it works on servers
    and in cron without a display, and no figure is left open in a global registry; importing
    pyplot would also add a third of a second to `forecast predict` (issue 19)."""
    import matplotlib
    import matplotlib.image
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE):
        fig = Figure(**{k: v for k, v in kwargs.items() if k in FIGURE_OPTIONS})
        canvas = FigureCanvasAgg(fig)
        layout = {k: v for k, v in kwargs.items() if k not in FIGURE_OPTIONS}
        axes = fig.subplot_mosaic(mosaic, **layout) if mosaic else fig.subplots(**layout)
        yield fig, axes
        # One draw (the layout, then the pixels) at the file's dpi, and the pixels written as
        # savefig writes them: savefig draws a laid-out figure twice, once without pixels to lay it
        # out (a sixth of the plot stage's time). The dpi is set here, as savefig sets it, so that a
        # tight_layout() in the block still measures at the figure's own: the same PNG bytes.
        fig.dpi = dpi
        canvas.draw()
        matplotlib.image.imsave(path, canvas.buffer_rgba(), format="png", origin="upper", dpi=dpi)


def dated(ax: Any) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def bands(ax: Any, x: Any, rows: pd.DataFrame) -> None:
    levels = sorted((c.removeprefix("lower_") for c in rows.columns if c.startswith("lower_")), key=float)
    for level, alpha in zip(reversed(levels), (0.12, 0.25, 0.35, 0.45, 0.55), strict=False):
        ax.fill_between(
            x,
            rows[f"lower_{level}"],
            rows[f"upper_{level}"],
            color=MODEL,
            alpha=alpha,
            linewidth=0,
            label=f"{level}% interval",
        )
