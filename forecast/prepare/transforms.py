"""Target transforms and their exact inverses back to levels (pure numpy).

A model trained on price levels scaled into [0, 1] cannot forecast beyond the levels it
was trained on; a model trained on changes can. The model sees and predicts the
transformed target z; every metric, plot and forecast is computed after mapping its
output back to levels from the last known level, so results stay in price units.

    diff        z[t] = y[t] - y[t-1]          y[t+k] = y[t-1] + sum z
    log_return  z[t] = log(y[t] / y[t-1])     y[t+k] = y[t-1] * exp(sum z)
    pct_change  z[t] = y[t] / y[t-1] - 1      y[t+k] = y[t-1] * prod(1 + z)

z[0] is undefined (NaN): windows start reading at row 1 (see FIRST_ROW).

prep.target_transform auto (see `choose`) takes log returns for a series that is positive
throughout (prices, counts that never hit 0) and differences otherwise: a yearly series with
a zero in it must not fail on log(0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd

Transform = Literal["none", "diff", "log_return", "pct_change"]
POSITIVE_ONLY = ("log_return", "pct_change")


def first_row(kind: str) -> int:
    """The first row with a defined transformed value (auto is always a change)."""
    return 0 if kind == "none" else 1


def choose(setting: str, target: np.ndarray, normalize: str = "series") -> Transform:
    """prep.target_transform resolved: as set, or for auto the one that fits the values.

    Multiplicative changes (log returns) suit a series that is positive throughout, such
    as a price whose moves scale with its level; a series that reaches 0 or below has no
    log return there, so it learns differences. A window-normalised series is already
    relative to each window's last value: auto leaves its levels alone.
    """
    if setting != "auto":
        return setting  # type: ignore[return-value]
    if normalize == "window":
        return "none"
    values = np.asarray(target, dtype="float64")
    return "log_return" if len(values) and np.all(values > 0) else "diff"


def forward(levels: np.ndarray, kind: Transform) -> np.ndarray:
    y = np.asarray(levels, dtype="float64")
    if kind == "none":
        return y.copy()
    if kind in POSITIVE_ONLY and np.any(y <= 0):
        raise ValueError(f"{kind} needs positive values; the smallest is {y.min():g}")
    z = np.full_like(y, np.nan)
    if kind == "diff":
        z[1:] = np.diff(y)
    elif kind == "log_return":
        z[1:] = np.diff(np.log(y))
    elif kind == "pct_change":
        z[1:] = y[1:] / y[:-1] - 1.0
    else:
        raise ValueError(f"unknown transform {kind!r}")
    return z


def inverse(z: np.ndarray, last_level: np.ndarray, kind: Transform) -> np.ndarray:
    """(m, output_steps) transformed forecasts -> (m, output_steps) levels, from each window's last level."""
    z = np.asarray(z, dtype="float64").reshape(len(last_level), -1)
    if kind == "none":
        return z
    last = np.asarray(last_level, dtype="float64")[:, None]
    if kind == "diff":
        return last + np.cumsum(z, axis=1)
    if kind == "log_return":
        return last * np.exp(np.cumsum(z, axis=1))
    if kind == "pct_change":
        return last * np.cumprod(1.0 + z, axis=1)
    raise ValueError(f"unknown transform {kind!r}")


def continue_forward(levels: np.ndarray, last_level: np.ndarray, kind: Transform) -> np.ndarray:
    """(m, k) forecast levels -> their transformed values, continuing from each last level.

    The inverse of `inverse`: recursive forecasting feeds a forecast back as an input.
    """
    y = np.asarray(levels, dtype="float64").reshape(len(last_level), -1)
    if kind == "none":
        return y.copy()
    chain = np.concatenate([np.asarray(last_level, dtype="float64")[:, None], y], axis=1)
    if kind == "diff":
        return np.diff(chain, axis=1)
    if kind == "log_return":
        return np.diff(np.log(chain), axis=1)
    if kind == "pct_change":
        return chain[:, 1:] / chain[:, :-1] - 1.0
    raise ValueError(f"unknown transform {kind!r}")


def model_values(values: np.ndarray, kind: Transform) -> np.ndarray:
    """Model inputs: column 0 (the target) transformed, feature columns as they are."""
    out = np.array(values, dtype="float64", copy=True).reshape(len(values), -1)
    out[:, 0] = forward(out[:, 0], kind)
    return out


# The calendar inputs: name -> (period, the date's position in it). Weekly data has one
# weekday and its season is the year, so it wants week_of_year; hourly data wants hour_of_day.
CALENDAR_PERIODS: dict[str, tuple[float, Callable[[pd.DatetimeIndex], np.ndarray]]] = {
    "hour_of_day": (24, lambda index: index.hour),
    "day_of_week": (7, lambda index: index.day_of_week),
    "week_of_year": (365.25 / 7, lambda index: index.isocalendar().week.to_numpy() - 1),
    "month": (12, lambda index: index.month - 1),
}


def calendar_columns(index: pd.DatetimeIndex, names: list[str]) -> dict[str, np.ndarray]:
    """Sine/cosine encodings of the date: cyclic, so December sits next to January.

    Dates are known in advance, so these inputs never look ahead.
    """
    columns: dict[str, np.ndarray] = {}
    for name in names:
        period, position = CALENDAR_PERIODS[name]
        value = np.asarray(position(pd.DatetimeIndex(index)), dtype="float64")
        columns[f"{name}_sin"] = np.sin(2 * np.pi * value / period)
        columns[f"{name}_cos"] = np.cos(2 * np.pi * value / period)
    return columns
