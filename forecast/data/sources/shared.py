"""Shared by the sources: the one normalised frame every source returns, and date restriction."""

from __future__ import annotations

import re

import pandas as pd

from forecast.data.sources import DataRequest

PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")
# Bars of a day or longer are dated by the exchange's local calendar date: tz-naive.
DAILY_INTERVALS = frozenset({"1d", "5d", "1wk", "1mo", "3mo"})


def snake(name: object) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def flatten_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """yf.download-style MultiIndex columns (Price, Ticker) -> one level of price names."""
    if not isinstance(frame.columns, pd.MultiIndex):
        return frame
    for level in range(frame.columns.nlevels):
        names = {snake(v) for v in frame.columns.get_level_values(level)}
        if names & set(PRICE_COLUMNS):
            others = [lv for lv in range(frame.columns.nlevels) if lv != level]
            if any(frame.columns.get_level_values(lv).nunique() > 1 for lv in others):
                raise ValueError("frame holds several symbols; fetch one symbol at a time")
            out = frame.copy()
            out.columns = frame.columns.get_level_values(level)
            return out
    raise ValueError(f"no price columns among {list(frame.columns)}")


def normalise(frame: pd.DataFrame, interval: str, keep: tuple[str, ...] | None = PRICE_COLUMNS) -> pd.DataFrame:
    """Lower-case snake columns, DatetimeIndex `date` sorted and unique, float64 values.

    Duplicate timestamps keep the last row: a source that repeats a bar sends its latest
    revision last. Rows that are entirely empty are dropped.
    """
    out = flatten_columns(frame)
    out = out.rename(columns=snake)
    if keep is not None:
        out = out[[c for c in keep if c in out.columns]]
    index = pd.DatetimeIndex(pd.to_datetime(out.index))
    if index.tz is not None:
        # Daily bars: keep the exchange's local date (converting to UTC would shift
        # midnight-dated Tokyo bars to the previous day). Intraday bars: UTC, tz-naive.
        index = index.tz_localize(None) if interval in DAILY_INTERVALS else index.tz_convert("UTC").tz_localize(None)
    out.index = index.rename("date")
    out = out.astype("float64")
    out = out[~out.index.duplicated(keep="last")].sort_index()
    return out.dropna(how="all")


def auto_adjust(frame: pd.DataFrame) -> pd.DataFrame:
    """Scale open/high/low/close by adj_close/close, as yfinance's auto_adjust does."""
    factor = frame["adj_close"] / frame["close"]
    out = frame.drop(columns="adj_close").copy()
    for column in ("open", "high", "low", "close"):
        if column in out:
            out[column] = out[column] * factor
    return out


_PERIOD_OFFSETS = {
    "1d": pd.DateOffset(days=1),
    "5d": pd.DateOffset(days=5),
    "1mo": pd.DateOffset(months=1),
    "3mo": pd.DateOffset(months=3),
    "6mo": pd.DateOffset(months=6),
    "1y": pd.DateOffset(years=1),
    "2y": pd.DateOffset(years=2),
    "5y": pd.DateOffset(years=5),
    "10y": pd.DateOffset(years=10),
}


def restrict(frame: pd.DataFrame, config: DataRequest) -> pd.DataFrame:
    """Apply start (inclusive), end (exclusive, as yfinance) or period to a local series."""
    out = frame
    if config.start:
        out = out[out.index >= pd.Timestamp(config.start)]
    if config.end:
        out = out[out.index < pd.Timestamp(config.end)]
    if config.period and config.period != "max" and len(out):
        last = out.index[-1]
        first = pd.Timestamp(last.year, 1, 1) if config.period == "ytd" else last - _PERIOD_OFFSETS[config.period]
        out = out[out.index > first] if config.period != "ytd" else out[out.index >= first]
    return out
