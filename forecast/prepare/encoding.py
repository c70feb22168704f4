"""One Encoding: how the series becomes what the network sees, and how its output becomes
levels in the target's units again. Fitted on the training part only; saved as
encoding.json (JSON, never pickle); used alike by every stage, backtest fold, rollout and
predict.

    levels --target transform--> values --window normalisation--> --MinMax--> network
    network output --MinMax inverse--> --times the window's last value--> --inverse transform--> levels

- target transform (prep.target_transform): the model learns changes, not levels, and
  a change needs the row before it: rows_needed is lookback + 1 then (lookback + s for a
  seasonal difference at season s, lookback + s + 1 after a first difference too).
- window normalisation (prep.normalize: window, levels only): each window's target
  channel, inputs and targets alike, divided by the window's last input value, minus 1.
  A model trained on 20-dollar prices then applies to 200-dollar prices.
- MinMax on every channel (scikit-learn's MinMaxScaler's arithmetic, see MinMax), fitted on the training rows;
  for a window-normalised target, on the training windows. Fitting on the whole series,
  as many tutorials do, leaks the test period's range into training. The test part may
  fall outside the fitted range: it is not clipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from forecast.config import PrepConfig
from forecast.prepare.deseasonal import Profile
from forecast.prepare.transforms import SEASONAL, Transform, first_row, inverse
from forecast.prepare.windows import Split, windows


@dataclass(frozen=True)
class MinMax:
    """scikit-learn's MinMaxScaler reduced to its arithmetic, in the same float64 operations
    (tested equal): importing scikit-learn costs `forecast predict` over a second (issue 19).
    Attribute names are the scaler's, so encoding.json and its readers are unchanged."""

    data_min_: np.ndarray
    data_max_: np.ndarray
    feature_range: tuple[float, float]

    @property
    def scale_(self) -> np.ndarray:
        span = self.data_max_ - self.data_min_
        # As the scaler: a (nearly) constant column is not divided by (nearly) 0.
        span = np.where(span < 10 * np.finfo("float64").eps, 1.0, span)
        return (self.feature_range[1] - self.feature_range[0]) / span

    @property
    def min_(self) -> np.ndarray:
        return self.feature_range[0] - self.data_min_ * self.scale_

    def transform(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype="float64") * self.scale_ + self.min_


def _scaler(low: np.ndarray, high: np.ndarray, feature_range: tuple[float, float]) -> MinMax:
    """MinMax with exactly these extremes (copies: `fit` changes its own low and high)."""
    return MinMax(np.array(low, dtype="float64"), np.array(high, dtype="float64"), tuple(feature_range))


