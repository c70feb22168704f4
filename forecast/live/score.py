"""Live accuracy: the logged forecasts (log.py) joined with the actuals now in the data, scored
per model and per horizon step, beside the same figures from the model's test period.

Naive is scored from the same origins: its forecast for every step is the origin's value,
logged with the forecast, so live skill compares like with like (the same days, the same
horizons). MASE uses the model run's own scale (the in-sample one-step naive MAE of its
training part), as its test-period MASE does. Forecasts made with --as-of (afterwards, from a
past date) are not live and are left out unless asked for.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from forecast.scoring.metrics_file import Metrics
from forecast.scoring.significance import diebold_mariano
from forecast.scoring.verdict import Verdict, judge

LEVELS = ("80", "95")


def joined(log: pd.DataFrame, actual: pd.Series) -> pd.DataFrame:
    """The logged steps whose target date has an actual, with the errors of the forecast and of
    naive from the same origin, and whether each band held the actual."""
    values = actual.copy()
    values.index = pd.DatetimeIndex(values.index).normalize()
    rows = log.assign(actual=log["date"].map(values.to_dict())).dropna(subset=["actual"])
    rows = rows.assign(error=rows["forecast"] - rows["actual"], naive_error=rows["origin_value"] - rows["actual"])
    for level in LEVELS:
        if f"lower_{level}" in rows:
            known = rows[f"lower_{level}"].notna()
            held = (rows[f"lower_{level}"] <= rows["actual"]) & (rows["actual"] <= rows[f"upper_{level}"])
            rows[f"in_{level}"] = held.where(known)
    return rows.reset_index(drop=True)


def _rmse(errors: pd.Series) -> float:
    return float(np.sqrt(np.mean(np.square(errors.to_numpy(dtype="float64")))))


def figures(rows: pd.DataFrame, mase_scale: float | None) -> dict[str, Any]:
    """RMSE, MAE, MASE, naive's RMSE, skill and band coverage of some joined rows."""
    rmse, naive = _rmse(rows["error"]), _rmse(rows["naive_error"])
    mae = float(rows["error"].abs().mean())
    out: dict[str, Any] = {
        "n": len(rows),
        "rmse": rmse,
        "mae": mae,
        "mase": mae / mase_scale if mase_scale else None,
        "naive_rmse": naive,
        "skill": 1 - rmse / naive if naive > 0 else None,
    }
    for level in LEVELS:
        held = rows[f"in_{level}"].dropna() if f"in_{level}" in rows else pd.Series(dtype=float)
        out[f"coverage_{level}"] = float(held.mean()) if len(held) else None  # never 0% for a band never drawn
    return out


def test_figures(metrics: Metrics | None, forecaster: str = "model") -> dict[int, dict[str, Any]]:
    """The model run's test-period figures per step (step 0: all steps), to set beside the live
    ones: of what was published, the network ("model") or the run's combination."""
    if metrics is None:
        return {}
    combined = forecaster != "model" and forecaster in metrics.scores
    intervals = (metrics.combination or {}).get("intervals") if combined else metrics.intervals
    coverage = {f"coverage_{level}": c.get("test") for level, c in ((intervals or {}).get("coverage") or {}).items()}
    model, naive = metrics.scores[forecaster if combined else "model"], metrics.scores["naive"]
    out = {
        0: {
            "rmse": model["rmse"],
            "mae": model["mae"],
            "mase": model.get("mase"),
            "naive_rmse": naive["rmse"],
            "skill": model.get("skill"),
            **coverage,
        }
    }
    if combined:  # per-step scores are the network's: the combination's are not kept per step
        return out
    for step in metrics.per_step or []:
        out[int(step["step"])] = {
            "rmse": step.get("rmse"),
            "naive_rmse": step.get("naive_rmse"),
            "skill": step.get("skill"),
        }
    return out


def score(rows: pd.DataFrame, metrics: Metrics | None, forecaster: str = "model") -> list[dict[str, Any]]:
    """Per horizon step (and "all"): the live figures and, beside them, the test period's."""
    scale = metrics.mase_scale if metrics is not None and math.isfinite(metrics.mase_scale) else None
    test = test_figures(metrics, forecaster)
    table = [{"step": "all", **figures(rows, scale), "test": test.get(0, {})}]
    for step, part in rows.groupby("step", sort=True):
        table.append({"step": int(step), **figures(part, scale), "test": test.get(int(step), {})})
    return table


def live_verdict(rows: pd.DataFrame, name: str) -> Verdict | None:
    """The published step-1 forecasts against naive from the same origins, by the one rule
    (scoring/verdict.py): the paired DM test on their errors; None before any is scored."""
    step1 = rows[rows["step"] == 1]
    if step1.empty:
        return None
    errors, naive = step1["error"].to_numpy(dtype="float64"), step1["naive_error"].to_numpy(dtype="float64")
    test = diebold_mariano(errors, naive, h=1)
    rmse, naive_rmse = _rmse(step1["error"]), _rmse(step1["naive_error"])
    return judge(
        f"published {name} forecast", rmse, "naive", naive_rmse, test["p_value"], "naive from the same origins"
    )
