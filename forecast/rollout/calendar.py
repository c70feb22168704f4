"""Dates of future steps: exchange sessions for stock bars, the series' own rhythm otherwise.

A daily stock series has no bars on weekends or exchange holidays, so "ten steps
ahead" from 2012-12-20 ends on 2013-01-07, not on 2012-12-30. Exchange calendars come
from the maintained `exchange_calendars` package (NYSE: XNYS); other series step by
their own frequency, inferred from their most recent dates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, DataError

log = logging.getLogger(__name__)

RECENT = 250  # bars used to recognise a calendar: about a trading year
AHEAD = pd.Timedelta(days=400)  # sessions fetched past the last bar with the recognised calendar
MATCH = 0.98  # share of recent bars that must be sessions of the exchange for auto to pick it


@dataclass(frozen=True)
class Calendar:
    name: str  # an exchange code (XNYS) or a pandas frequency (B, D, W-FRI, ...)
    kind: str  # "exchange" or "frequency"
    reason: str  # why this calendar: shown in output and manifests
    # The exchange's sessions where auto recognised it, reaching AHEAD past the last bar: building
    # an exchange calendar costs a third of a second, and predict would build a second one.
    sessions: pd.DatetimeIndex | None = field(default=None, compare=False, repr=False)

    def future(self, last: pd.Timestamp, steps: int) -> pd.DatetimeIndex:
        """The `steps` dates after `last`, never `last` itself."""
        if self.kind == "exchange":
            day = pd.Timestamp(last).normalize()
            known = None if self.sessions is None else self.sessions[self.sessions > day][:steps]
            if known is not None and len(known) == steps:
                return pd.DatetimeIndex(known, name="date")
            return _sessions_after(self.name, last, steps)
        return pd.date_range(last, periods=steps + 1, freq=self.name)[1:]


def _exchange(code: str, start: pd.Timestamp, end: pd.Timestamp):
    import warnings

    import exchange_calendars as xcals

    try:
        with warnings.catch_warnings():
            # exchange_calendars 4.13 on pandas 3.1 warns about its own use of Series.values.
            warnings.filterwarnings("ignore", message="Series.values returning")
            return xcals.get_calendar(code, start=start.strftime("%Y-%m-%d"), end=end.strftime("%Y-%m-%d"))
    except xcals.errors.InvalidCalendarName as exc:
        raise ConfigError(
            f"predict.calendar: {code!r} is not an exchange calendar or a pandas frequency",
            hint="use auto, an exchange code such as XNYS, or a frequency such as B or D",
        ) from exc
    except ValueError as exc:  # dates outside what the calendar covers
        raise DataError(f"the {code} calendar does not cover {start.date()} .. {end.date()}: {exc}") from exc


def _sessions(code: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    sessions = _exchange(code, start, end).sessions
    return sessions.tz_localize(None) if sessions.tz is not None else sessions


def _sessions_after(code: str, last: pd.Timestamp, steps: int) -> pd.DatetimeIndex:
    day = pd.Timestamp(last).normalize()
    # Two calendar days per session and a month to spare cover any run of holidays.
    sessions = _sessions(code, day, day + pd.Timedelta(days=2 * steps + 31))
    return pd.DatetimeIndex(sessions[sessions > day][:steps], name="date")


def _is_exchange(code: str) -> bool:
    import exchange_calendars as xcals

    return code.upper() in xcals.get_calendar_names(include_aliases=True)


def _inferred(index: pd.DatetimeIndex) -> Calendar:
    recent = index[-RECENT:]
    if len(recent) < 3:
        raise DataError(f"only {len(recent)} dates: too few to tell the series' frequency")
    freq = _infer_freq(recent)
    if freq is not None:
        return Calendar(freq, "frequency", f"inferred from the last {len(recent)} dates")
    gaps = pd.Series(pd.to_timedelta(np.diff(recent.to_numpy()))).value_counts()
    step = pd.Timedelta(gaps.index[0])
    weekends = bool((recent.day_of_week >= 5).any())
    if step == pd.Timedelta(days=1) and not weekends:
        return Calendar("B", "frequency", "weekdays (daily bars, none on weekends)")
    if gaps.iloc[0] / gaps.sum() < MATCH:
        raise DataError(
            f"the series' last {len(recent)} dates have no regular spacing (most common gap {step}, "
            f"in {gaps.iloc[0] / gaps.sum():.0%} of them), so future dates cannot be placed",
            hint="set predict.calendar to an exchange code (XNYS) or a pandas frequency (B, D, H)",
        )
    return Calendar(pd.tseries.frequencies.to_offset(step).freqstr, "frequency", f"every {step}")


def _infer_freq(index: pd.DatetimeIndex) -> str | None:
    """pandas' inferred frequency as a string, on pandas 2 and 3 alike."""
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            freq = pd.infer_freq(index)
    except KeyError:  # pandas < 3 has no such option and returns a string
        return pd.infer_freq(index)
    return None if freq is None else freq.freqstr


def resolve(index: pd.DatetimeIndex, wanted: str, daily_stock: bool) -> Calendar:
    """The calendar for future dates: as configured, or chosen from the data (auto)."""
    if wanted != "auto":
        if _is_exchange(wanted):
            return Calendar(wanted.upper(), "exchange", "predict.calendar")
        try:
            pd.tseries.frequencies.to_offset(wanted)
        except ValueError as exc:
            raise ConfigError(
                f"predict.calendar: {wanted!r} is not an exchange calendar or a pandas frequency",
                hint="use auto, an exchange code such as XNYS, or a frequency such as B or D",
            ) from exc
        return Calendar(wanted, "frequency", "predict.calendar")
    if daily_stock:
        recent = pd.DatetimeIndex(index[-RECENT:]).normalize()
        sessions = _sessions("XNYS", recent[0], recent[-1] + AHEAD)
        share = float(np.isin(recent, sessions).mean())
        if share >= MATCH:
            reason = f"NYSE sessions ({share:.0%} of the last {len(recent)} bars match)"
            return Calendar("XNYS", "exchange", reason, sessions)
        log.warning(
            "only %.0f%% of the last %d bars fall on NYSE sessions: future dates follow the series' own "
            "frequency; set predict.calendar to the exchange's code (e.g. XLON) for exact dates",
            share * 100,
            len(recent),
        )
    return _inferred(pd.DatetimeIndex(index))
