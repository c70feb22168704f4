"""Inputs known in advance: Fourier terms of non-integer seasons, US holidays, and the same
columns for the series and for a forecast's future dates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.commands import future
from forecast.data.frequency import CALENDAR_DAYS, HOURS, MONTHS, WEEKS, YEARS
from forecast.prepare.known_future import (
    UnknownHolidays,
    calendar_columns,
    fourier_columns,
    known_columns,
    us_holidays,
)


def test_fourier_terms_follow_the_date_so_a_year_of_weeks_is_52_18_of_them() -> None:
    weeks = pd.date_range("2021-01-01", periods=300, freq="W-FRI")
    columns = fourier_columns(weeks, 2, WEEKS)
    assert list(columns) == ["fourier_year_1_sin", "fourier_year_1_cos", "fourier_year_2_sin", "fourier_year_2_cos"]
    days = (weeks - pd.Timestamp("1970-01-01")).days.to_numpy()
    assert np.allclose(columns["fourier_year_2_sin"], np.sin(4 * np.pi * days / 365.25))
    # 52 weeks on is not the same point of the year: 1.25 days short of it.
    assert not np.isclose(columns["fourier_year_1_sin"][52], columns["fourier_year_1_sin"][0], atol=1e-3)
    assert np.isclose(np.arctan2(columns["fourier_year_1_sin"][209], columns["fourier_year_1_cos"][209]),
                      np.arctan2(columns["fourier_year_1_sin"][0], columns["fourier_year_1_cos"][0]) + 2 * np.pi * (
                          209 * 7 / 365.25 - 4), atol=1e-9)  # fmt: skip


@pytest.mark.parametrize(
    ("frequency", "seasons"),
    [(HOURS, ["day", "week"]), (CALENDAR_DAYS, ["week", "year"]), (MONTHS, ["year"]), (YEARS, [])],
)
def test_each_rhythm_gets_its_own_seasons(frequency, seasons) -> None:
    columns = fourier_columns(pd.date_range("2020-01-01", periods=5, freq="D"), 1, frequency)
    assert sorted({name.split("_")[1] for name in columns}) == sorted(seasons)


def test_holidays_are_the_federal_ones_observed_and_unknown_years_are_refused() -> None:
    days = pd.DatetimeIndex(["2024-07-04", "2024-03-31", "2021-12-24", "2024-10-31", "2024-07-05"])
    # Independence Day; Easter Sunday (listed, not federal); Christmas 2021 observed on Friday 24th;
    # Halloween (listed, not federal); an ordinary day.
    assert us_holidays(days).tolist() == [1.0, 0.0, 1.0, 0.0, 0.0]
    assert calendar_columns(days, ["holiday"])["holiday"].tolist() == [1.0, 0.0, 1.0, 0.0, 0.0]
    with pytest.raises(UnknownHolidays, match="known for 2000-2030.*not for 1999-06-01"):
        us_holidays(pd.DatetimeIndex(["1999-06-01", "2024-01-01"]))


def daily_csv(path: Path, start: str = "2015-01-01", days: int = 700) -> None:
    dates = pd.date_range(start, periods=days, freq="D")
    rng = np.random.default_rng(0)
    weekly = 3 * (dates.day_of_week >= 5)
    pd.DataFrame({"date": dates, "y": 20 + weekly + rng.normal(0, 1, days)}).to_csv(path, index=False)


def test_known_inputs_are_trained_on_and_made_again_for_the_future(invoke, tmp_path: Path, monkeypatch) -> None:
    daily_csv(tmp_path / "d.csv")
    (tmp_path / "c.yaml").write_text(
        "data: {source: csv, path: d.csv, target: y}\n"
        "prep: {lookback: 14, calendar_features: [holiday], fourier_terms: 1}\n"
        "model: {units: [4], dense: []}\ntrain: {epochs: 1}\nevaluate: {competitors: []}\nplot: {enabled: false}\n"
    )
    result = invoke("train", "--config", str(tmp_path / "c.yaml"))
    assert result.exit_code == 0, result.output
    (run,) = (tmp_path / "runs").glob("c-*")
    columns = ["holiday", "fourier_week_1_sin", "fourier_week_1_cos", "fourier_year_1_sin", "fourier_year_1_cos"]
    series = pd.read_parquet(run / "series.parquet")
    assert list(series.columns) == ["y", *columns]
    assert (
        series.loc["2015-07-03", "holiday"] == 1.0 and series["holiday"].sum() == 19
    )  # 10 in 2015, 9 up to 2016-11-30
    assert json.loads((run / "encoding.json").read_text())["columns"][1:] == columns
    made = []  # (the future's dates, the inputs predict fed the network for them)
    real = future._future_inputs
    monkeypatch.setattr(
        future, "_future_inputs", lambda c, dates, *a: made.append((dates, real(c, dates, *a))) or made[-1][1]
    )
    forecast = invoke("predict", run.name, "--horizon", "10")  # recursive: the future's inputs are needed
    assert forecast.exit_code == 0, forecast.output
    ((dates, inputs),) = made
    assert dates[0] == pd.Timestamp("2016-12-01") and len(dates) == 10  # the day after the last row
    expected = known_columns(dates, ["holiday"], 1, CALENDAR_DAYS)
    np.testing.assert_allclose(inputs[0], np.column_stack([expected[c] for c in columns]))


@pytest.mark.parametrize(
    ("start", "prep", "said"),
    [
        ("1995-01-01", "calendar_features: [holiday]", "US holidays are known for 2000-2030"),
        ("2015-01-01", "fourier_terms: 1", None),
    ],
)
def test_known_inputs_that_cannot_be_made_are_refused_naming_what_to_drop(invoke, tmp_path: Path, start, prep, said):
    if said is None:  # yearly data has no season for Fourier terms
        years = pd.date_range("1900-01-01", periods=60, freq="YS")
        pd.DataFrame({"date": years, "y": np.arange(60.0) % 7}).to_csv(tmp_path / "d.csv", index=False)
        said = "prep.fourier_terms describes seasons"
    else:
        daily_csv(tmp_path / "d.csv", start)
    (tmp_path / "c.yaml").write_text(f"data: {{source: csv, path: d.csv, target: y}}\nprep: {{lookback: 5, {prep}}}\n")
    result = invoke("train", "--config", str(tmp_path / "c.yaml"))
    assert result.exit_code == 65 and said in result.stderr and "Traceback" not in result.stderr
