"""The bundled series beyond stock prices: read as shipped, each with its own rhythm."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from forecast.config import DataConfig
from forecast.data.frequency import infer_frequency
from forecast.data.sources import fetch


@pytest.mark.parametrize(
    ("symbol", "columns", "rows", "first", "last", "frequency", "season"),
    [
        ("UNEMPLOYMENT", ["rate"], 828, "1948-01-01", "2016-12-01", "months", 12),
        ("MARRIAGES", ["marriages_per_1000", "divorces_per_1000"], 115, "1867-01-01", "1981-01-01", "years", None),
        ("GLUCOSE", ["glucose"], 52278, "2010-03-24 09:51", "2010-10-10 23:57", "5-minute readings", 288),
        ("SEA-TEMPERATURE", ["temperature"], 19225, "2016-02-15", "2017-03-22", "30-minute readings", 48),
        ("COMMITS", ["commits"], 1576, "2012-12-29", "2017-04-22", "calendar days", 7),
        ("LINCOLN-WEATHER", ["tmax", "tmin"], 365, "2016-01-01", "2016-12-31", "calendar days", 7),
    ],
)
def test_each_series_has_its_columns_dates_and_frequency(
    symbol: str, columns: list[str], rows: int, first: str, last: str, frequency: str, season: int | None
) -> None:
    frame = fetch(DataConfig(source="sample", symbol=symbol, target=columns[0])).frame
    assert list(frame.columns) == columns and len(frame) == rows
    assert (frame.index[0], frame.index[-1]) == (pd.Timestamp(first), pd.Timestamp(last))
    assert frame.index.is_monotonic_increasing and frame.index.is_unique and not frame.isna().any().any()
    found = infer_frequency(frame.index)
    assert (found.name, found.season) == (frequency, season)


def test_the_monthly_rate_is_the_file_read_month_by_month() -> None:
    import bokeh_sampledata

    wide = pd.read_csv(bokeh_sampledata.package_path("unemployment1948.csv")).set_index("Year")
    frame = fetch(DataConfig(source="sample", symbol="UNEMPLOYMENT", target="rate")).frame
    assert frame.loc["1948-01-01", "rate"] == wide.loc[1948, "Jan"] == 4.0
    assert frame.loc["2016-12-01", "rate"] == wide.loc[2016, "Dec"]
    assert frame.loc["1975-05-01", "rate"] == wide.loc[1975, "May"]


def test_fetch_names_the_series_and_its_rhythm(invoke) -> None:
    result = invoke("fetch", "UNEMPLOYMENT", "--source", "sample", "--json")
    assert result.exit_code == 0, result.output
    assert "months" in json.dumps(json.loads(result.stdout))
    wrong = invoke("fetch", "UNEMPLOYMNT", "--source", "sample")
    assert wrong.exit_code == 66 and "UNEMPLOYMENT" in wrong.stderr and "SEA-TEMPERATURE" in wrong.stderr
