"""Baselines, metrics and the Diebold-Mariano test on hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecast.scoring.baselines import History, drift, naive, seasonal_naive, window_mean
from forecast.scoring.competitors import Outcome
from forecast.scoring.evaluation import Forecasts, Part, evaluate_part
from forecast.scoring.metrics import METRIC_NAMES, Scoring, mase_scale, score, skill
from forecast.scoring.significance import diebold_mariano, diebold_mariano_hac

from ..conftest import persistent_edge

# rows:            0    1    2    3    4    5    6    7    8    9
TARGET = np.array([10., 12., 11., 13., 14., 13., 15., 16., 18., 17.])  # fmt: skip


def history(starts, horizon=1, lookback=3, season=2) -> History:
    return History(TARGET, np.array(starts), horizon, lookback, season)


def test_naive_repeats_the_last_known_value() -> None:
    assert naive(history([5, 8], horizon=2)).tolist() == [[14, 14], [16, 16]]


def test_seasonal_naive_looks_whole_seasons_back() -> None:
    # Target rows 6, 7, 8 from start 6 with season 2: rows 4, 5, 6 -> row 6 is not yet
    # known at the start, so step 3 goes two seasons back: row 4.
    assert seasonal_naive(history([6], horizon=3, season=2)).tolist() == [[14, 13, 14]]
    assert seasonal_naive(history([5], horizon=1, season=5)).tolist() == [[10]]
    with pytest.raises(ValueError, match="more row"):
        seasonal_naive(history([3], season=5))


def test_drift_extends_the_line_from_the_first_value() -> None:
    # start 5: last known row 4 = 14, first = 10, slope (14 - 10) / 4 = 1 per row
    assert drift(history([5], horizon=2)).tolist() == [[15, 16]]


def test_window_mean_is_the_mean_of_the_lookback() -> None:
    assert window_mean(history([5, 9], lookback=3)).ravel().tolist() == pytest.approx([(11 + 13 + 14) / 3, 49 / 3])


def test_metrics_on_hand_computed_values() -> None:
    actual = np.array([[100.0], [102.0], [101.0], [105.0]])
    last = np.array([[99.0], [101.0], [102.0], [104.0]])
    model = np.array([[101.0], [100.0], [101.0], [108.0]])  # errors 1, -2, 0, 3
    table = score(actual, {"model": model, "naive": last}, Scoring(last, mase_scale([1.0, 3.0, 2.0])))
    m = table["model"]
    assert m["rmse"] == pytest.approx(math.sqrt(14 / 4))
    assert m["mae"] == pytest.approx(6 / 4)
    assert m["mape"] == pytest.approx(100 * (1 / 100 + 2 / 102 + 0 + 3 / 105) / 4)
    assert m["smape"] == pytest.approx(100 * (2 / 201 + 4 / 202 + 0 + 6 / 213) / 4)
    assert m["mase"] == pytest.approx((6 / 4) / 1.5)  # training one-step changes 2, 1
    # Calls vs last: up, down, down, up; truth: up, up, down, up -> 3 of 4.
    assert m["directional_accuracy"] == pytest.approx(0.75)
    naive_rmse = math.sqrt((1 + 1 + 1 + 1) / 4)
    assert m["skill"] == pytest.approx(1 - math.sqrt(14 / 4) / naive_rmse)
    assert table["naive"]["skill"] == 0.0
    assert table["naive"]["directional_accuracy"] is None  # naive makes no up/down call
    assert set(m) == set(METRIC_NAMES)


def test_mape_is_none_when_an_actual_is_zero() -> None:
    a = np.array([[0.0], [1.0]])
    assert score(a, {"naive": a + 1}, Scoring(a, 1.0))["naive"]["mape"] is None
    assert skill(1.0, 0.0) is None


def test_diebold_mariano_matches_a_hand_computed_example() -> None:
    e_model = np.array([1.0, -1.0, 2.0, 0.5, -0.5])
    e_naive = np.array([2.0, 1.0, -2.0, 1.0, 1.0])
    # d = e1² - e2² = [-3, 0, 0, -0.75, -0.75]; mean -0.9; gamma0 = 6.075 / 5 = 1.215
    # h = 1: DM = -0.9 / sqrt(1.215 / 5) = -1.825742; HLN factor sqrt(4 / 5)
    one = diebold_mariano(e_model, e_naive, h=1)
    assert one["statistic"] == pytest.approx(-0.9 / math.sqrt(0.243) * math.sqrt(0.8))
    assert one["statistic"] == pytest.approx(-1.632993, abs=1e-6)
    assert one["p_value"] == pytest.approx(0.17783, abs=1e-4)  # Student t, 4 df, two-sided
    # h = 2: gamma1 = -0.9225 / 5; variance (1.215 - 0.369) / 5; HLN sqrt((5 + 1 - 4 + 0.4) / 5)
    two = diebold_mariano(e_model, e_naive, h=2)
    assert two["statistic"] == pytest.approx(-0.9 / math.sqrt(0.1692) * math.sqrt(0.48), abs=1e-9)
    assert diebold_mariano(e_model, e_model)["statistic"] is None  # identical errors: nothing to test


def test_the_long_run_variance_test_counts_persistence_and_only_persistence() -> None:
    e_model = np.array([1.0, -1.0, 2.0, 0.5, -0.5])
    e_naive = np.array([2.0, 1.0, -2.0, 1.0, 1.0])
    # The example above: lag-1 autocorrelation -0.152 gives Andrews' bandwidth 0.90, under h = 1,
    # so no lag counts: DM's statistic without the small-sample factor, -0.9 / sqrt(1.215 / 5).
    calm = diebold_mariano_hac(e_model, e_naive)
    assert calm["lags"] == 1 and calm["statistic"] == pytest.approx(-1.825742, abs=1e-6)
    # A loss differential that persists (AR(1), 0.9) around a small mean: counted as independent
    # draws it is overwhelming evidence; with its persistence counted it is weak.
    e_model, e_naive = persistent_edge()
    assert diebold_mariano(e_model, e_naive)["p_value"] < 1e-4
    persistent = diebold_mariano_hac(e_model, e_naive)
    assert persistent["lags"] > 30 and persistent["p_value"] > 0.01


def test_the_evaluation_scores_the_model_beside_every_baseline() -> None:
    target = np.arange(40, dtype=float) + np.sin(np.arange(40))
    starts = np.arange(30, 38)
    predicted = target[starts] + 0.1
    dates = pd.date_range("2020-01-01", periods=40, freq="D")
    part = Part(target, dates, starts, 1, (0, 30), 5, 5)
    result = evaluate_part(part, {"model": Forecasts(predicted[:, None])}, Outcome(), model_kind="lstm")
    assert list(result.forecasts) == ["model", "naive", "seasonal_naive", "drift", "window_mean"]
    assert result.actual.ravel().tolist() == target[starts].tolist()
    assert result.metrics["model"]["rmse"] == pytest.approx(0.1)
    assert result.mase_scale == pytest.approx(np.mean(np.abs(np.diff(target[:30]))))
    assert result.dm["model"]["statistic"] < 0 and "naive" not in result.dm
    # Every forecaster is judged against naive by the one rule; the network is named by its kind.
    assert set(result.verdicts) == {"model", "seasonal_naive", "drift", "window_mean"}
    verdict = result.verdict()
    assert verdict.forecaster == "lstm" and verdict.better and verdict.p_value == result.dm["model"]["p_value"]
    assert result.intervals == {"model": None} and result.bands == {"model": {}}  # no validation windows: no bands


def test_a_series_never_below_zero_gets_forecasts_that_stop_at_zero_as_its_bands_do() -> None:
    counts = np.array([3.0, 0.0, 1.0, 0.0, 2.0, 4.0, 0.0, 1.0, 2.0, 0.0] * 4)
    dates = pd.date_range("2020-01-01", periods=40, freq="D")
    starts = np.arange(30, 38)
    below = np.full((8, 1), -0.5)  # a network that forecasts a negative count
    part = Part(counts, dates, starts, 1, (0, 30), 5, None)
    result = evaluate_part(part, {"model": Forecasts(below)}, Outcome(), model_kind="lstm")
    assert (result.forecasts["model"] == 0).all()  # floored: scored as what is published
    shifted = counts - 1  # a series that goes below zero: its forecasts are left as they are
    result = evaluate_part(Part(shifted, dates, starts, 1, (0, 30), 5, None), {"model": Forecasts(below)},
                           Outcome(), model_kind="lstm")  # fmt: skip
    assert (result.forecasts["model"] == -0.5).all()
