"""A CSV's dates are read in the order the file proves, or as data.date_format says; never guessed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecast.config import DataConfig
from forecast.data.sources import fetch
from forecast.errors import DataError

MONTHS = pd.date_range("2000-01-01", periods=240, freq="MS")  # every day number is 1: ambiguous
DAYS = pd.date_range("2000-01-01", periods=100, freq="D")  # day numbers up to 31: the order shows


def csv(tmp_path: Path, dates: pd.DatetimeIndex, fmt: str) -> Path:
    path = tmp_path / "series.csv"
    path.write_text("date,value\n" + "".join(f'"{d.strftime(fmt)}",{i}\n' for i, d in enumerate(dates)))
    return path


def read(path: Path, **options) -> pd.DataFrame:
    return fetch(DataConfig(source="csv", path=path, target="value", **options)).frame


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%m-%d-%Y", "%d/%m/%y"])
def test_day_and_month_are_read_in_the_order_the_file_proves(tmp_path: Path, fmt: str) -> None:
    frame = read(csv(tmp_path, DAYS, fmt))
    assert frame.index.equals(pd.DatetimeIndex(DAYS, name="date"))


@pytest.mark.parametrize("fmt", ["%d/%m/%Y", "%m/%d/%Y"])
def test_dates_that_read_both_ways_are_refused_with_both_readings(tmp_path: Path, fmt: str) -> None:
    path = csv(tmp_path, MONTHS, fmt)
    first, second = ("1 February 2000", "2 January 2000") if fmt.startswith("%d") else ("2 January 2000",
                                                                                       "1 February 2000")  # fmt: skip
    with pytest.raises(DataError) as caught:
        read(path)
    error = caught.value
    assert "column 'date' read both day-first and month-first" in error.message
    assert f"line 3 '{MONTHS[1].strftime(fmt)}' is {first} or {second}" in error.message
    assert "data.date_format" in error.hint and "'%d/%m/%Y'" in error.hint


def test_date_format_reads_an_ambiguous_file_as_told(tmp_path: Path) -> None:
    path = csv(tmp_path, MONTHS, "%d/%m/%Y")
    assert read(path, date_format="%d/%m/%Y").index.equals(pd.DatetimeIndex(MONTHS, name="date"))
    # Told the other order, the file is 12 days of each January: its spacing says it is misread.
    with pytest.raises(DataError, match=r"1 day\(s\) apart as a rule, but 19 of 239 gaps are over 10 days"):
        read(path, date_format="%m/%d/%Y")


def test_unambiguous_formats_keep_working(tmp_path: Path) -> None:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%d %b %Y", "%B %d, %Y"):
        frame = read(csv(tmp_path, MONTHS, fmt))
        assert frame.index.equals(pd.DatetimeIndex(MONTHS, name="date")), fmt


def test_day_first_and_month_first_rows_in_one_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "series.csv"
    path.write_text("date,value\n15/01/2000,1\n01/16/2000,2\n")
    with pytest.raises(DataError, match=r"day-first at line 2 \('15/01/2000'\) and month-first at line 3"):
        read(path)


def test_weekly_monthly_and_business_day_spacing_is_plausible(tmp_path: Path) -> None:
    for freq in ("W-FRI", "ME", "QS", "YS", "B"):
        dates = pd.date_range("2000-01-01", periods=60, freq=freq)
        assert len(read(csv(tmp_path, dates, "%Y-%m-%d"))) == 60, freq
