"""Metrics in the target's own units, and the naive forecast they must be compared with.

Every number here is computed after inverting the scaling: an RMSE on scaled values
in [0, 1] says nothing about prices. The naive ("tomorrow = today") forecast for a
window is the last value it has seen, for every step ahead, on exactly the same
targets as the model.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def naive_forecast(target: np.ndarray, starts: np.ndarray, horizon: int) -> np.ndarray:
    """(m, horizon): the value of the row before each window's first target, repeated."""
    last_seen = np.asarray(target, dtype="float64")[starts - 1]
    return np.repeat(last_seen[:, None], horizon, axis=1)


def error_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float | None]:
    actual = np.asarray(actual, dtype="float64").ravel()
    predicted = np.asarray(predicted, dtype="float64").ravel()
    errors = predicted - actual
    # MAPE is undefined where the actual value is 0; report None rather than infinity.
    mape = None if np.any(actual == 0) else float(np.mean(np.abs(errors / actual)) * 100)
    return {
        "rmse": float(np.sqrt(np.mean(errors**2))),
        "mae": float(np.mean(np.abs(errors))),
        "mape": mape,
    }


def skill(model_rmse: float, naive_rmse: float) -> float | None:
    """1 - RMSE_model / RMSE_naive: above 0 beats naive, below 0 is worse than naive."""
    if naive_rmse == 0 or not math.isfinite(naive_rmse):
        return None
    return 1.0 - model_rmse / naive_rmse


def evaluate(actual: np.ndarray, predicted: np.ndarray, naive: np.ndarray) -> dict[str, Any]:
    model, baseline = error_metrics(actual, predicted), error_metrics(actual, naive)
    score = skill(model["rmse"], baseline["rmse"])
    return {"model": model, "naive": baseline, "skill": score, "beats_naive": bool(score is not None and score > 0)}
