"""The figures of a tune run: how the search went, and which options mattered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from forecast.figures.style import COMPETITOR, MODEL, NAIVE, figure

PRUNED, FAILED = "#b3b3b3", "#7f8c8d"
CEILING = 1.5  # trials worse than this multiple of naive are drawn at the top edge, not rescaling the plot


def plot_history(rows: list[dict[str, Any]], dpi: int, path: Path) -> None:
    """Each trial's RMSE as a ratio to naive's on the same folds, by trial number, and the
    best so far. The ratio, not the RMSE: a pruned trial's mean covers fewer folds, whose
    RMSE can be on another scale (prices were lower then), while its ratio compares. A
    trial far worse than naive is marked at the top edge, so it does not hide the others."""
    rows = sorted(rows, key=lambda r: r["trial"])
    scored = [r for r in rows if r["ratio"] is not None and np.isfinite(r["ratio"])]
    with figure(path, dpi, figsize=(9, 4.2)) as (fig, ax):
        if not scored:
            ax.text(0.5, 0.5, "no trial finished a fold", ha="center", va="center", transform=ax.transAxes)
            return
        values = np.array([r["ratio"] for r in scored])
        top = min(values.max(), CEILING)
        bottom = min(values.min(), 1.0)
        span = max(top - bottom, 1e-6)
        ax.set_ylim(bottom - 0.06 * span, top + 0.08 * span)
        kinds = (("complete", MODEL, "trial"), ("pruned", PRUNED, "pruned (over the folds it ran)"))
        for state, colour, label in kinds:
            part = [r for r in scored if r["state"] == state]
            if not part:
                continue
            x = np.array([r["trial"] for r in part])
            y = np.array([r["ratio"] for r in part])
            inside = y <= top
            ax.scatter(x[inside], y[inside], s=22, color=colour, label=label, zorder=3)
            if (~inside).any():
                ax.scatter(
                    x[~inside],
                    np.full((~inside).sum(), top + 0.05 * span),
                    marker="^",
                    s=30,
                    color=colour,
                    zorder=3,
                    label=f"above {CEILING:g}x ({(~inside).sum()})",
                )
        complete = [r for r in scored if r["state"] == "complete"]
        if complete:
            best = np.minimum.accumulate([r["ratio"] for r in complete])
            ax.step([r["trial"] for r in complete], best, where="post", color=COMPETITOR, lw=1.5, label="best so far")
        ax.axhline(1.0, color=NAIVE, ls="--", lw=1.2, label="naive on the same folds")
        failed = [r["trial"] for r in rows if r["state"] == "failed"]
        if failed:
            ax.scatter(
                failed,
                np.full(len(failed), bottom - 0.04 * span),
                marker="x",
                s=22,
                color=FAILED,
                label=f"failed ({len(failed)})",
            )
        ax.set_xlabel("trial")
        ax.set_ylabel("RMSE / naive RMSE (folds of the training part)")
        ax.set_title(
            "Optimisation history: below the dashed line, a lower RMSE than naive's; the test part is not used"
        )
        ax.legend(loc="upper right", ncols=2)
        fig.tight_layout()


def plot_importance(importance: dict[str, float], dpi: int, path: Path) -> None:
    """Each option's share of the objective's variance across trials (fANOVA)."""
    names = list(importance)[::-1]  # the most important on top
    with figure(path, dpi, figsize=(9, 0.45 * len(names) + 1.3)) as (fig, ax):
        ax.barh(names, [importance[n] for n in names], color=MODEL)
        for i, name in enumerate(names):
            ax.text(importance[name], i, f" {importance[name]:.2f}", va="center", fontsize=8)
        ax.set_xlim(0, max(1.0, max(importance.values()) * 1.1))
        ax.set_xlabel("share of the variance of the log objective across trials (fANOVA)")
        ax.set_title("Which options mattered (with few trials, a rough guide)")
        fig.tight_layout()
