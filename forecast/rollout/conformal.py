"""Split-conformal prediction intervals, per horizon step (pure numpy).

Calibration: forecast windows the model was not fitted on (the validation part),
score each forecast by its absolute error, and take for level 1 - a the
ceil((n + 1)(1 - a))-th smallest of the n scores as the band's half-width. If the
calibration and future errors are exchangeable, a new actual falls inside the band
with probability at least 1 - a. Whether that held is measured, not assumed: evaluate
reports the share of test actuals inside each band.

For series that are positive everywhere (prices) the score is the error relative to
the last known value, so a band calibrated when a stock cost 20 dollars scales to a
price of 200. Otherwise it is the absolute error, in the series' units.
"""

from __future__ import annotations

import math

import numpy as np


def label(level: float) -> str:
    """0.8 -> '80', 0.975 -> '97.5': the suffix of lower_80 / upper_80."""
    return f"{level * 100:g}"


def scores(actual: np.ndarray, forecast: np.ndarray, last_level: np.ndarray, relative: bool) -> np.ndarray:
    """(m, steps) nonconformity scores."""
    error = np.abs(np.asarray(actual, dtype="float64") - np.asarray(forecast, dtype="float64"))
    return error / np.abs(np.asarray(last_level, dtype="float64"))[:, None] if relative else error


def half_widths(calibration: np.ndarray, level: float) -> np.ndarray:
    """(steps,) half-widths for one level from (n, steps) scores; inf where n is too small."""
    n = calibration.shape[0]
    rank = math.ceil((n + 1) * level)
    if rank > n:
        # Too few calibration windows for this level: an honest band is unbounded.
        return np.full(calibration.shape[1], np.inf)
    return np.sort(calibration, axis=0)[rank - 1]


def bands(
    forecast: np.ndarray, last_level: np.ndarray, widths: np.ndarray, relative: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(m, steps) lower and upper bounds around forecasts from their origins' last levels."""
    scale = np.abs(np.asarray(last_level, dtype="float64"))[:, None] if relative else 1.0
    half = np.asarray(widths)[None, :] * scale
    return forecast - half, forecast + half


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple[float, list[float]]:
    """Share of actuals inside their band: overall and per step."""
    inside = (actual >= lower) & (actual <= upper)
    return float(inside.mean()), [float(v) for v in inside.mean(axis=0)]


def short_bands(intervals: dict | None, actuals: int) -> list[str]:
    """The bands that held fewer test actuals than their level by more than chance allows
    (over two binomial standard errors below it): too narrow for the test period. One
    sentence each, for the summary and the report."""
    found = []
    for name, held in ((intervals or {}).get("coverage") or {}).items():
        share, level = held.get("test"), float(name) / 100
        if share is None or math.isnan(share) or actuals <= 0:
            continue
        if None in (intervals.get("half_width") or {}).get(name, []):  # type: ignore[union-attr]
            continue  # too few validation windows for this level: no band, so nothing held (said elsewhere)
        expected = level - 2 * math.sqrt(level * (1 - level) / actuals)
        if share < expected:
            found.append(f"the {name}% band held {share:.1%} of {actuals} test actuals, below its level beyond chance "
                         f"(at least {expected:.1%} expected): it is too narrow for this test period")  # fmt: skip
    return found


def minimum_windows(level: float) -> int:
    """The fewest calibration windows that give a finite band at this level."""
    return math.ceil(level / (1 - level) - 1e-9)
