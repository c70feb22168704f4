"""The figures that rank forecasters: compare's and backtest's. Each forecaster's RMSE is
drawn against naive's, in percent, on an axis fitted to the forecasters near naive, so the
1-3% that separate naive, an LSTM and an RNN on prices are visible; a baseline far off
(window_mean at 5x naive) is drawn to the edge, hatched and labelled, instead of setting
the scale (issue 20). The verdict words come from the paired test, as in the table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.config import Config
from forecast.figures.style import ACTUAL, COMPETITOR, MODEL, MODELS, NAIVE, dated, figure
from forecast.scoring.baselines import BASELINES  # a backtest's rows that may be drawn off scale
from forecast.tables import versus_naive


def _ratio(scores: dict[str, Any] | None, naive: dict[str, Any]) -> float | None:
    if not scores or scores.get("rmse") is None or not naive.get("rmse"):
        return None
    return scores["rmse"] / naive["rmse"]


def scale_of(shown: list[float], optional: list[float] = (), floor: float = 1.0, far: float = 2.0) -> float:  # type: ignore[assignment]
    """The half-width, in percent, of an axis around naive (0) that shows every `shown` value
    (the models and competitors the user came to compare) and each `optional` one (a
    baseline) within `far` times their reach; a baseline beyond it is drawn off scale."""
    reach = max([abs(p) for p in shown] + [floor])
    reach = max([reach] + [abs(p) for p in optional if abs(p) <= far * reach])
    return 1.25 * reach


def bars_against_naive(
    ax: Any,
    labels: list[str],
    ratios: list[float | None],
    colours: list[str],
    baseline: list[bool],
    verdicts: list[str] | None = None,
    folds: list[list[float | None]] | None = None,
) -> None:
    """Horizontal bars of each forecaster's RMSE against naive's, in percent (0 = naive), first
    at the top. A bar beyond the axis is drawn to its edge, hatched and labelled with its value.
    baseline: which bars may go off scale; verdicts: a word per bar from the paired test; folds:
    each fold's ratios, drawn as dots."""
    percents = [None if r is None else 100 * (r - 1) for r in ratios]
    spread = [
        [p for p in [pct, *[100 * (r - 1) for r in (folds[i] if folds else []) if r is not None]] if p is not None]
        for i, pct in enumerate(percents)
    ]
    limit = scale_of(
        [p for i, s in enumerate(spread) if not baseline[i] for p in s],
        [p for i, s in enumerate(spread) if baseline[i] for p in s],
    )
    y = np.arange(len(labels))[::-1]
    box = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}
    for i, (pos, pct, ratio, col) in enumerate(zip(y, percents, ratios, colours, strict=True)):
        if pct is None:
            ax.text(0, pos, "  no score", va="center", fontsize=8, color=NAIVE)
            continue
        off = abs(pct) > limit
        shown = max(-limit, min(limit, pct))
        ax.barh(pos, shown, 0.6, color=col, alpha=0.85, hatch="//" if off else None, edgecolor="white")
        # Each fold as a dot on its bar; a fold beyond the axis is in the label, not pinned to the edge.
        dots = [100 * (r - 1) for r in (folds[i] if folds else []) if r is not None and abs(100 * (r - 1)) <= limit]
        ax.plot(dots, [pos] * len(dots), "o", color=ACTUAL, markersize=3.5, zorder=3)
        text = versus_naive(ratio) + (" (off scale)" if off else "") + (f"  {verdicts[i]}" if verdicts else "")
        if off or abs(shown) > 0.6 * limit:  # a long bar carries its label inside, on a white box
            ax.text(
                shown - np.sign(shown) * 0.02 * limit,
                pos,
                text,
                va="center",
                ha="right" if shown > 0 else "left",
                fontsize=8,
                color=ACTUAL,
                bbox=box,
                fontweight="bold" if off else "normal",
            )
        else:  # beside the bar, past its dots
            right = shown >= 0
            edge = max([shown, *dots]) if right else min([shown, *dots])
            ax.text(
                edge + (0.03 if right else -0.03) * limit,
                pos,
                text,
                va="center",
                ha="left" if right else "right",
                fontsize=8,
                color=ACTUAL,
            )
    ax.axvline(0, color=ACTUAL, linewidth=1)
    ax.set_xlim(-limit * 1.05, limit * 1.05)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.set_yticks(list(y), labels)
    percent = (lambda v: f"{v:+.0f}%") if limit >= 5 else (lambda v: f"{v:+.1f}%")  # noqa: E731
    ax.xaxis.set_major_formatter(lambda v, _: "naive" if abs(v) < 1e-9 else percent(v))
    ax.set_xlabel("test RMSE against naive's: left of naive is better; hatched: beyond the axis")
    ax.grid(axis="y", visible=False)


