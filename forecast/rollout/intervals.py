"""Forecasts of a run's windows through `rollout`, and the conformal bands around them.

evaluate forecasts the test part with these, calibrates the bands on the validation
part (scoring/evaluation.py), and predict calibrates its own horizon the same way: one
forecast path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecast.prepare.encoding import Encoding
from forecast.rollout import conformal
from forecast.rollout.rollout import Network, rollout


def forecast_rows(  # noqa: PLR0913
    network: Network,
    encoding: Encoding,
    frame: pd.DataFrame,
    values: np.ndarray,
    origins: np.ndarray,
    steps: int,
    future_inputs: np.ndarray | None = None,
) -> np.ndarray:
    """(m, steps) forecasts in the target's units from each origin row of the series `frame`
    (`values`: its model values; see rollout.py). Inputs other than the target are the
    series' own, as known when the forecast rows come; future_inputs: theirs for rows past
    the frame's end (predict's future: rollout.py)."""
    rows = origins[:, None] + np.arange(steps)[None, :]
    known = future_inputs
    if known is None and values.shape[1] > 1 and rows.max() < len(values):  # past the end: the future's, if given
        known = values[rows, 1:]
    profile, index = encoding.profile, pd.DatetimeIndex(frame.index)
    levels = frame.iloc[:, 0].to_numpy(dtype="float64")
    if profile is None:
        return rollout(network, encoding, values, levels, origins, steps, known)
    # The network forecasts the series less its seasonal part: the part is added back.
    levels = levels - profile.at(index, np.arange(len(levels)))
    return rollout(network, encoding, values, levels, origins, steps, known) + profile.at(index, rows)


def calibration(
    dates: pd.DatetimeIndex,
    target: np.ndarray,
    origins: np.ndarray,
    forecast: np.ndarray | None,
    interval_levels: list[float],
) -> dict[str, Any] | None:
    """Conformal half-widths from any forecaster's (windows, steps) forecasts of the validation
    windows starting at `origins` (the network's, or a combination's) of the series `target`
    (levels, dated `dates`); None without windows."""
    if forecast is None or len(origins) == 0:
        return None
    steps = forecast.shape[1]
    levels = np.asarray(target, dtype="float64")
    relative = bool((levels > 0).all())
    actual = levels[origins[:, None] + np.arange(steps)[None, :]]
    calibration = conformal.scores(actual, forecast, levels[origins - 1], relative)
    last_row = int(origins[-1]) + steps - 1
    return {
        "method": "split conformal, absolute errors" + (" relative to the last known value" if relative else ""),
        "relative": relative,
        "calibration": {
            "part": "validation",
            "windows": int(len(origins)),
            "first": dates[int(origins[0])].date().isoformat(),
            "last": dates[last_row].date().isoformat(),
        },
        "half_width": {
            conformal.label(level): [
                None if not np.isfinite(v) else float(v) for v in conformal.half_widths(calibration, level)
            ]
            for level in interval_levels
        },
    }


def floored(forecast: np.ndarray, history: np.ndarray) -> np.ndarray:
    """Forecasts of a series that has never been negative (prices, counts, rainfall: `history`, the
    values known before them) stop at zero, as its bands do: a value it cannot take says nothing."""
    history = np.asarray(history, dtype="float64")
    return np.maximum(forecast, 0.0) if len(history) and np.nanmin(history) >= 0 else forecast


def interval_bounds(
    intervals: dict[str, Any] | None, forecast: np.ndarray, last_level: np.ndarray, history: np.ndarray | None = None
):
    """{'lower_80': (m, steps), 'upper_80': ...} around forecasts; NaN where a band is unbounded.

    A series that has never been negative (prices, counts, rainfall: `history`, the values
    known before the forecasts) gets no band below zero: a band it cannot enter says nothing.
    """
    out: dict[str, np.ndarray] = {}
    floor = 0.0 if history is not None and len(history) and np.nanmin(history) >= 0 else None
    for name, widths in (intervals or {}).get("half_width", {}).items():
        finite = np.array([np.nan if v is None else v for v in widths], dtype="float64")
        lower, upper = conformal.bands(forecast, last_level, finite, intervals["relative"])
        out[f"lower_{name}"] = lower if floor is None else np.maximum(lower, floor)  # NaN (unbounded) stays NaN
        out[f"upper_{name}"] = upper
    return out


def with_coverage(
    intervals: dict[str, Any] | None, forecast: np.ndarray, target: np.ndarray, starts: np.ndarray, history_end: int
) -> tuple[dict[str, Any] | None, dict[str, np.ndarray]]:
    """The bands around (m, steps) test forecasts from `starts`, and the intervals with the share
    of test actuals each held (overall and per step) under "coverage"."""
    bands = interval_bounds(intervals, forecast, target[starts - 1], history=target[:history_end])
    if intervals is None:
        return None, bands
    actual = target[starts[:, None] + np.arange(forecast.shape[1])[None, :]]
    coverage = {}
    for name in intervals["half_width"]:
        total, steps = conformal.coverage(actual, bands[f"lower_{name}"], bands[f"upper_{name}"])
        coverage[name] = {"test": total, "per_step": steps}
    return {**intervals, "coverage": coverage}, bands
