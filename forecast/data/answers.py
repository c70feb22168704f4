"""What a source's answer may do to the cached bars: refused when it is not news (empty, stale,
truncated), merged otherwise, new values winning where dates overlap (store.py saves it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.data.sources import DataRequest
from forecast.errors import TryLaterError


def check_answer(
    config: DataRequest, cached: pd.DataFrame, new: pd.DataFrame, parquet: Path, accept_revision: bool = False
) -> None:
    """Refuse a source's answer that is not news: empty; ending before the cache does though
    nothing bounded its end (stale); or holding fewer bars than the cache over the span it
    covers, or over the whole cached span when the whole history was asked for (truncated).
    Nothing is written: the cache and its sidecar's fetched-at stay as they were."""
    if cached.empty:
        return
    held = f"cached {span(cached)}"
    if new.empty:
        raise TryLaterError(
            f"{config.symbol}: the source's answer holds no bars ({held}): a failed answer; {parquet} is unchanged",
            hint="try again later",
        )
    received = f"received {span(new)}"
    if config.end is None and new.index[-1] < cached.index[-1]:
        raise TryLaterError(
            f"{config.symbol}: the source's answer ends {new.index[-1].date()}, before the cache's last bar "
            f"{cached.index[-1].date()} ({held}; {received}): a stale answer; {parquet} is unchanged",
            hint="try again later",
        )
    whole_history = config.start is None and config.period in (None, "max")
    start = cached.index[0] if whole_history else max(new.index[0], cached.index[0])
    end = min(cached.index[-1], new.index[-1])
    expected = int(((cached.index >= start) & (cached.index <= end)).sum())
    got = int(((new.index >= start) & (new.index <= end)).sum())
    if got < expected and not accept_revision:
        raise TryLaterError(
            f"{config.symbol}: the source's answer holds {got} bars from {start.date()} to {end.date()}, where "
            f"the cache holds {expected} ({held}; {received}): a truncated answer; {parquet} is unchanged",
            hint=f"try again later; if the source revised its history (a bad bar removed), accept it: "
            f"forecast fetch {config.symbol} --accept-revision",
        )


def span(frame: pd.DataFrame) -> str:
    return f"{frame.index[0].date()}..{frame.index[-1].date()}, {len(frame)} rows"


def merge(cached: pd.DataFrame, new: pd.DataFrame) -> tuple[pd.DataFrame, int, int]:
    """Union of bars by date; the new value wins where both have a date.

    Returns (merged, bars added, cached bars revised). len(merged) >= len(cached) always.
    """
    overlap = cached.index.intersection(new.index)
    columns = cached.columns.intersection(new.columns)
    before, after = cached.loc[overlap, columns], new.loc[overlap, columns]
    changed = ~((before == after) | (before.isna() & after.isna())).all(axis=1)
    merged = pd.concat([cached, new])
    merged = merged[~merged.index.duplicated(keep="last")].sort_index()
    return merged, len(new.index.difference(cached.index)), int(changed.sum())


def revise(cached: pd.DataFrame, new: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The source's revised history accepted (fetch --accept-revision): its bars replace the cached
    ones over the span it covers, a cached bar it no longer has is dropped; outside that span the
    cache is kept. Returns (revised, cached bars dropped)."""
    inside = (cached.index >= new.index[0]) & (cached.index <= new.index[-1])
    dropped = int((~cached.index[inside].isin(new.index)).sum())
    revised = pd.concat([cached[~inside], new])
    return revised[~revised.index.duplicated(keep="last")].sort_index(), dropped
