"""A training run's figures: the forecast over the split, the residuals against naive's, the loss
per epoch (the plot stage draws them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast.config import Config
from forecast.figures.style import ACTUAL, MODEL, NAIVE, PARTS, bands, dated, figure
from forecast.scoring.metrics_file import Metrics


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def verdict(metrics: Metrics) -> str:
    """The network's verdict against naive, short, for a figure's title."""
    found = metrics.verdict()
    skill = "skill n/a" if metrics.skill is None else f"skill {metrics.skill:+.3f}"
    return skill if found is None else f"{skill}: {found.short}"


def plot_forecast(
    series: pd.Series,
    predictions: pd.DataFrame,
    metrics: Metrics,
    split: dict[str, str],
    config: Config,
    path: Path,
    zoom: int = 90,
) -> None:
    """Top: the whole series with the split's parts shaded and the step-1 test forecasts.
    Bottom: the last `zoom` test days close up, with the intervals and naive."""
    step1 = predictions[predictions["step"] == 1]
    model, naive = metrics.scores["model"], metrics.scores["naive"]
    horizon = "" if config.prep.output_steps == 1 else f", step 1 of {config.prep.output_steps}"
    with figure(
        path, config.plot.dpi, nrows=2, figsize=(11, 7.5), gridspec_kw={"height_ratios": [3, 2]}, layout="constrained"
    ) as (fig, (top, bottom)):
        top.plot(series.index, series.to_numpy(), color=ACTUAL, linewidth=0.8, label=f"actual {series.name}")
        top.plot(step1["date"], step1["predicted"], color=MODEL, linewidth=0.8, label=f"{config.model.kind} forecast")
        end = series.index[-1]
        for part, start in (("validation", split.get("validation")), ("test", split.get("test"))):
            if start:
                following = split.get("test") if part == "validation" else None
                top.axvspan(
                    pd.Timestamp(start),
                    pd.Timestamp(following) if following else end,
                    color=PARTS[part],
                    alpha=0.7,
                    linewidth=0,
                    label=f"{part} part",
                )
        top.set_title(
            f"{metrics.symbol} {series.name}, {split.get('first', '')}..{end.date()}: "
            f"training, validation and test parts"
        )
        top.set_ylabel(str(series.name))
        top.legend(loc="upper left")
        dated(top)
        recent = step1.iloc[-zoom:]
        dates = pd.to_datetime(recent["date"])
        bands(bottom, dates, recent)
        bottom.plot(dates, recent["naive"], color=NAIVE, linestyle=":", linewidth=1.0, label="naive (last value)")
        bottom.plot(dates, recent["actual"], color=ACTUAL, marker=".", markersize=3, linewidth=0.9, label="actual")
        bottom.plot(dates, recent["predicted"], color=MODEL, linewidth=1.1, label=f"{config.model.kind} forecast")
        bottom.set_title(f"last {len(recent)} test {metrics.steps_word}{horizon}, with the conformal intervals")
        bottom.set_ylabel(str(series.name))
        bottom.legend(loc="upper left", ncols=3)
        dated(bottom)
        fig.suptitle(
            f"{metrics.symbol} {series.name}: {config.model.kind} on the test part "
            f"{metrics.test.first}..{metrics.test.last}: RMSE {_fmt(model['rmse'])} "
            f"vs naive {_fmt(naive['rmse'])} ({verdict(metrics)})"
        )


def plot_residuals(predictions: pd.DataFrame, metrics: Metrics, config: Config, path: Path, window: int = 20) -> None:
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
        histogram.hist(
            model,
            bins=bins,
            histtype="step",
            color=MODEL,
            linewidth=1.4,
            label=f"{config.model.kind} (mean {model.mean():+.3g}, sd {model.std():.3g})",
        )
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
        rolling.fill_between(
            ratio.index,
            1,
            ratio.to_numpy(),
            where=ratio.to_numpy() > 1,
            color=MODEL,
            alpha=0.2,
            linewidth=0,
            label="worse than naive",
        )
        rolling.set_title(f"rolling RMSE over {window} test {metrics.steps_word}, {config.model.kind} / naive")
        rolling.legend(loc="upper left")
        dated(rolling)
        fig.suptitle(
            f"{target}: {config.model.kind} residuals, test {metrics.test.first}.."
            f"{metrics.test.last} ({verdict(metrics)})"
        )


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
        ax.set_title(
            f"{metrics.symbol} {metrics.target}: {config.model.kind} loss per epoch "
            f"(batch {config.train.batch_size}, lr {config.train.learning_rate:g})"
        )
        ax.legend()
