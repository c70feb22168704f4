"""The drift rule on generated errors: a model whose live errors are like its test period's is
never flagged, one whose series changed is; nothing is said on too few forecasts."""

from __future__ import annotations

import numpy as np

from forecast.live.drift import MIN_STEPS, coverage_drift, skill_drift


def differentials(n: int, model_scale: float, seed: int) -> np.ndarray:
    """e_model² - e_naive² of n origins: naive's errors N(0, 1), the model's N(0, model_scale)."""
    rng = np.random.default_rng(seed)
    return (model_scale * rng.normal(size=n)) ** 2 - rng.normal(size=n) ** 2


def test_live_errors_like_the_test_periods_are_not_drift() -> None:
    test = differentials(600, 1.0, seed=0)
    flagged = [skill_drift(differentials(60, 1.0, seed=s), test)["drifted"] for s in range(1, 21)]
    assert sum(flagged) == 0


def test_a_series_that_changed_mid_way_is_drift() -> None:
    # The same model; from the live period on, its errors are 1.6 times larger than naive's.
    test = differentials(600, 1.0, seed=0)
    changed = skill_drift(differentials(60, 1.6, seed=1), test)
    assert changed["drifted"] and changed["p"] < 0.01 and changed["live"] > changed["test_q99"]


def test_too_few_live_forecasts_say_nothing() -> None:
    few = skill_drift(differentials(MIN_STEPS - 1, 3.0, seed=1), differentials(600, 1.0, seed=0))
    assert few["p"] is None and not few["drifted"] and f"{MIN_STEPS} needed" in few["why"]


def test_bands_that_stopped_holding_are_drift() -> None:
    assert coverage_drift(np.array([1] * 18 + [0] * 12), 0.80)["drifted"]  # 60% held where 80% did
    assert not coverage_drift(np.array([1] * 23 + [0] * 7), 0.80)["drifted"]  # 77%: within chance
    assert coverage_drift(np.array([1] * 10), 0.80)["p"] is None  # too few


def test_forecasts_that_are_naive_have_no_skill_to_drift() -> None:
    said = skill_drift(np.zeros(40), np.zeros(300))
    assert said["p"] is None and not said["drifted"] and "naive's own" in said["why"]
