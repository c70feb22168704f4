"""A series' frequency comes from its own dates, and gives the natural season."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast.data.frequency import gaps_said, infer_frequency


@pytest.mark.parametrize(
    ("freq", "name", "season"),
    [
        ("B", "trading days", 5),
        ("D", "calendar days", 7),
        ("h", "hours", 24),
        ("5min", "5-minute readings", 288),
        ("30min", "30-minute readings", 48),
        ("W-FRI", "weeks", 52),
        ("MS", "months", 12),
        ("ME", "months", 12),
        ("QS", "quarters", 4),
        ("YS", "years", None),
    ],
)
def test_the_frequency_and_its_season_come_from_the_dates(freq: str, name: str, season: int | None) -> None:
    found = infer_frequency(pd.date_range("2000-01-03", periods=200, freq=freq))  # 300 years: past pandas 2's 2262
    assert (found.name, found.season) == (name, season)


def test_exchange_sessions_with_holidays_are_trading_days() -> None:
    from forecast.config import DataConfig
    from forecast.data.sources import fetch

    msft = fetch(DataConfig(source="sample", symbol="MSFT")).frame.index  # NYSE sessions, holidays missing
    assert infer_frequency(msft).name == "trading days"


def test_the_recent_dates_decide_and_too_few_are_irregular() -> None:
    monthly_then_daily = pd.DatetimeIndex(list(pd.date_range("1990-01-01", periods=100, freq="MS"))
                                          + list(pd.date_range("2000-01-01", periods=600, freq="D")))  # fmt: skip
    assert infer_frequency(monthly_then_daily).name == "calendar days"
    assert infer_frequency(pd.date_range("2000-01-01", periods=2, freq="D")).name == "irregular"
    assert infer_frequency(pd.DatetimeIndex(["2000-01-01", "2000-02-17", "2003-07-04", "2003-07-05"])).name == (
        "irregular"
    )


def test_gaps_in_the_dates_are_said_with_the_longest_and_where() -> None:
    readings = pd.date_range("2020-01-01", periods=100, freq="5min").delete(slice(40, 60))
    said = gaps_said(readings)
    assert said is not None and said.startswith("1 gap(s) in its dates longer than 15 minutes")
    assert "(the longest 1.8 hours, after 2020-01-01 03:15)" in said and "data.start" in said
    months = pd.date_range("2000-01-31", periods=50, freq="ME").delete([10, 11, 12])
    assert "(the longest 120 days, after 2000-10-31)" in gaps_said(months)
    # Weekends and a holiday week's Monday off are how trading days are, not gaps.
    sessions = pd.bdate_range("2020-01-01", periods=300).delete([50])
    assert gaps_said(sessions) is None
    assert gaps_said(pd.date_range("2020-01-01", periods=100, freq="h")) is None
