"""prep.deseasonalize: mstl: a seasonal profile fitted on the rows before the test part only,
carried forward in phase (by date, whatever frame it is applied to), removed before the
network and added back to its forecasts exactly; and end to end through train and predict."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.config import build_config
from forecast.data.frequency import infer_frequency
from forecast.errors import DataError
from forecast.prepare.deseasonal import Profile, fit, seasons
from forecast.prepare.encoding import Encoding
from forecast.prepare.series import plan_split, seasonal_profile, transformed
from forecast.rollout.intervals import forecast_rows

CYCLE = np.array([3.0, 5, 4, 1, -1, -3, -5, -4, -2, 0, 1, 1])  # sums to 0: a pure season


def monthly(n: int = 144, seed: int = 0) -> pd.DataFrame:
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 0.05, n)
    index = pd.date_range("2000-01-01", periods=n, freq="MS", name="date")
    return pd.DataFrame({"y": 20 + 0.05 * t + CYCLE[t % 12] + noise}, index=index)


def test_the_profile_is_the_season_and_keeps_its_phase_by_date_in_any_frame() -> None:
    frame = monthly()
    profile = fit(frame, 120, [12])
    assert profile.end == "2009-12-01T00:00:00"  # the last row fitted: row 119
    # Row 120 (January 2010) continues the cycle where the fitted rows left it.
    np.testing.assert_allclose(profile.at(frame.index, np.arange(120, 144)), CYCLE[np.arange(120, 144) % 12], atol=0.1)
    later = frame.iloc[30:]  # predict's refreshed data may start elsewhere: the phase is the date's
    same_rows = profile.at(frame.index, np.arange(120, 144))
    np.testing.assert_allclose(profile.at(later.index, np.arange(90, 114)), same_rows)
    future = profile.at(frame.index, np.arange(144, 156))  # past the frame's end: the same rhythm
    np.testing.assert_allclose(future, profile.at(frame.index, np.arange(132, 144)))
    again = Profile.from_dict(json.loads(json.dumps(profile.to_dict())))
    np.testing.assert_array_equal(again.at(frame.index, np.arange(144)), profile.at(frame.index, np.arange(144)))
    with pytest.raises(DataError, match="no row dated 2009-12-01"):
        profile.at(frame.index[:100], np.arange(3))


def test_nothing_at_or_after_the_first_test_row_is_read() -> None:
    frame, config = monthly(), build_config({"data": {"source": "synthetic"}, "prep": {"deseasonalize": "mstl"}})
    changed = frame.copy()
    changed.iloc[120:, 0] = 1000.0
    frequency = infer_frequency(pd.DatetimeIndex(frame.index))
    one, two = (seasonal_profile(f, config, 120, frequency, 12) for f in (frame, changed))
    assert one is not None and two is not None
    np.testing.assert_array_equal(one.cycles[12], two.cycles[12])


def test_removed_before_the_network_and_added_back_to_its_forecasts_exactly() -> None:
    frame = monthly()
    config = build_config({"data": {"source": "synthetic", "target": "y"}, "prep": {"lookback": 12,
                           "deseasonalize": "mstl", "target_transform": "none"}})  # fmt: skip
    split = plan_split(len(frame), config, 12)
    profile = fit(frame, split.test_start, [12])
    values = transformed(frame, config, "none", 12, profile)
    np.testing.assert_allclose(values[:, 0], frame["y"] - profile.at(frame.index, np.arange(len(frame))))
    encoding = Encoding.fit(values, split, config.prep, ("y",), "none")
    encoding = type(encoding)(**{**encoding.__dict__, "profile": profile})
    # A network that always says the same (scaled) value: the forecast is that level plus the season.
    forecast = forecast_rows(lambda x: np.full((len(x), 1), 0.5), encoding, frame, values, split.test, 1)
    level = forecast[:, 0] - profile.at(frame.index, split.test)
    np.testing.assert_allclose(level, level[0])
    assert np.ptp(forecast[:, 0]) > 5  # the season is in the forecasts


def test_readings_finer_than_an_hour_remove_the_day_and_the_week() -> None:
    index = pd.date_range("2020-01-01", periods=48 * 7 * 3, freq="30min")
    frequency = infer_frequency(index)
    assert seasons(frequency, 48) == [48, 336]
    t = np.arange(len(index))
    frame = pd.DataFrame({"y": np.sin(2 * np.pi * t / 48) + (t % 336 < 48) * 2.0}, index=index)
    profile = fit(frame, len(index), [48, 336])
    assert sorted(profile.cycles) == [48, 336]
    removed = profile.remove(frame)["y"].to_numpy()
    assert np.std(removed[-336:]) < 0.2 * np.std(frame["y"].to_numpy())


def config_file(folder: Path, lookback: int) -> Path:
    """A train config for folder's m.csv, deseasonalised, tiny and quick."""
    (folder / "c.yaml").write_text(
        f"data: {{source: csv, path: m.csv, target: y}}\nprep: {{lookback: {lookback}, deseasonalize: mstl}}\n"
        "model: {units: [4], dense: []}\ntrain: {epochs: 2}\nevaluate: {competitors: []}\nplot: {enabled: false}\n"
    )
    return folder / "c.yaml"


def test_a_series_without_a_season_is_refused_with_what_to_do(invoke, tmp_path: Path) -> None:
    years = pd.date_range("1900-01-01", periods=80, freq="YS")
    pd.DataFrame({"date": years, "y": np.arange(80.0) % 7}).to_csv(tmp_path / "m.csv", index=False)
    result = invoke("train", "--config", str(config_file(tmp_path, lookback=5)))
    assert result.exit_code == 65, result.output
    assert "a series of years has none" in result.stderr and "prep.deseasonalize: none" in result.stderr


def test_deseasonalised_runs_train_and_forecast_the_season_from_their_directory(invoke, tmp_path: Path) -> None:
    frame = monthly(168)
    frame.reset_index().to_csv(tmp_path / "m.csv", index=False)
    result = invoke("train", "--config", str(config_file(tmp_path, lookback=12)))
    assert result.exit_code == 0, result.output
    assert "prep.target_transform auto: diff" in result.output and "season(s) of 12 rows removed" in result.output
    (run,) = (tmp_path / "runs").glob("c-*")
    encoding = json.loads((run / "encoding.json").read_text())
    assert len(encoding["deseasonalized"]["cycles"]["12"]) == 12
    forecast = invoke("predict", run.name, "--horizon", "24", "--json")
    assert forecast.exit_code == 0, forecast.output
    points = np.array([row["forecast"] for row in json.loads(forecast.stdout)["forecast"]])
    # Two years ahead, the season repeats: a year apart the forecasts differ by the network's
    # drift alone, the same for every month.
    drift = points[12:] - points[:12]
    np.testing.assert_allclose(drift, drift.mean(), atol=0.05 * np.ptp(points[:12]) + 1e-9)
    # ...and the season is in them: the first year less its straight line is the series' cycle.
    months = points[:12] - np.polyval(np.polyfit(np.arange(12), points[:12], 1), np.arange(12))
    assert np.corrcoef(months, CYCLE[np.arange(168, 180) % 12])[0, 1] > 0.8  # a flat forecast: nan
