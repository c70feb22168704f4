"""Figures, rendered off-screen (Agg backend; never plt.show())."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from forecast.config import Config


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: works on servers and in cron without a display
    import matplotlib.pyplot as plt

    return plt


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def plot_forecast(
    series: pd.Series, predictions: pd.DataFrame, metrics: dict[str, Any], config: Config, path: Path
) -> None:
    plt = _pyplot()
    step1 = predictions[predictions["step"] == 1]
    model, naive = metrics["metrics"]["model"], metrics["metrics"]["naive"]
    fig, ax = plt.subplots(figsize=(11, 5))
    ax.plot(series.index, series.to_numpy(), color="0.55", linewidth=0.9, label=f"actual {series.name}")
    ax.plot(
        step1["date"], step1["predicted"], color="tab:red", linewidth=1.0, label=f"{config.model.kind} forecast (test)"
    )
    split = pd.Timestamp(metrics["test"]["first"])
    ax.axvline(split, color="black", linestyle="--", linewidth=0.8)
    ax.annotate(" test →", (split, 1), xycoords=("data", "axes fraction"), va="top", fontsize=9)
    verdict = "beats naive" if metrics["beats_naive"] else "WORSE than naive"
    horizon = "" if config.prep.horizon == 1 else f" (step 1 of {config.prep.horizon})"
    ax.set_title(
        f"{metrics['symbol']} {series.name}: {config.model.kind}{horizon}, test RMSE {_fmt(model['rmse'])} vs "
        f"naive {_fmt(naive['rmse'])}, skill {_fmt(metrics['skill'])} ({verdict})",
        fontsize=10,
    )
    ax.set_xlabel("date")
    ax.set_ylabel(str(series.name))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=config.plot.dpi, format="png")
    plt.close(fig)


def plot_loss(history: pd.DataFrame, metrics: dict[str, Any], config: Config, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for column, label in (("loss", "training"), ("val_loss", "validation")):
        if column in history:
            ax.plot(history.index, history[column], marker=".", label=label)
    if "val_loss" in history:
        best = int(history["val_loss"].idxmin())
        ax.axvline(best, color="0.4", linestyle=":", linewidth=1, label=f"best epoch {best} (weights kept)")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{config.train.loss} on scaled target (log)")
    ax.set_title(f"{metrics['symbol']} {config.model.kind}: loss per epoch", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=config.plot.dpi, format="png")
    plt.close(fig)


def plot_backtest(
    series: pd.Series, predictions: pd.DataFrame, report: dict[str, Any], config: Config, path: Path
) -> None:
    """Top: actual and each fold's step-1 forecasts. Bottom: RMSE per fold, model vs naive."""
    plt = _pyplot()
    step1 = predictions[predictions["step"] == 1]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7), gridspec_kw={"height_ratios": [3, 2]})
    start = pd.Timestamp(report["folds"][0]["test"]["first"])
    context = series[series.index >= start - (series.index[-1] - start) * 0.25]
    top.plot(context.index, context.to_numpy(), color="0.55", linewidth=0.9, label=f"actual {series.name}")
    for fold in report["folds"]:
        rows = step1[step1["fold"] == fold["fold"]]
        top.plot(pd.to_datetime(rows["date"]), rows["predicted"], linewidth=1.0, label=f"fold {fold['fold']}")
        top.axvline(pd.Timestamp(fold["test"]["first"]), color="black", linestyle="--", linewidth=0.7)
    top.set_title(
        f"{report['symbol']} {report['target']}: {config.model.kind} walk-forward backtest, "
        f"{len(report['folds'])} folds ({report['backtest']['mode']}, refit {report['backtest']['refit']})",
        fontsize=10,
    )
    top.grid(alpha=0.3)
    top.legend(loc="upper left", fontsize=8)
    numbers = [f["fold"] for f in report["folds"]]
    width = 0.38
    for offset, name, label in ((-width / 2, "model", config.model.kind), (width / 2, "naive", "naive")):
        bottom.bar(
            [n + offset for n in numbers], [f["metrics"][name]["rmse"] for f in report["folds"]], width, label=label
        )
    bottom.set_xticks(
        numbers, [f"fold {n}\n{f['test']['first']}" for n, f in zip(numbers, report["folds"], strict=True)]
    )
    bottom.set_ylabel(f"test RMSE ({report['target']})")
    bottom.grid(alpha=0.3, axis="y")
    bottom.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=config.plot.dpi, format="png")
    plt.close(fig)


