"""live.png: the published forecasts over time. Top: the rolling RMSE of the step-1 forecasts
against naive's from the same origins (1 = naive), with the test period's level; bottom: the
rolling share of actuals inside each band, with the band's test-period coverage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.figures.style import ACTUAL, MODEL, NAIVE, dated, figure

WINDOW = 20  # step-1 forecasts per rolling point: as many as drift.py needs before it judges


def rolling(rows: pd.DataFrame) -> pd.DataFrame:
    """Step-1 rows by target date, with the rolling RMSE ratio and band coverage."""
    ones = rows[rows["step"] == 1].sort_values("date").set_index("date")
    window = min(WINDOW, max(len(ones), 1))
    out = pd.DataFrame(index=ones.index)
    model = (ones["error"] ** 2).rolling(window, min_periods=window).mean() ** 0.5
    naive = (ones["naive_error"] ** 2).rolling(window, min_periods=window).mean() ** 0.5
    out["ratio"] = model / naive.replace(0, np.nan)
    for level in ("80", "95"):
        if f"in_{level}" in ones:
            out[f"coverage_{level}"] = ones[f"in_{level}"].astype(float).rolling(window, min_periods=window).mean()
    return out


def plot_live(rows: pd.DataFrame, name: str, test: dict[str, Any], path: Path, dpi: int = 110) -> None:
    """test: the model run's test-period figures (live/score.py: test_figures, step 1 or all)."""
    series = rolling(rows)
    window = min(WINDOW, len(series))
    with figure(path, dpi, nrows=2, figsize=(11, 6.5), sharex=True, layout="constrained") as (fig, (top, bottom)):
        top.plot(series.index, series["ratio"], color=MODEL, linewidth=1.2, label=f"live, last {window} forecasts")
        top.axhline(1.0, color=NAIVE, linestyle=":", linewidth=1, label="naive")
        if test.get("rmse") and test.get("naive_rmse"):
            level = test["rmse"] / test["naive_rmse"]
            top.axhline(level, color=ACTUAL, linestyle="--", linewidth=1, label=f"test period ({level:.3f})")
        top.set_ylabel("RMSE / naive RMSE (step 1)")
        top.set_title(
            f"{name}: published step-1 forecasts against naive from the same origins (below 1: lower RMSE than naive)"
        )
        top.legend(loc="upper left")
        for level, alpha in (("80", 0.9), ("95", 0.5)):
            if f"coverage_{level}" in series:
                bottom.plot(
                    series.index,
                    series[f"coverage_{level}"],
                    color=MODEL,
                    alpha=alpha,
                    linewidth=1.2,
                    label=f"{level}% band, live",
                )
                nominal = test.get(f"coverage_{level}")
                if nominal is not None:
                    bottom.axhline(
                        nominal,
                        color=ACTUAL,
                        alpha=alpha,
                        linestyle="--",
                        linewidth=1,
                        label=f"{level}% band, test period ({nominal:.0%})",
                    )
        bottom.set_ylim(0, 1.05)
        bottom.set_ylabel("share of actuals inside")
        bottom.set_title(f"band coverage over the last {window} step-1 forecasts")
        bottom.legend(loc="lower left", ncols=2)
        dated(bottom)
