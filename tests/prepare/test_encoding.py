"""The Encoding: MinMax fitted on the training part only (scikit-learn's scaler, saved as
JSON), target transforms and window normalisation, decoded exactly back to levels."""

from __future__ import annotations

import json

import numpy as np
import pytest

from forecast.config import PrepConfig
from forecast.prepare.encoding import Encoding
from forecast.prepare.transforms import model_values
from forecast.prepare.windows import split_rows


def fitted(values: np.ndarray, names: tuple[str, ...] = ("close",), **prep: object) -> Encoding:
    config = PrepConfig(**{"lookback": 2, "output_steps": 1, "test_fraction": 0.4, "val_fraction": 0.0,
                           "target_transform": "none", **prep})  # fmt: skip
    first = 0 if config.target_transform == "none" else 1
    split = split_rows(len(values), config.lookback, config.output_steps, 0.4, 0.0, first)
    return Encoding.fit(values, split, config, names)


def test_fitted_on_the_training_rows_only_and_never_clipped() -> None:
    values = np.array([[10.0], [20.0], [15.0], [25.0], [5.0]])  # rows 3-4 are the test part
    encoding = fitted(values)
    assert encoding.scaler.data_min_.tolist() == [10.0] and encoding.scaler.data_max_.tolist() == [20.0]
    x, y = encoding.windows(values, np.array([3]))  # inputs rows 1-2, target row 3 (25: above the fitted max)
    assert x.ravel().tolist() == [1.0, 0.5] and y.ravel().tolist() == [1.5]
    assert encoding.decode(np.array([[1.5]]), np.array([15.0]), np.array([15.0])).tolist() == [[25.0]]


def test_round_trips_through_json_as_scaler_json() -> None:
    values = np.array([[0.0, 100.0], [10.0, 300.0], [5.0, 200.0], [7.0, 250.0], [20.0, 50.0]])
    encoding = fitted(values, ("a", "b"), scaler_range=(-1.0, 1.0))
    payload = json.loads(json.dumps(encoding.to_dict()))  # plain JSON, never pickle
    assert payload["kind"] == "minmax" and payload["data_max"] == [10.0, 300.0] and payload["lookback"] == 2
    restored = Encoding.from_dict(payload)
    x = values[None, 2:4]
    assert np.array_equal(restored.encode(x), encoding.encode(x))
    assert encoding.encode(values[None, 2:3]).tolist() == [[[0.0, 0.0]]]


def test_rows_needed_counts_the_row_a_change_needs() -> None:
    levels = np.array([1.0, 2.0, 4.0, 3.0, 5.0, 6.0, 8.0, 7.0])
    assert fitted(levels[:, None]).rows_needed == 2
    changes = fitted(model_values(levels, "diff"), target_transform="diff")
    assert changes.rows_needed == 3 and changes.first_row == 1


@pytest.mark.parametrize("kind", ["diff", "log_return", "pct_change"])
def test_decode_inverts_encode_for_every_transform(kind: str) -> None:
    levels = 50 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.02, 40)))
    values = model_values(levels, kind)
    encoding = fitted(values, ("close",), target_transform=kind)
    starts = np.arange(30, 40)
    _, y = encoding.windows(values, starts)  # the true targets, as the network should emit them
    decoded = encoding.decode(y.astype("float64"), levels[starts - 1], values[starts - 1, 0])
    assert np.allclose(decoded[:, 0], levels[starts], rtol=1e-6)


def test_window_normalised_targets_decode_to_levels() -> None:
    levels = np.linspace(20.0, 200.0, 30) + np.sin(np.arange(30))
    encoding = fitted(levels[:, None], normalize="window", lookback=4)
    starts = np.arange(20, 30)
    _, y = encoding.windows(levels[:, None], starts)
    decoded = encoding.decode(y.astype("float64"), levels[starts - 1], levels[starts - 1])
    assert np.allclose(decoded[:, 0], levels[starts], rtol=1e-6)


def test_a_constant_column_is_refused() -> None:
    with pytest.raises(ValueError, match="constant"):
        fitted(np.array([[1.0, 2.0], [1.0, 3.0], [1.0, 4.0], [1.0, 5.0], [1.0, 6.0]]), ("flat", "ok"))


def test_minmax_is_scikit_learns_scaler_to_the_bit() -> None:
    """The Encoding's MinMax replaced scikit-learn's MinMaxScaler on predict's path (its import
    cost over a second): the parameters and the scaled values must stay the scaler's."""
    from sklearn.preprocessing import MinMaxScaler

    from forecast.prepare.encoding import _scaler

    rng = np.random.default_rng(3)
    # A column, a column whose span is one float step (the scaler takes it as constant), a constant.
    almost = np.where(np.arange(300) % 2, 1.0, np.nextafter(1.0, 2.0))
    x = np.column_stack([rng.normal(50, 20, 300), almost, np.full(300, 7.0)])
    for feature_range in ((0.0, 1.0), (-1.0, 1.0)):
        reference = MinMaxScaler(feature_range=feature_range).fit(x)
        ours = _scaler(x.min(axis=0), x.max(axis=0), feature_range)
        assert ours.scale_.tolist() == reference.scale_.tolist() and ours.min_.tolist() == reference.min_.tolist()
        new = rng.normal(60, 30, (50, 3))
        assert ours.transform(new).tolist() == reference.transform(new).tolist()
