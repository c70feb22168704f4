"""Scaling fitted on the training part only; metrics on hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forecast.evaluation import error_metrics, evaluate, naive_forecast, skill
from forecast.scaling import MinMax


def test_minmax_round_trips_and_does_not_clip_beyond_the_fitted_range() -> None:
    train = np.array([[10.0], [20.0], [15.0]])
    scaler = MinMax.fit(train, ("close",), (0.0, 1.0))
    test = np.array([[25.0], [5.0]])  # beyond the training max and min
    scaled = scaler.transform(test)
    assert scaled.ravel().tolist() == [1.5, -0.5]
    assert scaler.inverse(scaled[:, 0]).tolist() == [25.0, 5.0]
    restored = MinMax.from_dict(scaler.to_dict())
    assert restored.transform(test).ravel().tolist() == [1.5, -0.5]


def test_minmax_custom_range_and_several_columns() -> None:
    scaler = MinMax.fit(np.array([[0.0, 100.0], [10.0, 300.0]]), ("a", "b"), (-1.0, 1.0))
    assert scaler.transform(np.array([[5.0, 200.0]])).tolist() == [[0.0, 0.0]]
    assert scaler.inverse(np.array([1.0]), column=1).tolist() == [300.0]


def test_minmax_refuses_a_constant_column() -> None:
    with pytest.raises(ValueError, match="constant"):
        MinMax.fit(np.array([[1.0, 2.0], [1.0, 3.0]]), ("flat", "ok"), (0, 1))


def test_metrics_on_hand_computed_values() -> None:
    actual = np.array([100.0, 102.0, 101.0, 105.0])
    predicted = np.array([101.0, 100.0, 101.0, 108.0])  # errors 1, -2, 0, 3
    m = error_metrics(actual, predicted)
    assert m["rmse"] == pytest.approx(math.sqrt((1 + 4 + 0 + 9) / 4))
    assert m["mae"] == pytest.approx(6 / 4)
    assert m["mape"] == pytest.approx(100 * (1 / 100 + 2 / 102 + 0 + 3 / 105) / 4)


def test_mape_is_none_when_an_actual_is_zero() -> None:
    assert error_metrics(np.array([0.0, 1.0]), np.array([1.0, 1.0]))["mape"] is None


def test_naive_is_the_last_value_before_each_target() -> None:
    target = np.array([5.0, 6.0, 7.0, 8.0, 9.0])
    assert naive_forecast(target, np.array([2, 4]), 1).tolist() == [[6.0], [8.0]]
    assert naive_forecast(target, np.array([2]), 3).tolist() == [[6.0, 6.0, 6.0]]


def test_skill_and_verdict() -> None:
    actual = np.array([1.0, 2.0, 3.0, 4.0])
    naive = np.array([0.0, 1.0, 2.0, 3.0])  # RMSE 1
    better = evaluate(actual, actual + 0.5, naive)
    worse = evaluate(actual, actual + 2.0, naive)
    assert better["skill"] == pytest.approx(0.5) and better["beats_naive"] is True
    assert worse["skill"] == pytest.approx(-1.0) and worse["beats_naive"] is False
    assert skill(1.0, 0.0) is None
