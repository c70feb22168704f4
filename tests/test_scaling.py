"""MinMax scaling: fitted on the training part only, round trips, never clips."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.prepare.scaling import MinMax


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
