"""A pandas Series or DataFrame handed over from Python: `forecast.train(config, data=series)`.

It is saved to the cache as data/frame/<NAME>_<label>.parquet, the label naming the rhythm
of its dates (1mo for months; data/store.py), replacing any earlier series of that name
(it is the user's own data, not bars to merge), so every stage, a resumed run and predict
read it from there like any cached series.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from forecast.data.sources import DataRequest, Fetched
from forecast.data.sources.shared import snake
from forecast.errors import DataError, UsageError


def from_pandas(data: Any, name: str) -> pd.DataFrame:
    """A DatetimeIndex named date (or a date column), sorted and unique; float64 snake_case columns."""
    if isinstance(data, pd.Series):
        data = data.to_frame(name=snake(data.name) if isinstance(data.name, str) and snake(data.name) else "value")
    if not isinstance(data, pd.DataFrame):
        raise UsageError(f"data for {name} is a {type(data).__name__}; pass a pandas Series or DataFrame")
    frame = data.copy()
    if not isinstance(frame.index, pd.DatetimeIndex):
        dates = [c for c in frame.columns if snake(c) == "date"]
        if not dates:
            raise DataError(
                f"data for {name} has no dates: neither a DatetimeIndex nor a date column "
                f"(columns: {', '.join(map(str, frame.columns))})",
                hint="index it by date: frame.set_index(pd.to_datetime(frame['date']))",
            )
        frame = frame.set_index(pd.to_datetime(frame.pop(dates[0])))
    if frame.index.tz is not None:
        frame.index = frame.index.tz_convert("UTC").tz_localize(None)
    frame.index = frame.index.rename("date")
    frame.columns = [snake(c) for c in frame.columns]
    repeated = frame.index[frame.index.duplicated()]
    if len(repeated):
        raise DataError(
            f"data for {name} has {len(repeated)} repeated date(s), e.g. {repeated[0]}",
            hint="keep one row per date (frame[~frame.index.duplicated()])",
        )
    try:
        frame = frame.astype("float64")
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"data for {name} has a column that is not numeric ({exc})", hint="keep the numeric columns only"
        ) from exc
    if frame.empty:
        raise DataError(f"data for {name} has no rows")
    return frame.sort_index()


def fetch(config: DataRequest) -> Fetched:
    raise UsageError(
        f"source frame has no {config.symbol} to fetch: it reads a series handed over from Python",
        hint="in Python: forecast.train(config, data=series); from the shell use --source csv",
    )
