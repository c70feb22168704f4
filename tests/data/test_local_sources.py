"""sample (bundled real prices), synthetic and csv sources."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from forecast.config import DataConfig
from forecast.data.sources import fetch
from forecast.errors import DataError, MissingInputError


def test_sample_msft_is_the_real_bundled_series() -> None:
    fetched = fetch(DataConfig(source="sample", symbol="MSFT"))
    frame = fetched.frame
    assert (frame.index[0].date(), frame.index[-1].date()) == (dt.date(2000, 3, 1), dt.date(2013, 3, 1))
    assert len(frame) == 3270
    assert list(frame.columns) == ["open", "high", "low", "close", "adj_close", "volume"]
    assert frame.loc["2000-03-01", "close"] == 90.81  # first row of the package's file
    assert fetched.adjusted == ("adj_close",)
    assert fetched.origin.startswith("bokeh-sampledata ")


def test_sample_restricts_dates_and_periods() -> None:
    window = fetch(DataConfig(source="sample", symbol="IBM", start=dt.date(2012, 1, 1), end=dt.date(2012, 2, 1)))
    assert window.frame.index.min() >= np.datetime64("2012-01-01")
    assert window.frame.index.max() < np.datetime64("2012-02-01")
    year = fetch(DataConfig(source="sample", symbol="IBM", period="1y")).frame
    assert 245 <= len(year) <= 255  # one year of trading days before 2013-03-01


def test_sample_auto_adjust_scales_ohlc() -> None:
    raw = fetch(DataConfig(source="sample", symbol="AAPL")).frame
    adjusted = fetch(DataConfig(source="sample", symbol="AAPL", auto_adjust=True))
    assert np.allclose(adjusted.frame["close"], raw["adj_close"])
    assert adjusted.adjusted == ("open", "high", "low", "close")


def test_sample_unknown_symbol_lists_choices() -> None:
    with pytest.raises(MissingInputError) as info:
        fetch(DataConfig(source="sample", symbol="TSLA"))
    assert "AAPL, FB, GOOG, IBM, MSFT" in info.value.hint


def test_synthetic_is_the_seeded_sine_with_noise() -> None:
    a = fetch(DataConfig(source="synthetic", points=500, seed=3)).frame["value"].to_numpy()
    b = fetch(DataConfig(source="synthetic", points=500, seed=3)).frame["value"].to_numpy()
    c = fetch(DataConfig(source="synthetic", points=500, seed=4)).frame["value"].to_numpy()
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    noise = a - np.sin(0.02 * np.arange(500))
    assert noise.min() >= 0 and noise.max() < 2 and 0.8 < noise.mean() < 1.2


def write(tmp_path: Path, text: str) -> DataConfig:
    path = tmp_path / "prices.csv"
    path.write_text(text)
    return DataConfig(source="csv", path=path)


GOOD = "Date,Close,Volume,Name\n2024-01-02,10.5,100,x\n2024-01-03,11,200,x\n2024-01-04,12.25,300,x\n"


def test_csv_reads_numeric_columns_and_skips_text(tmp_path: Path) -> None:
    frame = fetch(write(tmp_path, GOOD)).frame
    assert list(frame.columns) == ["close", "volume"]
    assert frame["close"].tolist() == [10.5, 11.0, 12.25]
    assert frame.index.name == "date"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Date,Close\n2024-01-02,1\nnot a date,2\n", "unreadable dates at line 3"),
        ('Date,Close\n2024-01-02,1\n2024-01-03,"1,234.50"\n', "non-numeric values at line 3"),
        ("Date,Close\n2024-01-02,1\n2024-01-03,$12\n", "non-numeric values at line 3"),
        ("Date,Close\n2024-01-02,1\n2024-01-03,\n", "'Close' is empty at line 3"),
        ("Date,Close\n2024-01-02,1\n2024-01-02,2\n", "duplicate dates at lines 2, 3"),
        ("Date,Close\n2024-01-03,1\n2024-01-02,2\n", "dates out of order at line 3"),
        ("When,Close\n2024-01-03,1\n", "no date column 'date'"),
    ],
)
def test_csv_problems_are_reported_with_line_numbers(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        fetch(write(tmp_path, body))


def test_csv_repair_only_when_asked(tmp_path: Path) -> None:
    body = "Date,Close\n2024-01-04,4\n2024-01-02,2\nbad,9\n2024-01-03,3\n2024-01-03,3.5\n"
    config = write(tmp_path, body)
    with pytest.raises(DataError):
        fetch(config)
    repaired = fetch(config.model_copy(update={"repair": True})).frame
    assert [d.day for d in repaired.index] == [2, 3, 4]
    assert repaired["close"].tolist() == [2.0, 3.5, 4.0]


def test_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingInputError, match="not found"):
        fetch(DataConfig(source="csv", path=tmp_path / "nope.csv"))
