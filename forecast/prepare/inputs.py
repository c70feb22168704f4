"""From model values to the arrays the network sees, and from its output back to levels.

Model values are the series with the target transformed (prep.target_transform) and
not yet scaled. The network sees windows of them, then:

- prep.normalize: window (levels only): each window's target channel, inputs and
  targets alike, is divided by the window's last input value, minus 1. A model trained
  on 20-dollar prices then applies to 200-dollar prices; its output is multiplied back.
- every channel is MinMax-scaled with parameters fitted on training data only: on the
  training rows, or for a window-normalised target on the training windows.

The pipeline stages and the backtest folds both go through these functions, so a
fold is prepared exactly as a run is.
"""

from __future__ import annotations

import numpy as np

from forecast.config import PrepConfig
from forecast.prepare.scaling import MinMax
from forecast.prepare.transforms import inverse
from forecast.prepare.windows import Split, windows


def relative_windows(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Channel 0 of inputs and the targets as ratios to each window's last input, minus 1."""
    last = x[:, -1:, 0]  # (m, 1)
    x = x.copy()
    x[:, :, 0] = x[:, :, 0] / last - 1.0
    return x, y / last - 1.0


def raw_windows(values: np.ndarray, starts: np.ndarray, prep: PrepConfig) -> tuple[np.ndarray, np.ndarray]:
    x, y = windows(values, values[:, 0], starts, prep.lookback, prep.horizon)
    return relative_windows(x, y) if prep.normalize == "window" else (x, y)


def fit_scaler(values: np.ndarray, split: Split, prep: PrepConfig, names: tuple[str, ...]) -> MinMax:
    """MinMax on training data only: training rows; the training windows for a window-normalised target."""
    rows = values[split.train_start : split.test_start]
    scaler = MinMax.fit(rows, names, prep.scaler_range)
    if prep.normalize != "window":
        return scaler
    x, y = raw_windows(values, split.train, prep)
    relative = np.concatenate([x[:, :, 0].ravel(), y.ravel()])
    low, high = scaler.data_min.copy(), scaler.data_max.copy()
    low[0], high[0] = relative.min(), relative.max()
    if low[0] == high[0]:
        raise ValueError(f"constant column(s) in the fitted part: {names[0]} relative to each window")
    return MinMax(names, low, high, scaler.feature_range)


def network_inputs(x: np.ndarray, scaler: MinMax, prep: PrepConfig) -> np.ndarray:
    """Raw input windows (m, lookback, channels) of model values -> what the network sees."""
    if prep.normalize == "window":
        x = x.copy()
        x[:, :, 0] = x[:, :, 0] / x[:, -1:, 0] - 1.0
    return scaler.transform(x.reshape(-1, x.shape[2])).reshape(x.shape).astype("float32")


def model_windows(
    values: np.ndarray, starts: np.ndarray, scaler: MinMax, prep: PrepConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Scaled float32 inputs (m, lookback, channels) and targets (m, horizon)."""
    x, y = windows(values, values[:, 0], starts, prep.lookback, prep.horizon)
    if prep.normalize == "window":
        y = y / x[:, -1:, 0] - 1.0
    return network_inputs(x, scaler, prep), scaler.transform_column(y, column=0).astype("float32")


def to_levels(
    output: np.ndarray, scaler: MinMax, last_level: np.ndarray, last_value: np.ndarray, prep: PrepConfig
) -> np.ndarray:
    """Network output -> forecasts in the target's units.

    last_level: the target's level at each window's last row (for the transform);
    last_value: each window's last model value of the target (for window normalisation).
    """
    z = scaler.inverse(np.asarray(output).reshape(len(last_level), -1), column=0)
    if prep.normalize == "window":
        z = (z + 1.0) * np.asarray(last_value, dtype="float64")[:, None]
    return inverse(z, last_level, prep.target_transform)
