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


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple[float | None, list[float | None]]:
    """Share of actuals inside their band: overall and per step. None (n/a) where there is no band
    (NaN bounds: too few validation windows for the level): an empty band held nothing, and it
    did not miss anything either."""
    banded = np.isfinite(lower) & np.isfinite(upper)
    inside = (actual >= lower) & (actual <= upper)

    def share(held: np.ndarray, where: np.ndarray) -> float | None:
        return float(held[where].mean()) if where.any() else None

    per_step = [share(inside[:, k], banded[:, k]) for k in range(inside.shape[1])]
    return share(inside, banded), per_step


def too_few(windows: int, level: float) -> str | None:
    """Why a band at this level is empty, when the validation windows are too few for it."""
    needed = minimum_windows(level)
    if windows >= needed:
        return None
    return (
        f"{windows} validation windows are too few for a {label(level)}% band (it needs {needed}): that band "
        "is left empty and its coverage is n/a"
    )


def empty_bands(intervals: dict | None) -> list[str]:
    """One sentence per empty band of a run's intervals, for the summary and the report."""
    if not intervals:
        return []
    windows = intervals["calibration"]["windows"]
    found = (too_few(windows, float(name) / 100) for name, widths in intervals["half_width"].items() if None in widths)
    return [line for line in found if line]


def percent(share: float | None, digits: int = 1) -> str:
    """A coverage as the summary, predict and the report print it: n/a for an empty band."""
    return "n/a" if share is None or math.isnan(share) else f"{share:.{digits}%}"


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
            found.append(
                f"the {name}% band held {share:.1%} of {actuals} test actuals, below its level beyond chance "
                f"(at least {expected:.1%} expected): it is too narrow for this test period"
            )
    return found


def minimum_windows(level: float) -> int:
    """The fewest calibration windows that give a finite band at this level."""
    return math.ceil(level / (1 - level) - 1e-9)
