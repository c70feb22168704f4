"""Inputs known in advance: functions of the date alone, computed alike for the training rows,
the test part and the future steps of a forecast, so none of them ever looks ahead.

- calendar features (prep.calendar_features): the date's position in the day, week, year or
  month as a sine/cosine pair, so December sits next to January; `holiday`: 1 on a US holiday.
- Fourier terms (prep.fourier_terms = K): K sine/cosine pairs of each of the series' seasons,
  measured in days from a fixed epoch, so a season need not be a whole number of rows: a
  year of weekly data is 52.18 weeks, of trading days about 252 rows.

US holidays are the federal ones (as observed) of the `USHolidays.ics` that bokeh-sampledata
ships, 2000 to 2030; a date outside those years has no known holiday input, and is refused
rather than given a silent 0.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import pandas as pd

from forecast.data.frequency import Frequency

# The calendar inputs: name -> (period, the date's position in it). Weekly data has one
# weekday and its season is the year, so it wants week_of_year; hourly data wants hour_of_day.
CALENDAR_PERIODS: dict[str, tuple[float, Callable[[pd.DatetimeIndex], np.ndarray]]] = {
    "hour_of_day": (24, lambda index: index.hour),
    "day_of_week": (7, lambda index: index.day_of_week),
    "week_of_year": (365.25 / 7, lambda index: index.isocalendar().week.to_numpy() - 1),
    "month": (12, lambda index: index.month - 1),
}
HOLIDAY = "holiday"
DAY, WEEK, YEAR = 1.0, 7.0, 365.25  # seasons in days
EPOCH = pd.Timestamp("1970-01-01")


class UnknownHolidays(ValueError):
    """Dates outside the years the holiday calendar covers."""


def calendar_columns(index: pd.DatetimeIndex, names: list[str]) -> dict[str, np.ndarray]:
    """Sine/cosine encodings of the date (and `holiday` as 0/1): one or two columns per name."""
    index = pd.DatetimeIndex(index)
    columns: dict[str, np.ndarray] = {}
    for name in names:
        if name == HOLIDAY:
            columns[HOLIDAY] = us_holidays(index)
            continue
        period, position = CALENDAR_PERIODS[name]
        value = np.asarray(position(index), dtype="float64")
        columns[f"{name}_sin"] = np.sin(2 * np.pi * value / period)
        columns[f"{name}_cos"] = np.cos(2 * np.pi * value / period)
    return columns


def intraday(frequency: Frequency) -> bool:
    """Hourly or finer readings."""
    return frequency.step == "hour" or frequency.step.endswith("minutes")


def daily_or_finer(frequency: Frequency) -> bool:
    """Data whose rows are days or parts of days: what a holiday marks."""
    return frequency.step == "day" or intraday(frequency)


def seasons_in_days(frequency: Frequency) -> dict[str, float]:
    """The seasons Fourier terms describe, by the series' rhythm: the day and the week for
    hourly and finer readings, the week and the year for daily data, the year for weekly,
    monthly and quarterly data; none for yearly or irregular data."""
    if intraday(frequency):
        return {"day": DAY, "week": WEEK}
    if frequency.step == "day":
        return {"week": WEEK, "year": YEAR}
    if frequency.step in ("week", "month", "quarter"):
        return {"year": YEAR}
    return {}


def fourier_columns(index: pd.DatetimeIndex, terms: int, frequency: Frequency) -> dict[str, np.ndarray]:
    """`terms` sine/cosine pairs of each season: fourier_year_1_sin, fourier_year_1_cos, ...
    (harmonic k completes k cycles a season)."""
    days = (pd.DatetimeIndex(index).tz_localize(None) - EPOCH) / pd.Timedelta(days=1)
    days = np.asarray(days, dtype="float64")
    columns: dict[str, np.ndarray] = {}
    for season, length in seasons_in_days(frequency).items():
        for k in range(1, terms + 1):
            angle = 2 * np.pi * k * days / length
            columns[f"fourier_{season}_{k}_sin"] = np.sin(angle)
            columns[f"fourier_{season}_{k}_cos"] = np.cos(angle)
    return columns


def known_columns(
    index: pd.DatetimeIndex, calendar: list[str], fourier_terms: int, frequency: Frequency
) -> dict[str, np.ndarray]:
    """Every known-future input of these dates, in the order the model reads them."""
    return {**calendar_columns(index, calendar), **fourier_columns(index, fourier_terms, frequency)}


def us_holidays(index: pd.DatetimeIndex) -> np.ndarray:
    """1.0 where the date's day is a US holiday, 0.0 elsewhere. UnknownHolidays for a date
    outside the calendar's years."""
    days, (first, last) = pd.DatetimeIndex(index).tz_localize(None).normalize(), _covered()
    outside = days[(days.year < first) | (days.year > last)]
    if len(outside):
        raise UnknownHolidays(
            f"US holidays are known for {first}-{last} (bokeh-sampledata's USHolidays.ics), not for {outside[0].date()}"
        )
    return np.asarray(days.isin(_holidays()), dtype="float64")


@cache
def _holidays() -> pd.DatetimeIndex:
    from bokeh_sampledata.us_holidays import us_holidays as listed

    # The federal holidays (the file marks them US-OPM), observed dates: the days work and trade
    # change. It also lists Easter, Ascension Day, Halloween, ...: days most businesses keep open.
    return pd.DatetimeIndex(sorted({pd.Timestamp(day) for day, name in listed if "(US-OPM)" in name}))


def _covered() -> tuple[int, int]:
    """The years the calendar covers (its first entry, 1999-12-31, is 2000's New Year's Day observed)."""
    days = _holidays()
    return days[0].year + (days[0].month == 12), days[-1].year
