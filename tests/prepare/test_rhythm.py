"""Defaults by rhythm (forecast/prepare/rhythm.py): the keys a config leaves unset take the values
measured for its series' rhythm; a key it sets keeps its value; prices keep the schema's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from forecast.config import build_config
from forecast.prepare.rhythm import for_series
from tests.pipeline.test_pipeline import stage_lines


def series(periods: int, freq: str) -> pd.DataFrame:
    index = pd.date_range("1990-01-01", periods=periods, freq=freq, name="date")
    return pd.DataFrame({"y": 10 + np.sin(np.arange(periods) / 2.0)}, index=index)


def csv_config(**sections: dict) -> object:
    return build_config({"data": {"source": "csv", "path": "m.csv", "target": "y"}, **sections})


def test_a_monthly_series_with_only_a_data_section_gets_the_seasonal_recipe() -> None:
    config = for_series(csv_config(), series(300, "MS"))
    assert config.prep.lookback == 36  # three seasons of 12
    assert config.prep.deseasonalize == "mstl"
    assert (config.model.units, config.model.dense) == ([32], [])
    assert (config.train.epochs, config.train.patience, config.train.batch_size) == (300, 20, 32)
    assert config.evaluate.combine is True


def test_a_key_the_config_sets_keeps_its_value() -> None:
    prep = {"lookback": 12, "target_transform": "diff"}
    given = csv_config(prep=prep, train={"epochs": 3}, evaluate={"combine": False})
    config = for_series(given, series(300, "MS"))
    assert (config.prep.lookback, config.train.epochs, config.evaluate.combine) == (12, 3, False)
    # A transform the user chose is not put after a deseasonalisation they did not ask for.
    assert config.prep.deseasonalize == "none"
    assert config.train.patience == 20  # what it left unset still follows the rhythm


@pytest.mark.parametrize(
    ("data", "freq"),
    [
        ({"source": "csv", "path": "m.csv", "target": "y"}, "B"),  # trading days: prices
        ({"source": "synthetic", "points": 300}, "D"),  # stand-in dates
        ({"source": "yahoo", "symbol": "MSFT", "interval": "1wk"}, "W"),  # prices at any bar size
    ],
)
def test_prices_and_the_synthetic_sine_keep_the_schemas_defaults(data: dict, freq: str) -> None:
    given = build_config({"data": data})
    assert for_series(given, series(300, freq)) is given


def test_yearly_data_has_no_season_to_remove_and_a_short_lookback() -> None:
    config = for_series(csv_config(), series(115, "YS"))
    assert (config.prep.lookback, config.prep.deseasonalize, config.evaluate.combine) == (8, "none", True)


def test_readings_of_an_hour_or_finer_keep_the_schemas_defaults() -> None:
    given = csv_config()
    assert for_series(given, series(3000, "30min")) is given
    assert for_series(given, series(3000, "h")) is given


def test_a_short_series_keeps_windows_to_learn_from_and_is_not_deseasonalised_without_two_seasons() -> None:
    config = for_series(csv_config(), series(100, "W-SUN"))  # 80 rows before the test part: under two years
    assert config.prep.lookback == 20  # not three years of weeks: a quarter of the rows
    assert config.prep.deseasonalize == "none"


def test_no_combination_without_a_validation_part() -> None:
    config = for_series(csv_config(prep={"val_fraction": 0}), series(300, "MS"))
    assert config.evaluate.combine is False


def test_train_records_the_rhythms_defaults_in_the_run_and_resumes_them_unchanged(invoke, tmp_path: Path) -> None:
    frame = series(120, "MS")
    frame["y"] += np.tile(np.arange(12.0), 10)
    frame.reset_index().to_csv(tmp_path / "m.csv", index=False)
    (tmp_path / "c.yaml").write_text(
        "data: {source: csv, path: m.csv, target: y}\nmodel: {units: [4]}\ntrain: {epochs: 2}\n"
        "evaluate: {competitors: []}\nplot: {enabled: false}\n"
    )
    result = invoke("train", "--config", str(tmp_path / "c.yaml"))
    assert result.exit_code == 0, result.output
    assert "defaults for months" in result.stderr and "prep.lookback 24" in result.stderr  # 96 rows // 4
    (run,) = (tmp_path / "runs").glob("c-*")
    recorded = yaml.safe_load((run / "config.yaml").read_text())
    assert recorded["prep"]["lookback"] == 24 and recorded["prep"]["deseasonalize"] == "mstl"
    assert recorded["model"]["units"] == [4] and recorded["model"]["dense"] == []  # units: the user's
    assert recorded["train"]["epochs"] == 2 and recorded["evaluate"]["combine"] is True
    assert "combination" in json.loads((run / "metrics.json").read_text())["metrics"]
    again = invoke("train", "--run-dir", str(run), "--config", str(tmp_path / "c.yaml"))
    assert again.exit_code == 0, again.output
    assert "defaults for months" in again.stderr
    assert set(stage_lines(again).values()) == {"unchanged, skipped"}  # the same values, the same hashes


def test_config_show_says_which_keys_a_rhythm_may_still_set(invoke, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("data: {source: csv, path: m.csv, target: y}\nprep: {lookback: 12}\n")
    shown = invoke("config", "show", str(tmp_path / "c.yaml"))
    assert shown.exit_code == 0 and yaml.safe_load(shown.stdout)["prep"]["lookback"] == 12  # stdout: the YAML only
    assert "note: prep.deseasonalize, model.units" in shown.stderr and "prep.lookback" not in shown.stderr
    (tmp_path / "y.yaml").write_text("data: {source: yahoo, symbol: MSFT}\n")  # prices: nothing to say
    assert "note:" not in invoke("config", "show", str(tmp_path / "y.yaml")).stderr
