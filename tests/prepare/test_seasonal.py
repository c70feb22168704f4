"""Seasonal structure end to end: a seasonal difference trained, scored and forecast past one
season from the run directory alone; refused, with what to do, where the series has no season."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd


def monthly_csv(path: Path, years: int = 14, freq: str = "MS") -> None:
    rng = np.random.default_rng(0)
    dates = pd.date_range("2000-01-01", periods=12 * years, freq=freq)
    season = 5 * np.sin(2 * np.pi * np.arange(len(dates)) / 12)
    pd.DataFrame(
        {"date": dates, "y": 50 + 0.1 * np.arange(len(dates)) + season + rng.normal(0, 0.5, len(dates))}
    ).to_csv(path, index=False)


def config(path: Path, transform: str) -> Path:
    path.write_text(
        "data: {source: csv, path: m.csv, target: y}\n"
        f"prep: {{lookback: 12, target_transform: {transform}}}\n"
        "model: {units: [4], dense: []}\ntrain: {epochs: 2}\nevaluate: {competitors: []}\nplot: {enabled: false}\n"
    )
    return path


def test_a_seasonal_difference_is_trained_scored_and_forecast_past_one_season(invoke, tmp_path: Path) -> None:
    monthly_csv(tmp_path / "m.csv")
    result = invoke("train", "--config", str(config(tmp_path / "c.yaml", "diff_seasonal_diff")))
    assert result.exit_code == 0, result.output
    (run,) = (tmp_path / "runs").glob("c-*")
    encoding = json.loads((run / "encoding.json").read_text())
    assert encoding["target_transform"] == "diff_seasonal_diff" and encoding["season"] == 12
    assert encoding["columns"][0] == "y:diff_seasonal_diff"
    # The first 13 rows have no defined value: no training window reads them.
    split = np.load(run / "split.npz")
    assert split["train"].min() == 13 + 12
    forecast = invoke("predict", run.name, "--horizon", "30")
    assert forecast.exit_code == 0, forecast.output
    (published,) = (tmp_path / "runs").glob("predict-c-*")
    table = pd.read_csv(published / "forecast.csv")
    assert len(table) == 30 and np.isfinite(table["forecast"]).all()
    assert (table["date"].iloc[0], table["date"].iloc[-1]) == ("2014-01-01", "2016-06-01")  # past Dec 2013


def test_a_seasonal_difference_of_a_series_without_a_season_is_refused_with_what_to_do(invoke, tmp_path: Path) -> None:
    years = pd.date_range("1900-01-01", periods=80, freq="YS")
    pd.DataFrame({"date": years, "y": np.arange(80.0) % 7}).to_csv(tmp_path / "m.csv", index=False)
    result = invoke("train", "--config", str(config(tmp_path / "c.yaml", "seasonal_diff")))
    assert result.exit_code == 65, result.output
    assert "prep.target_transform seasonal_diff differences" in result.stderr and "has none" in result.stderr
    assert "set evaluate.season" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("model.keras"))
