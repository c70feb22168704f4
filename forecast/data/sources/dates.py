"""Reading a CSV's date column without guessing.

pandas reads 01/02/2000 as 2 January (month first) without a word, and with mixed formats
decides row by row, so a day-first file can come out as a few weeks of shuffled dates.
Here a numeric day/month date is read in the order the file itself proves (a day number
above 12 somewhere), or with `data.date_format` when given; a file that could be read
both ways is refused with both readings. ISO dates, year-first dates and month names are
unambiguous and read as they are.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from forecast.errors import DataError

# d/m/y or m/d/y with one separator (/ . -), a 2- or 4-digit year, an optional time.
_DAY_MONTH = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})(?:[ T].*)?$")
_FORMAT_HINT = "set data.date_format (--date-format), e.g. '%d/%m/%Y' or '%m/%d/%Y', or write ISO dates (2000-02-01)"


def parse_dates(text: pd.Series, column: str, path: Path, date_format: str | None) -> pd.Series:
    """Timestamps of a CSV's date column (NaT where unreadable; the caller reports those
    with their line numbers). Raises DataError when day and month cannot be told apart."""
    if date_format:
        return pd.to_datetime(text, format=date_format, errors="coerce")
    parts = text.str.extract(_DAY_MONTH)
    numeric = parts[0].notna()
    if not numeric.any():
        return pd.to_datetime(text, errors="coerce", format="mixed")
    first, second = parts.loc[numeric, 0].astype(int), parts.loc[numeric, 2].astype(int)
    day_first, month_first = (first > 12).any(), (second > 12).any()
    if day_first and month_first:
        a, b = first.index[first > 12][0], second.index[second > 12][0]
        raise DataError(
            f"CSV file {path}: the dates in column {column!r} are day-first at {_line(a)} ({text[a]!r}) and "
            f"month-first at {_line(b)} ({text[b]!r})",
            hint="write every date in one format, e.g. ISO dates (2000-02-01)",
        )
    if not day_first and not month_first:
        differ = first != second  # an example whose two readings are two different dates
        row = first.index[differ][0] if differ.any() else first.index[0]
        day, month, year = first[row], second[row], parts.loc[row, 3]
        raise DataError(
            f"CSV file {path}: the dates in column {column!r} read both day-first and month-first (no day "
            f"number above 12): {_line(row)} {text[row]!r} is {_spoken(day, month, year)} or "
            f"{_spoken(month, day, year)}",
            hint=_FORMAT_HINT,
        )
    return pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=bool(day_first))


def check_spacing(dates: pd.Series, column: str, path: Path) -> None:
    """A window model assumes evenly spaced rows. Dates that crowd far below their usual
    spacing, or jump far above it again and again, are misread (01/02 read as 2 January
    instead of 1 February) or a mix of frequencies: an error with the numbers."""
    ordered = dates.sort_values()
    gaps = ordered.diff().dropna()
    if len(gaps) < 10:
        return
    usual = gaps.median()
    if usual < pd.Timedelta(days=1):
        return  # intraday and sensor series: irregular spacing is common and read as it is
    # Business days skip weekends and holidays (3-5x), a missing month doubles one gap:
    # a few odd gaps are data. Read month-first, day-first monthly dates make 12 days of
    # each year, one gap in 12 a year long: more than one in 20 such jumps is a misreading.
    for odd, what, allowed in (
        (gaps < usual / 2, f"under {usual.days / 2:g} days", len(gaps) // 10),
        (gaps > usual * 10, f"over {usual.days * 10} days", len(gaps) // 20),
    ):
        if odd.sum() <= max(1, allowed):
            continue
        row = odd.idxmax()
        before = ordered.index[ordered.index.get_loc(row) - 1]
        raise DataError(
            f"CSV file {path}: the dates in column {column!r} are {usual.days} day(s) apart as a rule, but "
            f"{int(odd.sum())} of {len(gaps)} gaps are {what} (e.g. {_line(before)} {dates[before].date()} and "
            f"{_line(row)} {dates[row].date()}): misread dates or mixed frequencies",
            hint="check the file's dates (data.date_format), or resample the series to one row per period",
        )


def _line(position: int) -> str:
    return f"line {int(position) + 2}"  # 1-based, after the header line


def _spoken(day: int, month: int, year: str) -> str:
    try:
        return pd.Timestamp(year=_year(year), month=int(month), day=int(day)).strftime("%-d %B %Y")
    except ValueError:
        return "no date"


def _year(text: str) -> int:
    value = int(text)
    return value if len(text) == 4 else (2000 + value if value < 69 else 1900 + value)  # as strptime's %y
