"""The metric registry: every metric's name, label, digits and function, in the target's own
units (pure numpy). Every number here is computed after inverting the scaling: an RMSE on
scaled values in [0, 1] says nothing about prices.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Scoring:
    last_known: np.ndarray  # (m, 1): for directional accuracy
    mase_scale: float  # in-sample one-step naive MAE of the training part


def rmse(a: np.ndarray, p: np.ndarray, s: Scoring | None = None) -> float:
    return float(np.sqrt(np.mean((p - a) ** 2)))


def mae(a: np.ndarray, p: np.ndarray, s: Scoring | None = None) -> float:
    return float(np.mean(np.abs(p - a)))


def _mape(a: np.ndarray, p: np.ndarray, s: Scoring) -> float | None:
    # Undefined where an actual value is 0: report None rather than infinity.
    return None if np.any(a == 0) else float(np.mean(np.abs((p - a) / a)) * 100)


def _smape(a: np.ndarray, p: np.ndarray, s: Scoring) -> float:
    denominator = np.abs(a) + np.abs(p)
    ratio = np.divide(2 * np.abs(p - a), denominator, out=np.zeros_like(a), where=denominator > 0)
    return float(np.mean(ratio) * 100)


def _mase(a: np.ndarray, p: np.ndarray, s: Scoring) -> float | None:
    return None if s.mase_scale == 0 else mae(a, p) / s.mase_scale


def _directional_accuracy(a: np.ndarray, p: np.ndarray, s: Scoring) -> float | None:
    """Share of correct up/down calls relative to the last known value.

    Only calls that were made count: a forecast equal to the last value (naive) makes
    no call, so naive has no directional accuracy (None), not a misleading 0.
    """
    call, truth = np.sign(p - s.last_known), np.sign(a - s.last_known)
    made = call != 0
    return None if not made.any() else float(np.mean(call[made] == truth[made]))


@dataclass(frozen=True)
class Metric:
    """A metric's one home: its key in metrics.json, its column label and digits in every
    table (terminal, compare, report, MLflow take them from here), and how it is computed."""

    name: str
    label: str
    digits: int
    compute: Callable[[np.ndarray, np.ndarray, Scoring], float | None] | None  # None: derived (skill)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("rmse", "RMSE", 4, rmse),
        Metric("mae", "MAE", 4, mae),
        Metric("mape", "MAPE%", 2, _mape),
        Metric("smape", "sMAPE%", 2, _smape),
        Metric("mase", "MASE", 3, _mase),
        Metric("directional_accuracy", "dir.acc", 3, _directional_accuracy),
        Metric("skill", "skill", 3, None),  # 1 - RMSE / naive's RMSE, on the same targets
    )
}
METRIC_NAMES = tuple(METRICS)
# (label, key, digits) of every metric, then the Diebold-Mariano p-value against naive.
SCORE_COLUMNS: list[tuple[str, str, int]] = [(m.label, m.name, m.digits) for m in METRICS.values()] + [
    ("DM p", "dm_p", 4)
]


def columns(*names: str) -> list[tuple[str, str, int]]:
    """(label, key, digits) of the named metrics, for a table that shows a few."""
    return [(METRICS[n].label, n, METRICS[n].digits) for n in names]


def mase_scale(train_target: np.ndarray) -> float:
    """Mean absolute one-step change over the training part (MASE's denominator)."""
    return float(np.mean(np.abs(np.diff(np.asarray(train_target, dtype="float64")))))


def skill(model_rmse: float, naive_rmse: float) -> float | None:
    """1 - RMSE_model / RMSE_naive: above 0 beats naive, below 0 is worse than naive."""
    if naive_rmse == 0 or not math.isfinite(naive_rmse):
        return None
    return 1.0 - model_rmse / naive_rmse


def score(actual: np.ndarray, forecasts: dict[str, np.ndarray], scoring: Scoring) -> dict[str, dict[str, Any]]:
    """Every metric for every forecaster (which must include 'naive'), on the same targets."""
    actual = np.asarray(actual, dtype="float64")
    table = {
        name: {
            m.name: m.compute(actual, np.asarray(f, dtype="float64"), scoring)
            for m in METRICS.values()
            if m.compute is not None
        }
        for name, f in forecasts.items()
    }
    for row in table.values():
        row["skill"] = skill(row["rmse"], table["naive"]["rmse"])
    return table