@dataclass(frozen=True)
class Encoding:
    transform: Transform
    normalize: str  # series | window
    lookback: int
    output_steps: int
    columns: tuple[str, ...]  # the target (as transformed) first, then features
    scaler: MinMax = field(repr=False)
    fitted_on: dict[str, Any] | None = None  # rows, first and last date of the fitted part
    season: int | None = None  # rows in a season: what a seasonal difference reaches back
    # prep.deseasonalize: the seasonal part the network's series is without (prepare/deseasonal.py)
    profile: Profile | None = field(default=None, repr=False)

    # --- geometry --------------------------------------------------------------------

    @property
    def first_row(self) -> int:
        """The first row with a defined value: row 0 of a transformed target is undefined."""
        return first_row(self.transform, self.season)

    @property
    def rows_needed(self) -> int:
        """Rows of history one forecast needs."""
        return self.lookback + self.first_row

    # --- fit -------------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        values: np.ndarray,
        split: Split,
        prep: PrepConfig,
        columns: tuple[str, ...],
        transform: Transform | None = None,
        season: int | None = None,
    ) -> Encoding:
        """On the training part only: its rows (from the first defined one), or for a
        window-normalised target its training windows. ValueError on a constant column.
        `transform`: what `values` were transformed with (prep.target_transform's auto resolved);
        `season`: the series' season, which a seasonal difference was taken at."""
        rows = np.asarray(values, dtype="float64")[split.train_start : split.test_start]
        low, high = rows.min(axis=0), rows.max(axis=0)
        transform = transform or prep.target_transform
        if transform == "auto":
            raise ValueError("resolve prep.target_transform auto first (prepare/series.target_transform)")
        encoding = cls(
            transform,
            prep.normalize,
            prep.lookback,
            prep.output_steps,
            tuple(columns),
            _scaler(low, high, prep.scaler_range),
            season=season if transform in SEASONAL else None,  # encoding.json records it only then
        )
        if prep.normalize == "window":
            x, y = encoding.relative_windows(values, split.train)
            relative = np.concatenate([x[:, :, 0].ravel(), y.ravel()])
            low[0], high[0] = relative.min(), relative.max()
            if low[0] == high[0]:
                raise ValueError(f"constant column(s) in the fitted part: {columns[0]} relative to each window")
            encoding = replace(encoding, scaler=_scaler(low, high, prep.scaler_range))
        constant = [c for c, lo, hi in zip(columns, low, high, strict=True) if hi == lo]
        if constant:  # callers check first with a friendlier message; this guards the division
            raise ValueError(f"constant column(s) in the fitted part: {', '.join(constant)}")
        return encoding

    # --- encode ----------------------------------------------------------------------

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Raw input windows (m, lookback, channels) of model values -> what the network sees."""
        return self._scale_inputs(self._relative(x))

    def windows(self, values: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Network inputs (m, lookback, channels) and targets (m, output_steps), float32, for the
        windows whose first target rows are `starts`."""
        x, y = self.relative_windows(values, starts)
        return self._scale_inputs(x), self._scale_target(y).astype("float32")

    def relative_windows(self, values: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unscaled inputs and targets, window-normalised when prep.normalize is window: what
        the MinMax of a window-normalised target is fitted on."""
        x, y = windows(values, values[:, 0], starts, self.lookback, self.output_steps)
        if self.normalize == "window":
            y = y / x[:, -1:, 0] - 1.0
        return self._relative(x), y

    def _relative(self, x: np.ndarray) -> np.ndarray:
        """Channel 0 of each window relative to its last input, minus 1 (window normalisation only)."""
        if self.normalize != "window":
            return x
        x = x.copy()
        x[:, :, 0] = x[:, :, 0] / x[:, -1:, 0] - 1.0
        return x

    def _scale_inputs(self, x: np.ndarray) -> np.ndarray:
        return self.scaler.transform(x.reshape(-1, x.shape[2])).reshape(x.shape).astype("float32")

    def _scale_target(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y, dtype="float64") * self.scaler.scale_[0] + self.scaler.min_[0]

    # --- decode ----------------------------------------------------------------------

    def decode(self, output: np.ndarray, past: np.ndarray, last_value: np.ndarray) -> np.ndarray:
        """Network output (m, output_steps) -> forecasts in the target's units.

        past: the target's level at each window's last row, (m,), or its last first_row levels,
        (m, first_row), which a seasonal difference needs (for the transform);
        last_value: each window's last model value of the target (for window normalisation).
        """
        z = np.asarray(output, dtype="float64").reshape(len(past), -1) - self.scaler.min_[0]
        z = z / self.scaler.scale_[0]
        if self.normalize == "window":
            z = (z + 1.0) * np.asarray(last_value, dtype="float64")[:, None]
        return inverse(z, past, self.transform, self.season)

    # --- encoding.json ---------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "minmax",
            "columns": list(self.columns),
            "data_min": self.scaler.data_min_.tolist(),
            "data_max": self.scaler.data_max_.tolist(),
            "feature_range": list(self.scaler.feature_range),
            "target_transform": self.transform,
            "normalize": self.normalize,
            "lookback": self.lookback,
            "output_steps": self.output_steps,
            "fitted_on": self.fitted_on,
            # Only a seasonal difference has one: any other run's file stays as 0.2 wrote it.
            **({"season": self.season} if self.season is not None else {}),
            **({"deseasonalized": self.profile.to_dict()} if self.profile is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Encoding:
        if data.get("kind") != "minmax":
            raise ValueError(f"not a minmax encoding: kind={data.get('kind')!r}")
        scaler = _scaler(
            np.asarray(data["data_min"], dtype="float64"),
            np.asarray(data["data_max"], dtype="float64"),
            tuple(data["feature_range"]),
        )
        # Before 0.2: normalize "global" meant "series", and output_steps was called horizon.
        normalize = data.get("normalize", "series")
        normalize = "series" if normalize == "global" else normalize
        steps = int(data.get("output_steps", data.get("horizon", 1)))
        return cls(
            data.get("target_transform", "none"),
            normalize,
            int(data["lookback"]),
            steps,
            tuple(data["columns"]),
            scaler,
            data.get("fitted_on"),
            data.get("season"),
            Profile.from_dict(data["deseasonalized"]) if data.get("deseasonalized") else None,
        )
