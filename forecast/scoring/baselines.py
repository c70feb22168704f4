"""The baselines every forecaster is scored beside, in the target's own units (pure numpy).

Baselines forecast exactly the same targets as the model, from history the model also had:
nothing after the window's last row. Shapes: `target` is the whole raw series (rows,);
`starts` holds each window's first target row (m,); forecasts are (m, horizon).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


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
