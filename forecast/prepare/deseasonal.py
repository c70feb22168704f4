"""Deseasonalisation (prep.deseasonalize: mstl): the network learns the series without its
seasonal part, and the seasonal part is added back to its forecasts (Smyl's ES-RNN removes
the season the same way before its LSTM).

The seasonal part is statsforecast's MSTL decomposition, fitted on the rows before the test
part only (the rows the scaler is fitted on); each season's last full cycle there is carried
forward, periodically, to every row: the training rows, the test part and the future alike,
so the network is trained on what it forecasts. Nothing at or after the first test row is
read, and the inverse is exact (the same profile is subtracted and added back).

Several seasons are removed together for readings finer than an hour (a day of 48
half-hours and a week of 336). The profile's phase is anchored at the last fitted row's date,
so a newer frame (predict's refreshed data, which may start elsewhere) gets the same phase.
A season is counted in rows, as evaluate.season and seasonal naive count it: across a gap in
the readings (which train names) the profile runs on by rows, not by the clock.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast.data.frequency import Frequency
from forecast.errors import DataError


@dataclass(frozen=True)
class Profile:
    cycles: dict[int, np.ndarray]  # season length -> the last full cycle of its seasonal part
    end: str  # the last fitted row's timestamp (ISO): the cycles end there

    def at(self, index: pd.DatetimeIndex, rows: np.ndarray) -> np.ndarray:
        """The seasonal part of `rows` of a frame with dates `index` (rows past its end are the
        future, which continues the same rhythm)."""
        anchor = _row_of(index, self.end) + 1  # the first row after the fitted ones
        rows = np.asarray(rows)
        return sum((cycle[(rows - anchor) % len(cycle)] for cycle in self.cycles.values()), np.zeros(rows.shape))

    def remove(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame with its target (column 0) less its seasonal part."""
        out = frame.copy()
        out.iloc[:, 0] = frame.iloc[:, 0].to_numpy(dtype="float64") - self.at(
            pd.DatetimeIndex(frame.index), np.arange(len(frame))
        )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"method": "mstl", "end": self.end, "cycles": {str(m): c.tolist() for m, c in self.cycles.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Profile:
        return cls({int(m): np.asarray(c, dtype="float64") for m, c in data["cycles"].items()}, data["end"])


def seasons(frequency: Frequency, season: int | None) -> list[int]:
    """The seasons removed: the day and the week for readings finer than an hour (fit() drops
    the week where the rows hold fewer than two), else the series' season."""
    if season is None or season < 2:
        return []
    if frequency.step.endswith("minutes"):
        return [season, season * 7]
    return [season]


def fit(frame: pd.DataFrame, end: int, lengths: list[int]) -> Profile:
    """MSTL on the target's rows [0, end); ValueError if they hold fewer than two cycles of the
    longest season (STL needs two to tell a season from the trend)."""
    target = frame.iloc[:end, 0].to_numpy(dtype="float64")
    usable = [m for m in lengths if len(target) >= 2 * m]
    if not usable:
        raise ValueError(f"{len(target)} rows before the test part hold fewer than two seasons of {max(lengths)}")
    from statsforecast.mstl import mstl

    with warnings.catch_warnings():  # statsmodels' STL warns about its own numerical corners
        warnings.simplefilter("ignore")
        parts = mstl(target, usable if len(usable) > 1 else usable[0])
    columns = {usable[0]: "seasonal"} if len(usable) == 1 else {m: f"seasonal{m}" for m in usable}
    cycles = {m: parts[name].to_numpy(dtype="float64")[-m:] for m, name in columns.items()}
    return Profile(cycles, pd.Timestamp(frame.index[end - 1]).isoformat())


def _row_of(index: pd.DatetimeIndex, stamp: str) -> int:
    try:
        found = index.get_loc(pd.Timestamp(stamp))
    except KeyError:
        raise DataError(
            f"the data holds no row dated {stamp}, the last row the model's seasonal profile was fitted on",
            hint="forecast from data that includes the rows the model was trained on",
        ) from None
    return int(found) if isinstance(found, (int, np.integer)) else int(np.flatnonzero(found)[0])
