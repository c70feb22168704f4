"""Target transforms and their exact inverses back to levels (pure numpy).

A model trained on price levels scaled into [0, 1] cannot forecast beyond the levels it
was trained on; a model trained on changes can. The model sees and predicts the
transformed target z; every metric, plot and forecast is computed after mapping its
output back to levels from the last known level, so results stay in price units.

    diff        z[t] = y[t] - y[t-1]          y[t+k] = y[t-1] + sum z
    log_return  z[t] = log(y[t] / y[t-1])     y[t+k] = y[t-1] * exp(sum z)
    pct_change  z[t] = y[t] / y[t-1] - 1      y[t+k] = y[t-1] * prod(1 + z)
    seasonal_diff       z[t] = y[t] - y[t-s]                     y[t] = y[t-s] + z[t]
    diff_seasonal_diff  z[t] = (y[t] - y[t-1]) - (y[t-s] - y[t-s-1])
                                                 y[t] = y[t-1] + y[t-s] - y[t-s-1] + z[t]

s is the series' season (evaluate.season: 12 months, 52 weeks, ...). The first rows have no
defined value (NaN): 1 for a change, s for a seasonal difference, s + 1 for both; windows
start reading after them (see first_row), and inverting needs that many past levels.

prep.target_transform auto (see `choose`) takes log returns for a series that is positive
throughout (prices, counts that never hit 0) and differences otherwise: a yearly series with
a zero in it must not fail on log(0).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Transform = Literal["none", "diff", "log_return", "pct_change", "seasonal_diff", "diff_seasonal_diff"]
POSITIVE_ONLY = ("log_return", "pct_change")
SEASONAL = ("seasonal_diff", "diff_seasonal_diff")


def first_row(kind: str, season: int | None = None) -> int:
    """The first row with a defined transformed value (auto is always a change), which is also
    how many past levels inverting a forecast needs."""
    if kind == "none":
        return 0
    if kind in SEASONAL:
        return _season(kind, season) + (kind == "diff_seasonal_diff")
    return 1


def _season(kind: str, season: int | None) -> int:
    if not season or season < 2:
        raise ValueError(f"{kind} needs a season of 2 or more rows, got {season}")
    return int(season)


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


def forward(levels: np.ndarray, kind: Transform, season: int | None = None) -> np.ndarray:
    y = np.asarray(levels, dtype="float64")
    if kind == "none":
        return y.copy()
    if kind in SEASONAL:
        return _seasonal_forward(y[None, :], kind, _season(kind, season))[0]
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


def _seasonal_forward(y: np.ndarray, kind: Transform, s: int) -> np.ndarray:
    """Row-wise seasonal differences of (m, n) levels, NaN where undefined."""
    z = np.full_like(y, np.nan)
    z[:, s:] = y[:, s:] - y[:, :-s]
    if kind == "diff_seasonal_diff":
        z[:, s + 1 :] = np.diff(z[:, s:], axis=1)
        z[:, s] = np.nan
    return z


def past_levels(past: np.ndarray, m: int) -> np.ndarray:
    """The levels before each window's first forecast as (m, p): a (m,) array is p = 1."""
    return np.asarray(past, dtype="float64").reshape(m, -1)


def inverse(z: np.ndarray, past: np.ndarray, kind: Transform, season: int | None = None) -> np.ndarray:
    """(m, output_steps) transformed forecasts -> (m, output_steps) levels, continuing from each
    window's past levels `past`: (m,) the last level, or (m, p) the last p levels, the last one
    last (a seasonal difference needs first_row(kind, season) of them)."""
    past = past_levels(past, len(past))
    z = np.asarray(z, dtype="float64").reshape(len(past), -1)
    if kind == "none":
        return z
    if kind in SEASONAL:
        return _seasonal_inverse(z, past, kind, _season(kind, season))
    last = past[:, -1:]
    if kind == "diff":
        return last + np.cumsum(z, axis=1)
    if kind == "log_return":
        return last * np.exp(np.cumsum(z, axis=1))
    if kind == "pct_change":
        return last * np.cumprod(1.0 + z, axis=1)
    raise ValueError(f"unknown transform {kind!r}")


def _seasonal_inverse(z: np.ndarray, past: np.ndarray, kind: Transform, s: int) -> np.ndarray:
    need = s + (kind == "diff_seasonal_diff")
    if past.shape[1] < need:
        raise ValueError(f"{kind} with season {s} needs the last {need} levels, got {past.shape[1]}")
    chain = np.concatenate([past, np.empty_like(z)], axis=1)
    for j in range(z.shape[1]):  # a step may lean on the forecast of the step s before it
        t = past.shape[1] + j
        chain[:, t] = chain[:, t - s] + z[:, j]
        if kind == "diff_seasonal_diff":
            chain[:, t] += chain[:, t - 1] - chain[:, t - s - 1]
    return chain[:, past.shape[1] :]


def continue_forward(levels: np.ndarray, past: np.ndarray, kind: Transform, season: int | None = None) -> np.ndarray:
    """(m, k) forecast levels -> their transformed values, continuing from each window's past
    levels (as in `inverse`).

    The inverse of `inverse`: recursive forecasting feeds a forecast back as an input.
    """
    past = past_levels(past, len(past))
    y = np.asarray(levels, dtype="float64").reshape(len(past), -1)
    if kind == "none":
        return y.copy()
    if kind in SEASONAL:
        chain = np.concatenate([past, y], axis=1)
        return _seasonal_forward(chain, kind, _season(kind, season))[:, -y.shape[1] :]
    chain = np.concatenate([past[:, -1:], y], axis=1)
    if kind == "diff":
        return np.diff(chain, axis=1)
    if kind == "log_return":
        return np.diff(np.log(chain), axis=1)
    if kind == "pct_change":
        return chain[:, 1:] / chain[:, :-1] - 1.0
    raise ValueError(f"unknown transform {kind!r}")


def model_values(values: np.ndarray, kind: Transform, season: int | None = None) -> np.ndarray:
    """Model inputs: column 0 (the target) transformed, feature columns as they are."""
    out = np.array(values, dtype="float64", copy=True).reshape(len(values), -1)
    out[:, 0] = forward(out[:, 0], kind, season)
    return out