def plot_comparison(table: pd.DataFrame, report: dict[str, Any], dpi: int, path: Path) -> None:
    """Top: actual, naive and every model over the test part. Bottom: RMSE and MAE side by side."""
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 8), gridspec_kw={"height_ratios": [3, 2]})
    test = report["test"]
    top.plot(table.index, table["actual"], color="black", linewidth=1.1, label="actual")
    top.plot(table.index, table["naive"], color="0.55", linewidth=0.9, linestyle="--", label="naive")
    models = [c for c in table.columns if c not in ("actual", "naive")]
    for name in models:
        top.plot(table.index, table[name], linewidth=0.9, label=name)
    top.set_title(f"{test['target']}: test part {test['test period']}, {test['test windows']} windows", fontsize=10)
    top.grid(alpha=0.3)
    top.legend(loc="upper left", fontsize=8)
    rows = report["rows"]
    positions = range(len(rows))
    width = 0.4
    bottom.bar([p - width / 2 for p in positions], [r["rmse"] for r in rows], width, label="RMSE")
    bottom.bar([p + width / 2 for p in positions], [r["mae"] for r in rows], width, label="MAE")
    bottom.set_xticks(list(positions), [f"{r['rank']}. {r['name']}" for r in rows], rotation=20, ha="right", fontsize=8)
    naive_rmse = next(r["rmse"] for r in rows if r["name"] == "naive")
    bottom.axhline(naive_rmse, color="0.3", linestyle=":", linewidth=1, label="naive RMSE")
    bottom.set_ylabel("error (target units)")
    bottom.set_title("ranked by test RMSE (lower is better)", fontsize=10)
    bottom.grid(alpha=0.3, axis="y")
    bottom.legend(fontsize=8)
    top.set_xlabel("date")
    fig.tight_layout()
    fig.savefig(path, dpi=dpi, format="png")
    plt.close(fig)


def plot_future(history: pd.Series, table: pd.DataFrame, info: dict[str, Any], dpi: int, path: Path) -> None:
    """Recent history, the forecast and its bands (widest first), and actuals where known."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(11, 5))
    recent = history.iloc[-max(60, 4 * len(table)) :]
    ax.plot(recent.index, recent.to_numpy(), color="0.35", linewidth=1.0, label=f"{history.name} (history)")
    dates = pd.to_datetime(table["date"])
    levels = sorted((c.removeprefix("lower_") for c in table.columns if c.startswith("lower_")), key=float)
    for level, alpha in zip(reversed(levels), (0.18, 0.32, 0.45, 0.55, 0.65), strict=False):
        ax.fill_between(
            dates, table[f"lower_{level}"], table[f"upper_{level}"], color="tab:blue", alpha=alpha,
            linewidth=0, label=f"{level}% interval",
        )  # fmt: skip
    # Join the forecast to the last bar so the line starts where history ends.
    ax.plot(
        [recent.index[-1], *dates], [recent.iloc[-1], *table["forecast"]], color="tab:blue", marker=".",
        linewidth=1.3, label=f"{info['model']} forecast",
    )  # fmt: skip
    ax.plot(
        [recent.index[-1], dates.iloc[-1]], [recent.iloc[-1]] * 2, color="0.5", linestyle=":", linewidth=1.0,
        label="naive (last value)",
    )  # fmt: skip
    if "actual" in table and table["actual"].notna().any():
        ax.plot(dates, table["actual"], color="black", marker="x", linestyle="none", label="actual")
    ax.axvline(recent.index[-1], color="black", linestyle="--", linewidth=0.8)
    ax.set_title(
        f"{info['symbol']} {info['target']}: {info['horizon']} steps after {info['last_bar']} "
        f"({info['strategy']}; dates: {info['calendar']['name']})",
        fontsize=10,
    )
    ax.set_xlabel("date")
    ax.set_ylabel(str(info["target"]))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=dpi, format="png")
    plt.close(fig)