def plot_backtest(series: pd.Series, predictions: pd.DataFrame, report: Any, config: Config, path: Path) -> None:
    """Top: actual and each fold's step-1 forecasts. Bottom: each forecaster's RMSE against naive's."""
    step1 = predictions[predictions["step"] == 1]
    with figure(
        path, config.plot.dpi, nrows=2, figsize=(11, 7), gridspec_kw={"height_ratios": [3, 2]}, layout="constrained"
    ) as (fig, (top, bottom)):
        start = pd.Timestamp(report.folds[0].test.first)
        context = series[series.index >= start - (series.index[-1] - start) * 0.25]
        top.plot(context.index, context.to_numpy(), color=ACTUAL, linewidth=0.8, label=f"actual {series.name}")
        for fold in report.folds:
            rows = step1[step1["fold"] == fold.fold]
            top.plot(pd.to_datetime(rows["date"]), rows["predicted"], linewidth=1.0, label=f"fold {fold.fold}")
            top.axvline(pd.Timestamp(fold.test.first), color=ACTUAL, linestyle="--", linewidth=0.7)
        top.set_title(
            f"{report.symbol} {report.target}: {config.model.kind} walk-forward backtest, "
            f"{len(report.folds)} folds ({report.backtest['mode']}, "
            f"refit {str(report.backtest['refit']).lower()})"
        )
        top.set_ylabel(str(series.name))
        top.legend(loc="upper left")
        dated(top)
        names = [n for n in report.summary if n != "naive"]
        ratios = {n: [_ratio(f.metrics.get(n), f.metrics["naive"]) for f in report.folds] for n in names}
        means = {
            n: float(np.mean(known)) if (known := [r for r in ratios[n] if r is not None]) else None for n in names
        }
        order = sorted((n for n in names if means[n] is not None), key=lambda n: means[n])  # type: ignore[arg-type,return-value]
        labels = [config.model.kind if n == "model" else n for n in order]
        colours = [MODEL if n in ("model", "combination") else NAIVE if n in BASELINES else COMPETITOR for n in order]
        bars_against_naive(
            bottom,
            labels,
            [means[n] for n in order],
            colours,
            [n in BASELINES for n in order],
            folds=[ratios[n] for n in order],
        )
        bottom.set_title(f"RMSE against naive: mean of {len(report.folds)} folds (bars) and each fold (dots)")


def plot_comparison(table: pd.DataFrame, report: Any, dpi: int, path: Path, zoom: int = 120) -> None:
    """Top: actual, naive and every model over the last `zoom` test days. Bottom: each
    forecaster's test RMSE against naive's, ranked, with its paired test's verdict.
    report: comparison.json (rundir/files.py: ComparisonFile)."""
    test, rows = report.test, report.rows
    models = [r.name for r in report.models]
    with figure(path, dpi, nrows=2, figsize=(11, 8), gridspec_kw={"height_ratios": [3, 2]}, layout="constrained") as (
        fig,
        (top, bottom),
    ):
        recent = table.iloc[-zoom:]
        top.plot(recent.index, recent["actual"], color=ACTUAL, linewidth=1.1, marker=".", markersize=3, label="actual")
        top.plot(recent.index, recent["naive"], color=NAIVE, linewidth=0.9, linestyle=":", label="naive")
        colour = {name: MODELS[i % len(MODELS)] for i, name in enumerate(models)}
        for name in models:
            if name in recent:
                top.plot(recent.index, recent[name], color=colour[name], linewidth=1.0, label=name)
        top.set_title(
            f"{test.target}: step-1 forecasts over the last {len(recent)} of {test.test_windows} "
            f"test days ({test.test_period})"
        )
        top.legend(loc="upper left", ncols=4)
        dated(top)
        naive = report.row("naive").rmse
        ranked = [r for r in rows if r.name != "naive"]
        colours = [colour.get(r.name, COMPETITOR if r.kind == "competitor" else NAIVE) for r in ranked]
        bars_against_naive(
            bottom,
            [f"{r.rank}. {r.name}" for r in ranked],
            [r.vs_naive for r in ranked],
            colours,
            [r.kind == "baseline" for r in ranked],
            [r.verdicts(naive)[0].short for r in ranked],
        )
        bottom.set_title(
            "RMSE against naive, with the paired Diebold-Mariano test's verdict; brown: statistical "
            "competitors, grey: baselines"
        )
        fig.suptitle(
            f"{test.target}: {', '.join(models)} against the competitors and baselines on identical test windows"
        )
