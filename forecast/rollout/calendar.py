"""Dates of future steps: exchange sessions for stock bars, the series' own rhythm otherwise.

A daily stock series has no bars on weekends or exchange holidays, so "ten steps
ahead" from 2012-12-20 ends on 2013-01-07, not on 2012-12-30. Exchange calendars come
from the maintained `exchange_calendars` package (NYSE: XNYS); other series step by
their own frequency (data/frequency.py: stepping).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import atomic
from forecast.data.frequency import stepping
from forecast.errors import ConfigError, DataError, WriteError

log = logging.getLogger(__name__)

RECENT = 250  # bars used to recognise a calendar: about a trading year
AHEAD = pd.Timedelta(days=400)  # sessions fetched past the last bar with the recognised calendar
MARGIN = pd.Timedelta(days=180)  # kept sessions reach this much past what was asked (_sessions)
MATCH = 0.98  # share of recent bars that must be sessions of the exchange for auto to pick it


@dataclass(frozen=True)
class Calendar:
    name: str  # an exchange code (XNYS) or a pandas frequency (B, D, W-FRI, ...)
    kind: str  # "exchange" or "frequency"
    reason: str  # why this calendar: shown in output and manifests
    # The exchange's sessions where auto recognised it, reaching AHEAD past the last bar: building
    # an exchange calendar costs a third of a second, and predict would build a second one.
    sessions: pd.DatetimeIndex | None = field(default=None, compare=False, repr=False)
    cache: Path | None = field(default=None, compare=False, repr=False)  # where sessions are kept: _sessions

    def future(self, last: pd.Timestamp, steps: int) -> pd.DatetimeIndex:
        """The `steps` dates after `last`, never `last` itself."""
        if self.kind == "exchange":
            day = pd.Timestamp(last).normalize()
            known = None if self.sessions is None else self.sessions[self.sessions > day][:steps]
            if known is not None and len(known) == steps:
                return pd.DatetimeIndex(known, name="date")
            return _sessions_after(self.name, last, steps, self.cache)
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


def _sessions(code: str, start: pd.Timestamp, end: pd.Timestamp, cache: Path | None = None) -> pd.DatetimeIndex:
    """The exchange's sessions from start to end. With a cache folder, they are read from the
    sessions kept there when those reach far enough, without importing exchange_calendars or
    building its calendar (a second together, most of predict's time after its imports); else
    built, over the kept range and the new one, and kept for next time."""
    if cache is None:
        return _built(code, start, end)
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end)
    path = cache / f"{code}-exchange_calendars-{_version()}.npz"
    kept = _read(path)
    if kept is None or not (kept[0] <= start and end <= kept[1]):
        low, high = (start, end) if kept is None else (min(start, kept[0]), max(end, kept[1]))
        high += MARGIN  # cron's predict asks a day further every evening: not a rebuild every evening
        kept = low, high, _built(code, low, high)
        with contextlib.suppress(WriteError):  # not kept: built again next time, not an error
            atomic.write_npz(path, start=low.to_datetime64(), end=high.to_datetime64(), sessions=kept[2].to_numpy())
    sessions = kept[2]
    return sessions[(sessions >= start) & (sessions <= end)]


def _built(code: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    sessions = _exchange(code, start, end).sessions
    return sessions.tz_localize(None) if sessions.tz is not None else sessions


def _read(path: Path) -> tuple[pd.Timestamp, pd.Timestamp, pd.DatetimeIndex] | None:
    """(start, end, sessions) as kept, or None when there are none or they cannot be read: a file
    that is there but unreadable (cut short, empty, foreign) is named in a warning and built again."""
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as kept:
            bounds = (pd.Timestamp(kept[name][()]) for name in ("start", "end"))  # 0-d arrays
            return *bounds, pd.DatetimeIndex(kept["sessions"])
    except Exception as exc:  # zipfile, numpy and the OS raise many unrelated types for a bad file
        log.warning(
            "the kept exchange sessions %s are unreadable (%s): built again", path, f"{type(exc).__name__}: {exc}"[:160]
        )
        return None


def _version() -> str:
    """Kept sessions are exchange_calendars' of one version: another may know other holidays."""
    try:
        return metadata.version("exchange-calendars")
    except metadata.PackageNotFoundError:
        return "none"


def _sessions_after(code: str, last: pd.Timestamp, steps: int, cache: Path | None = None) -> pd.DatetimeIndex:
    day = pd.Timestamp(last).normalize()
    # Two calendar days per session and a month to spare cover any run of holidays.
    sessions = _sessions(code, day, day + pd.Timedelta(days=2 * steps + 31), cache)
    return pd.DatetimeIndex(sessions[sessions > day][:steps], name="date")


def _is_exchange(code: str) -> bool:
    import exchange_calendars as xcals

    return code.upper() in xcals.get_calendar_names(include_aliases=True)


def resolve(index: pd.DatetimeIndex, wanted: str, daily_stock: bool, cache: Path | None = None) -> Calendar:
    """The calendar for future dates: as configured, or chosen from the data (auto). cache: a
    folder where exchange sessions are kept between commands (_sessions)."""
    if wanted != "auto":
        if _is_exchange(wanted):
            return Calendar(wanted.upper(), "exchange", "predict.calendar", cache=cache)
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
        sessions = _sessions("XNYS", recent[0], recent[-1] + AHEAD, cache)
        share = float(np.isin(recent, sessions).mean())
        if share >= MATCH:
            reason = f"NYSE sessions ({share:.0%} of the last {len(recent)} bars match)"
            return Calendar("XNYS", "exchange", reason, sessions, cache)
        log.warning(
            "only %.0f%% of the last %d bars fall on NYSE sessions: future dates follow the series' own "
            "frequency; set predict.calendar to the exchange's code (e.g. XLON) for exact dates",
            share * 100,
            len(recent),
        )
    name, reason = stepping(pd.DatetimeIndex(index))
    return Calendar(name, "frequency", reason)
