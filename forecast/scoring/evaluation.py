"""Baselines and metrics, in the target's own units (pure numpy); significance.py tests them.

Every number here is computed after inverting the scaling: an RMSE on scaled values
in [0, 1] says nothing about prices. Baselines forecast exactly the same targets as
the model, from history the model also had: nothing after the window's last row.

Shapes: `target` is the whole raw series (rows,); `starts` holds each window's first
target row (m,); forecasts and actuals are (m, horizon).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from forecast.scoring.significance import significance, versus

# --- baselines ---------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """What every forecaster may use: the series up to each window's last row."""

    target: np.ndarray  # the whole raw series, float64
    starts: np.ndarray  # first target row of each window
    horizon: int
    lookback: int
    season: int | None  # None: the series has no season, and no seasonal naive

    @property
    def last_known(self) -> np.ndarray:  # (m, 1)
        return self.target[self.starts - 1][:, None]

    @property
    def steps(self) -> np.ndarray:  # (1, horizon): 1, 2, ..., H
        return np.arange(1, self.horizon + 1)[None, :]


def naive(h: History) -> np.ndarray:
    """Persistence: tomorrow = today, for every step ahead."""
    return persistence(h.target, h.starts, h.horizon)


def actuals(target: np.ndarray, starts: np.ndarray, horizon: int) -> np.ndarray:
    """(m, horizon): the values each window forecasts, from its first target row on."""
    return np.asarray(target, dtype="float64")[np.asarray(starts)[:, None] + np.arange(horizon)[None, :]]


def persistence(target: np.ndarray, starts: np.ndarray, horizon: int) -> np.ndarray:
    """(m, horizon): the last known value before each window's first target row, repeated:
    naive's forecast wherever one is needed (combinations, retrain's holdout)."""
    return np.repeat(np.asarray(target, dtype="float64")[starts - 1][:, None], horizon, axis=1)


def seasonal_naive(h: History) -> np.ndarray:
    """The value one season earlier (whole seasons back, so it is always already known)."""
    back = h.season * np.ceil(h.steps / h.season).astype(int)
    rows = h.starts[:, None] + h.steps - 1 - back
    if rows.min() < 0:
        raise ValueError(f"seasonal naive needs {int(-rows.min())} more row(s) of history than the series has")
    return h.target[rows]


def drift(h: History) -> np.ndarray:
    """The line from the first value to the last known one, extended h steps."""
    first_row = 0
    last = h.last_known[:, 0]
    span = (h.starts - 1 - first_row).astype("float64")
    slope = np.divide(last - h.target[first_row], span, out=np.zeros_like(last), where=span > 0)
    return last[:, None] + slope[:, None] * h.steps


def window_mean(h: History) -> np.ndarray:
    """The mean of the lookback window the model saw."""
    cumulative = np.concatenate([[0.0], np.cumsum(h.target)])
    means = (cumulative[h.starts] - cumulative[h.starts - h.lookback]) / h.lookback
    return np.repeat(means[:, None], h.horizon, axis=1)


BASELINES: dict[str, Callable[[History], np.ndarray]] = {
    "naive": naive,
    "seasonal_naive": seasonal_naive,
    "drift": drift,
    "window_mean": window_mean,
}


def baselines(h: History) -> dict[str, np.ndarray]:
    return {name: make(h) for name, make in BASELINES.items() if h.season is not None or name != "seasonal_naive"}


# --- metrics -----------------------------------------------------------------------


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


# --- everything at once ------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    rows: np.ndarray  # (m, horizon): the target row of every forecast
    actual: np.ndarray  # (m, horizon)
    forecasts: dict[str, np.ndarray]  # "model" first, then every baseline
    metrics: dict[str, dict[str, Any]]
    dm: dict[str, dict[str, Any]]  # each forecaster against naive
    mase_scale: float
    best_competitor: dict[str, Any] | None = None  # the best statistical competitor, and the model's DM against it


def assess(
    target: np.ndarray,
    starts: np.ndarray,
    predicted: np.ndarray,
    *,
    lookback: int,
    season: int | None,
    train_end: int,
    train_start: int = 0,
    competitors: dict[str, np.ndarray] | None = None,
    combination: np.ndarray | None = None,
) -> Assessment:
    """The model's forecasts beside its combination's (scoring/combination.py), every
    competitor's (scoring/competitors.py: the same windows) and every baseline on the same
    targets, scored and tested.

    MASE's scale comes from the training rows [train_start, train_end).
    """
    target = np.asarray(target, dtype="float64")
    predicted = np.asarray(predicted, dtype="float64").reshape(len(starts), -1)
    horizon = predicted.shape[1]
    history = History(target, starts, horizon, lookback, season)
    rows = starts[:, None] + np.arange(horizon)[None, :]
    actual = target[rows]
    combined = {} if combination is None else {"combination": np.asarray(combination, dtype="float64")}
    forecasts = {"model": predicted, **combined, **(competitors or {}), **baselines(history)}
    scale = mase_scale(target[train_start:train_end])
    table = score(actual, forecasts, Scoring(history.last_known, scale))
    best = min(competitors or {}, key=lambda name: table[name]["rmse"], default=None)
    rival = None if best is None else {"rmse": table[best]["rmse"], **versus(actual, forecasts, best)}
    return Assessment(rows, actual, forecasts, table, significance(actual, forecasts), scale, rival)
