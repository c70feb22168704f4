"""Drift as a signal: are the live forecasts worse than the test period makes plausible?

How it is decided, and why (issue 21):

- skill: the quantity is the mean step-1 loss differential d = e_model² - e_naive² over
  the live origins (positive: the model loses to naive from the same origins). The test
  period's own d values are resampled in moving blocks (of about n^(1/3) days, which keeps
  the calm and wild weeks that make errors cluster) into 2,000 series as long as the live
  one; p is the share of those whose mean is at least the live mean. A plain ratio of RMSEs
  would need a threshold pulled from the air, and a CUSUM a drift size chosen in advance;
  the bootstrap asks the one question a user has ("could the test period have produced
  this?") and accounts for the live sample's size by itself.
- coverage: the number of live actuals inside each band against a binomial with the
  band's coverage on the test period; p is the chance of so few if the band were as good
  as it was (bands that hold more than they did are no alarm).
- Nothing is said before MIN_STEPS live step-1 forecasts have their actuals: a week of
  prices proves nothing either way. A signal needs p below LEVEL (0.01: on a healthy model
  checked every week, about one false alarm in two years).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

MIN_STEPS = 20
LEVEL = 0.01
DRAWS = 2000


def block_means(values: np.ndarray, n: int, draws: int = DRAWS, seed: int = 0) -> np.ndarray:
    """Means of `draws` moving-block bootstrap series of length n drawn from `values`."""
    values = np.asarray(values, dtype="float64")
    block = max(1, min(len(values), round(n ** (1 / 3))))
    blocks = -(-n // block)
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(values) - block + 1, size=(draws, blocks))
    index = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(draws, -1)[:, :n]
    return values[index].mean(axis=1)


def skill_drift(live: np.ndarray, test: np.ndarray) -> dict[str, Any]:
    """live, test: step-1 loss differentials e_model² - e_naive², one per origin."""
    live, test = np.asarray(live, dtype="float64"), np.asarray(test, dtype="float64")
    n = len(live)
    if not np.any(live) and not np.any(test):  # a combination that is naive: the same errors, always
        return {"n": n, "p": None, "drifted": False, "why": "the forecasts are naive's own: no skill to drift"}
    if n < MIN_STEPS or len(test) < MIN_STEPS:
        return {"n": n, "p": None, "drifted": False, "why": f"{n} live step-1 forecasts scored; {MIN_STEPS} needed"}
    means = block_means(test, n)
    p = float((np.sum(means >= live.mean()) + 1) / (len(means) + 1))
    return {
        "n": n,
        "live": float(live.mean()),
        "test": float(test.mean()),
        "test_q99": float(np.quantile(means, 1 - LEVEL)),
        "p": p,
        "drifted": p < LEVEL,
    }


def coverage_drift(held: np.ndarray, nominal: float | None) -> dict[str, Any]:
    """held: 1 where a live actual fell inside the band; nominal: the band's test-period coverage."""
    held = np.asarray(held, dtype="float64")
    n, k = len(held), int(held.sum())
    if n < MIN_STEPS or nominal is None:
        return {"n": n, "p": None, "drifted": False}
    rate = min(max(nominal, 1e-9), 1 - 1e-9)
    p = sum(math.comb(n, i) * rate**i * (1 - rate) ** (n - i) for i in range(k + 1))  # P(X <= k)
    return {"n": n, "held": k / n, "test": nominal, "p": float(p), "drifted": p < LEVEL}
