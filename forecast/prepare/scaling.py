"""MinMax scaling fitted on the training part only (pure numpy).

Fitting on the whole series, as many tutorials do, leaks the test period's range into
training. Here the test part may fall outside the fitted range: it is not clipped, so
the model sees exactly how far prices moved beyond what it was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class MinMax:
    columns: tuple[str, ...]
    data_min: np.ndarray  # per column
    data_max: np.ndarray
    feature_range: tuple[float, float] = (0.0, 1.0)

    @classmethod
    def fit(cls, values: np.ndarray, columns: tuple[str, ...], feature_range: tuple[float, float]) -> MinMax:
        values = np.asarray(values, dtype="float64").reshape(len(values), -1)
        low, high = values.min(axis=0), values.max(axis=0)
        constant = [c for c, lo, hi in zip(columns, low, high, strict=True) if hi == lo]
        if constant:
            # Callers check this first with a friendlier message; this guards the division.
            raise ValueError(f"constant column(s) in the fitted part: {', '.join(constant)}")
        return cls(tuple(columns), low, high, tuple(feature_range))

    @property
    def _scale(self) -> np.ndarray:
        low, high = self.feature_range
        return (high - low) / (self.data_max - self.data_min)

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (np.asarray(values, dtype="float64") - self.data_min) * self._scale + self.feature_range[0]

    def transform_column(self, values: np.ndarray, column: int = 0) -> np.ndarray:
        """Scale values of one column (targets are column 0)."""
        return (np.asarray(values, dtype="float64") - self.data_min[column]) * self._scale[column] + self.feature_range[
            0
        ]

    def inverse(self, scaled: np.ndarray, column: int = 0) -> np.ndarray:
        """Back to original units for one column (the target is column 0)."""
        scaled = np.asarray(scaled, dtype="float64")
        return (scaled - self.feature_range[0]) / self._scale[column] + self.data_min[column]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "minmax",
            "columns": list(self.columns),
            "data_min": self.data_min.tolist(),
            "data_max": self.data_max.tolist(),
            "feature_range": list(self.feature_range),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MinMax:
        if data.get("kind") != "minmax":
            raise ValueError(f"not a minmax scaler: kind={data.get('kind')!r}")
        return cls(
            tuple(data["columns"]),
            np.asarray(data["data_min"], dtype="float64"),
            np.asarray(data["data_max"], dtype="float64"),
            tuple(data["feature_range"]),
        )
