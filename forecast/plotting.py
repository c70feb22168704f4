"""Figures, rendered off-screen (the Agg canvas; never a window).

One style for every figure: the same colours for the same things (actual black, the
model red, naive grey, intervals as red bands), dated x axes, and titles that say what
is shown and on which data.
"""

from __future__ import annotations

import contextlib
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from cycler import cycler

from forecast.config import Config
from forecast.scoring.metrics_file import Metrics

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
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE):
        fig = Figure(**{k: v for k, v in kwargs.items() if k in FIGURE_OPTIONS})
        FigureCanvasAgg(fig)
        layout = {k: v for k, v in kwargs.items() if k not in FIGURE_OPTIONS}
        axes = fig.subplot_mosaic(mosaic, **layout) if mosaic else fig.subplots(**layout)
        yield fig, axes
        fig.savefig(path, dpi=dpi, format="png")


def dated(ax: Any) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def verdict(metrics: Metrics) -> str:
    """The network's verdict against naive, short, for a figure's title."""
    found = metrics.verdict()
    skill = "skill n/a" if metrics.skill is None else f"skill {metrics.skill:+.3f}"
    return skill if found is None else f"{skill}: {found.short}"


def _bands(ax: Any, x: Any, rows: pd.DataFrame) -> None:
    levels = sorted((c.removeprefix("lower_") for c in rows.columns if c.startswith("lower_")), key=float)
    for level, alpha in zip(reversed(levels), (0.12, 0.25, 0.35, 0.45, 0.55), strict=False):
        ax.fill_between(x, rows[f"lower_{level}"], rows[f"upper_{level}"], color=MODEL, alpha=alpha, linewidth=0,
                        label=f"{level}% interval")  # fmt: skip


def plot_forecast(series: pd.Series, predictions: pd.DataFrame, metrics: Metrics, split: dict[str, str],
                  config: Config, path: Path, zoom: int = 90) -> None:  # fmt: skip
    """Top: the whole series with the split's parts shaded and the step-1 test forecasts.
    Bottom: the last `zoom` test days close up, with the intervals and naive."""
    step1 = predictions[predictions["step"] == 1]
    model, naive = metrics.scores["model"], metrics.scores["naive"]
    horizon = "" if config.prep.output_steps == 1 else f", step 1 of {config.prep.output_steps}"
    with figure(path, config.plot.dpi, nrows=2, figsize=(11, 7.5), gridspec_kw={"height_ratios": [3, 2]},
                 layout="constrained") as (fig, (top, bottom)):  # fmt: skip
        top.plot(series.index, series.to_numpy(), color=ACTUAL, linewidth=0.8, label=f"actual {series.name}")
        top.plot(step1["date"], step1["predicted"], color=MODEL, linewidth=0.8, label=f"{config.model.kind} forecast")
        end = series.index[-1]
        for part, start in (("validation", split.get("validation")), ("test", split.get("test"))):
            if start:
                following = split.get("test") if part == "validation" else None
                top.axvspan(pd.Timestamp(start), pd.Timestamp(following) if following else end, color=PARTS[part],
                            alpha=0.7, linewidth=0, label=f"{part} part")  # fmt: skip
        top.set_title(f"{metrics.symbol} {series.name}, {split.get('first', '')}..{end.date()}: "
                      f"training, validation and test parts")  # fmt: skip
        top.set_ylabel(str(series.name))
        top.legend(loc="upper left")
        dated(top)
        recent = step1.iloc[-zoom:]
        dates = pd.to_datetime(recent["date"])
        _bands(bottom, dates, recent)
        bottom.plot(dates, recent["naive"], color=NAIVE, linestyle=":", linewidth=1.0, label="naive (last value)")
        bottom.plot(dates, recent["actual"], color=ACTUAL, marker=".", markersize=3, linewidth=0.9, label="actual")
        bottom.plot(dates, recent["predicted"], color=MODEL, linewidth=1.1, label=f"{config.model.kind} forecast")
        bottom.set_title(f"last {len(recent)} test {metrics.steps_word}{horizon}, with the conformal intervals")
        bottom.set_ylabel(str(series.name))
        bottom.legend(loc="upper left", ncols=3)
        dated(bottom)
        fig.suptitle(f"{metrics.symbol} {series.name}: {config.model.kind} on the test part "
                     f"{metrics.test.first}..{metrics.test.last}: RMSE {_fmt(model['rmse'])} "
                     f"vs naive {_fmt(naive['rmse'])} ({verdict(metrics)})")  # fmt: skip


