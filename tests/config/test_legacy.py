"""Names renamed in 0.2 are read for one release, with one deprecation line each."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from forecast.config import load_config
from forecast.errors import ConfigError

OLD = """\
data: {source: sample, ticker: IBM}
prep: {horizon: 2, calendar: [month], normalize: global}
model: {scope: ticker}
"""


def test_a_config_with_the_old_names_loads_with_the_new_ones_and_says_so(tmp_path: Path, caplog) -> None:
    path = tmp_path / "old.yaml"
    path.write_text(OLD)
    with caplog.at_level(logging.WARNING, logger="forecast.config.legacy"):
        config = load_config(path)
    assert (config.data.symbol, config.prep.output_steps, config.prep.calendar_features) == ("IBM", 2, ["month"])
    assert (config.prep.normalize, config.model.scope) == ("series", "symbol")
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        f"config {path}: data.ticker is now called data.symbol (the old name is read until version 0.3)",
        f"config {path}: prep.horizon is now called prep.output_steps (the old name is read until version 0.3)",
        f"config {path}: prep.calendar is now called prep.calendar_features (the old name is read until version 0.3)",
        f"config {path}: model.scope: ticker is now called symbol (the old name is read until version 0.3)",
        f"config {path}: prep.normalize: global is now called series (the old name is read until version 0.3)",
    ]


def test_an_old_key_on_the_command_line_sets_the_new_one(tmp_path: Path, caplog) -> None:
    path = tmp_path / "new.yaml"
    path.write_text("data: {source: sample, symbol: IBM}\n")
    with caplog.at_level(logging.WARNING, logger="forecast.config.legacy"):
        config = load_config(path, ["data.ticker=MSFT", "prep.horizon=3"])
    assert (config.data.symbol, config.prep.output_steps) == ("MSFT", 3)
    assert [r.getMessage().split(" (")[0] for r in caplog.records] == [
        "--set data.ticker=MSFT: data.ticker is now called data.symbol",
        "--set prep.horizon=3: prep.horizon is now called prep.output_steps",
    ]


def test_a_key_set_under_both_names_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "both.yaml"
    path.write_text("data: {source: sample, symbol: IBM, ticker: MSFT}\n")
    with pytest.raises(ConfigError, match=r"data.ticker and data.symbol are both set; ticker is the old name"):
        load_config(path)


def test_a_csv_names_its_series_after_the_file_in_the_resolved_config(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("data: {source: csv, path: 'my sales.csv'}\n")
    config = load_config(path)
    assert config.data.symbol == "MY-SALES"
    assert config.model_dump()["data"]["symbol"] == "MY-SALES"  # the run's config.yaml says it
