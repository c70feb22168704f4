"""Is one forecaster's advantage real? The Diebold-Mariano test on paired errors (numpy;
scipy for the t distribution); scoring/verdict.py turns its p-value into the verdict.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def diebold_mariano(errors_a: np.ndarray, errors_b: np.ndarray, h: int = 1) -> dict[str, float | int | None]:
    """Diebold-Mariano test on squared errors, with Harvey-Leybourne-Newbold's small-sample
    correction; two-sided p-value from Student's t with n - 1 degrees of freedom.

    A negative statistic means `a` has the smaller squared errors. `h` is the forecast
    horizon of the errors: h-step errors are autocorrelated up to lag h - 1.
    """
    from scipy import stats

    d = np.asarray(errors_a, dtype="float64") ** 2 - np.asarray(errors_b, dtype="float64") ** 2
    n = len(d)
    if n < 3 or h >= n:
        return {"statistic": None, "p_value": None, "n": n}
    mean = d.mean()
    centred = d - mean
    gamma = [float(np.sum(centred[k:] * centred[: n - k]) / n) for k in range(h)]
    variance = (gamma[0] + 2 * sum(gamma[1:])) / n
    if variance <= 0:
        return {"statistic": None, "p_value": None, "n": n}  # identical errors: no test to make
    correction = math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    statistic = mean / math.sqrt(variance) * correction
    p_value = float(2 * stats.t.sf(abs(statistic), df=n - 1))
    return {"statistic": float(statistic), "p_value": p_value, "n": n}


def diebold_mariano_hac(errors_a: np.ndarray, errors_b: np.ndarray, h: int = 1) -> dict[str, float | int | None]:
    """Diebold-Mariano on squared errors whose loss differential may be autocorrelated far
    beyond lag h - 1, as the errors of readings every few minutes are: a Newey-West (Bartlett)
    long-run variance with Andrews' (1991) AR(1) plug-in bandwidth, at least h, so the
    differential's own persistence decides how many lags count. Two-sided p from Student's t
    with n - 1 degrees of freedom.

    Why not diebold_mariano: with h = 1 it counts n errors as n independent draws. Errors of
    a 5-minute series repeat themselves for an hour, and a member then "beats" naive with
    p 0.004 on one validation part and loses to it on the next test part (benchmarks/QUALITY.md).
    """
    from scipy import stats

    d = np.asarray(errors_a, dtype="float64") ** 2 - np.asarray(errors_b, dtype="float64") ** 2
    n = len(d)
    centred = d - d.mean()
    gamma0 = float(np.mean(centred**2)) if n else 0.0
    if n < 3 or gamma0 <= 0:
        return {"statistic": None, "p_value": None, "n": n, "lags": None}
    rho = float(np.clip(np.sum(centred[1:] * centred[:-1]) / n / gamma0, -0.97, 0.97))
    alpha = 4 * rho**2 / ((1 - rho) ** 2 * (1 + rho) ** 2)
    bandwidth = min(max(1.1447 * (alpha * n) ** (1 / 3), float(h)), n - 1.0)
    lags = int(bandwidth)
    variance = gamma0 + 2 * sum(
        (1 - k / bandwidth) * float(np.sum(centred[k:] * centred[: n - k]) / n) for k in range(1, lags + 1)
    )
    if variance <= 0:
        return {"statistic": None, "p_value": None, "n": n, "lags": lags}
    statistic = float(d.mean() / math.sqrt(variance / n))
    return {"statistic": statistic, "p_value": float(2 * stats.t.sf(abs(statistic), df=n - 1)), "n": n, "lags": lags}


def significance(actual: np.ndarray, forecasts: dict[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    """DM of every forecaster against naive, per horizon step (step k uses h = k)."""
    out = {}
    for name, forecast in forecasts.items():
        if name == "naive":
            continue
        per_step = [
            diebold_mariano(forecast[:, k] - actual[:, k], forecasts["naive"][:, k] - actual[:, k], h=k + 1)
            for k in range(actual.shape[1])
        ]
        out[name] = {**per_step[0], "step": 1, "per_step": per_step if len(per_step) > 1 else None}
    return out


def versus(
    actual: np.ndarray, forecasts: dict[str, np.ndarray], rival: str, forecaster: str = "model"
) -> dict[str, Any]:
    """DM of the model (or another forecaster) against one rival (the best competitor), on step-1 errors."""
    model, other = forecasts[forecaster][:, 0] - actual[:, 0], forecasts[rival][:, 0] - actual[:, 0]
    return {"against": rival, **diebold_mariano(model, other, h=1), "step": 1}