def plot_residuals(predictions: pd.DataFrame, metrics: Metrics, config: Config, path: Path,
                   window: int = 20) -> None:  # fmt: skip
    """Step-1 test residuals (actual - forecast) over time and their histogram, beside naive's,
    and the rolling RMSE ratio: where in time the model gains or loses against naive."""
    step1 = predictions[predictions["step"] == 1]
    dates = pd.to_datetime(step1["date"])
    model = (step1["actual"] - step1["predicted"]).to_numpy()
    naive = (step1["actual"] - step1["naive"]).to_numpy()
    target = f"{metrics.symbol} {metrics.target}"
    mosaic = [["time", "time"], ["histogram", "rolling"]]
    with figure(path, config.plot.dpi, mosaic, figsize=(11, 7.5), layout="constrained") as (fig, axes):
        over_time, histogram, rolling = axes["time"], axes["histogram"], axes["rolling"]
        over_time.plot(dates, naive, color=NAIVE, linewidth=0.6, alpha=0.8, label="naive")
        over_time.plot(dates, model, color=MODEL, linewidth=0.7, label=config.model.kind)
        over_time.axhline(0, color=ACTUAL, linewidth=0.8)
        over_time.set_title(f"residuals over the test part (actual - forecast, {metrics.target} units)")
        over_time.legend(loc="upper left")
        dated(over_time)
        bins = np.histogram_bin_edges(np.concatenate([model, naive]), bins=40)
        histogram.hist(naive, bins=bins, color=NAIVE, alpha=0.5, label=f"naive (sd {naive.std():.3g})")
        histogram.hist(model, bins=bins, histtype="step", color=MODEL, linewidth=1.4,
                       label=f"{config.model.kind} (mean {model.mean():+.3g}, sd {model.std():.3g})")  # fmt: skip
        histogram.axvline(0, color=ACTUAL, linewidth=0.8)
        histogram.set_title("distribution of residuals")
        histogram.set_xlabel(f"residual ({metrics.target} units)")
        histogram.set_ylabel(f"test {metrics.steps_word}")
        histogram.legend(loc="upper left")
        # The ratio, not the two RMSEs: next to naive a model's RMSE differs by a few percent,
        # invisible on a shared scale; above 1 are the stretches where naive was better.
        rmse = lambda e: pd.Series(e**2, index=dates).rolling(window, min_periods=window).mean() ** 0.5  # noqa: E731
        ratio = rmse(model) / rmse(naive)
        rolling.plot(ratio.index, ratio.to_numpy(), color=MODEL, linewidth=1.0)
        rolling.axhline(1, color=NAIVE, linestyle=":", linewidth=1.2, label="naive = 1")
        rolling.fill_between(ratio.index, 1, ratio.to_numpy(), where=ratio.to_numpy() > 1, color=MODEL, alpha=0.2,
                             linewidth=0, label="worse than naive")  # fmt: skip
        rolling.set_title(f"rolling RMSE over {window} test {metrics.steps_word}, {config.model.kind} / naive")
        rolling.legend(loc="upper left")
        dated(rolling)
        fig.suptitle(f"{target}: {config.model.kind} residuals, test {metrics.test.first}.."
                     f"{metrics.test.last} ({verdict(metrics)})")  # fmt: skip


def plot_loss(history: pd.DataFrame, metrics: Metrics, config: Config, path: Path) -> None:
    with figure(path, config.plot.dpi, figsize=(8, 4.2), layout="constrained") as (fig, ax):
        for column, label, colour in (("loss", "training", "#2471a3"), ("val_loss", "validation", MODEL)):
            if column in history:
                ax.plot(history.index, history[column], marker=".", color=colour, label=label)
        if "val_loss" in history:
            best = int(history["val_loss"].idxmin())
            ax.axvline(best, color=NAIVE, linestyle=":", linewidth=1, label=f"best epoch {best} (weights kept)")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{config.train.loss} on the scaled target (log)")
        ax.set_title(f"{metrics.symbol} {metrics.target}: {config.model.kind} loss per epoch "
                     f"(batch {config.train.batch_size}, lr {config.train.learning_rate:g})")  # fmt: skip
        ax.legend()


def plot_future(history: pd.Series, table: pd.DataFrame, info: dict[str, Any], dpi: int, path: Path) -> None:
    """Recent history, the forecast and its bands (widest first), and actuals where known."""
    with figure(path, dpi, figsize=(11, 5), layout="constrained") as (fig, ax):
        recent = history.iloc[-max(60, 4 * len(table)) :]
        ax.plot(recent.index, recent.to_numpy(), color=ACTUAL, linewidth=1.0, label=f"{history.name} (history)")
        dates = pd.to_datetime(table["date"])
        _bands(ax, dates, table)
        # Join the forecast to the last bar so the line starts where history ends.
        made_by = f"{info['model']} combination" if info.get("combination") else info["model"]  # evaluate.combine
        ax.plot([recent.index[-1], *dates], [recent.iloc[-1], *table["forecast"]], color=MODEL, marker=".",
                linewidth=1.3, label=f"{made_by} forecast")  # fmt: skip
        ax.plot([recent.index[-1], dates.iloc[-1]], [recent.iloc[-1]] * 2, color=NAIVE, linestyle=":",
                linewidth=1.0, label="naive (last value)")  # fmt: skip
        if "actual" in table and table["actual"].notna().any():
            ax.plot(dates, table["actual"], color=ACTUAL, marker="x", linestyle="none", label="actual")
        ax.axvline(recent.index[-1], color=ACTUAL, linestyle="--", linewidth=0.8)
        ax.set_title(f"{info['symbol']} {info['target']}: {info['horizon']} steps after {info['last_bar']} "
                     f"({info['strategy']}; dates: {info['calendar']['name']})")  # fmt: skip
        ax.set_ylabel(str(info["target"]))
        ax.legend(loc="upper left")
        dated(ax)
        said, worse = future_verdict(info, made_by)
        if said:  # wrapped: a combination's verdict is a sentence
            fig.suptitle(textwrap.fill(said, 120), color=MODEL if worse else ACTUAL, fontsize=10)


def future_verdict(info: dict[str, Any], made_by: str) -> tuple[str | None, bool]:
    """The train figures' verdict, on the future figure too: a forecast from a model that did not
    beat naive says so on its face, as predict's warning and report do. (words, worse than naive)."""
    from forecast.scoring.verdict import Verdict

    said = (info.get("test") or {}).get("verdict")
    if said is None:  # a forecast.json written before verdicts were stored
        return None, False
    verdict = Verdict.model_validate(said)
    if info.get("combination") and verdict.outcome == "same":  # the combination is naive itself: it says why
        return f"{made_by}: {info['combination']['verdict']}", False
    return f"on its test part {verdict.advice() or verdict.words}", verdict.worse
