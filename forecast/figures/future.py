"""The future a forecast publishes: recent history, the forecast and its bands, and its verdict."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.figures.style import ACTUAL, MODEL, NAIVE, bands, dated, figure


def plot_future(history: pd.Series, table: pd.DataFrame, info: Any, dpi: int, path: Path) -> None:
    """Recent history, the forecast and its bands (widest first), and actuals where known.
    info: forecast.json without its rows (rundir/files.py: ForecastFile)."""
    with figure(path, dpi, figsize=(11, 5), layout="constrained") as (fig, ax):
        recent = history.iloc[-max(60, 4 * len(table)) :]
        ax.plot(recent.index, recent.to_numpy(), color=ACTUAL, linewidth=1.0, label=f"{history.name} (history)")
        dates = pd.to_datetime(table["date"])
        bands(ax, dates, table)
        # Join the forecast to the last bar so the line starts where history ends.
        made_by = f"{info.model} combination" if info.combination else info.model  # evaluate.combine
        ax.plot(
            [recent.index[-1], *dates],
            [recent.iloc[-1], *table["forecast"]],
            color=MODEL,
            marker=".",
            linewidth=1.3,
            label=f"{made_by} forecast",
        )
        ax.plot(
            [recent.index[-1], dates.iloc[-1]],
            [recent.iloc[-1]] * 2,
            color=NAIVE,
            linestyle=":",
            linewidth=1.0,
            label="naive (last value)",
        )
        if "actual" in table and table["actual"].notna().any():
            ax.plot(dates, table["actual"], color=ACTUAL, marker="x", linestyle="none", label="actual")
        ax.axvline(recent.index[-1], color=ACTUAL, linestyle="--", linewidth=0.8)
        ax.set_title(
            f"{info.symbol} {info.target}: {info.horizon} steps after {info.last_bar} "
            f"({info.strategy}; dates: {info.calendar['name']})"
        )
        ax.set_ylabel(str(info.target))
        ax.legend(loc="upper left")
        dated(ax)
        said, worse = future_verdict(info, made_by)
        if said:  # wrapped: a combination's verdict is a sentence
            fig.suptitle(textwrap.fill(said, 120), color=MODEL if worse else ACTUAL, fontsize=10)


def future_verdict(info: Any, made_by: str) -> tuple[str | None, bool]:
    """The train figures' verdict, on the future figure too: a forecast from a model that did not
    beat naive says so on its face, as predict's warning and report do. (words, worse than naive)."""
    verdict = info.test.verdict
    if verdict is None:  # a forecast.json written before verdicts were stored
        return None, False
    if info.combination and verdict.outcome == "same":  # the combination is naive itself: it says why
        return f"{made_by}: {info.combination['verdict']}", False
    return f"on its test part {verdict.advice() or verdict.words}", verdict.worse
