"""evaluate.season: auto takes the natural season of the series' own dates (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

CONFIG = """\
name: s
data: {source: csv, path: series.csv, target: value}
prep: {lookback: 4, test_fraction: 0.25, val_fraction: 0.2, target_transform: diff}
model: {kind: gru, units: [2], dense: []}
train: {epochs: 1, seed: 1}
evaluate: {competitors: [auto_ets]}  # the season is what is tested, not the competitors (seconds each)
plot: {enabled: false, report: true}
"""


def series_csv(tmp_path: Path, freq: str, rows: int) -> Path:
    dates = pd.date_range("1900-01-01", periods=rows, freq=freq)
    values = 10 + np.sin(np.arange(rows) / 3.0) + np.arange(rows) * 0.01
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "value": values}).to_csv(tmp_path / "series.csv", index=False)
    (tmp_path / "s.yaml").write_text(CONFIG)
    return tmp_path / "s.yaml"


def metrics(tmp_path: Path) -> dict:
    (run,) = (tmp_path / "runs").glob("s-*")
    return json.loads((run / "metrics.json").read_text())


SEASONAL = [("W-SUN", 260, "weeks", 52), ("MS", 120, "months", 12), ("QS", 80, "quarters", 4)]


@pytest.mark.parametrize(("freq", "rows", "frequency", "season"), SEASONAL)
def test_auto_season_follows_the_dates(invoke, tmp_path: Path, freq: str, rows: int, frequency: str, season) -> None:
    config = series_csv(tmp_path, freq, rows)
    result = invoke("train", "--config", str(config))
    assert result.exit_code == 0, result.output
    found = metrics(tmp_path)
    assert (found["frequency"], found["season"]) == (frequency, season)
    assert "seasonal_naive" in found["metrics"]
    step = frequency.removesuffix("s")  # the verdict speaks the series' rhythm, not "tomorrow = today"
    assert f"the naive forecast (next {step} = this {step})" in result.stdout
    (run,) = (tmp_path / "runs").glob("s-*")
    assert json.loads((run / "manifest.json").read_text())["stages"]["snapshot"]["info"]["frequency"] == frequency
    assert f"<dt>frequency</dt><dd>{frequency}</dd>" in (run / "report.html").read_text()


def test_yearly_data_has_no_season_and_no_seasonal_naive_unless_set(invoke, tmp_path: Path) -> None:
    config = series_csv(tmp_path, "YS", 80)
    result = invoke("train", "--config", str(config))
    assert result.exit_code == 0, result.output
    found = metrics(tmp_path)
    assert (found["frequency"], found["season"]) == ("years", None)
    assert "seasonal_naive" not in found["metrics"] and "seasonal_naive" not in result.stdout
    (run,) = (tmp_path / "runs").glob("s-*")
    assert invoke("evaluate", run.name, "--set", "evaluate.season=4").exit_code == 0
    (rescored,) = (tmp_path / "runs").glob(f"{run.name}-rescored-*")  # the run itself keeps its scores
    again = json.loads((rescored / "metrics.json").read_text())
    assert again["season"] == 4 and "seasonal_naive" in again["metrics"]


def test_counts_get_no_band_below_zero_in_evaluate_or_predict(invoke, tmp_path: Path) -> None:
    config = series_csv(tmp_path, "W-SUN", 400)
    counts = np.random.default_rng(3).poisson(0.7, 400)  # mostly 0 and 1: the bands would reach below zero
    pd.read_csv(tmp_path / "series.csv").assign(value=counts).to_csv(tmp_path / "series.csv", index=False)
    assert invoke("train", "--config", str(config)).exit_code == 0
    (run,) = (tmp_path / "runs").glob("s-*")
    predictions = pd.read_csv(run / "predictions.csv")
    half = predictions["upper_80"] - predictions["predicted"]
    assert (predictions["predicted"] - half < 0).any()  # where the band would have gone below zero ...
    assert predictions["lower_80"].min() == 0.0  # ... it stops at zero
    future = invoke("predict", run.name, "--horizon", "3", "--json")
    assert future.exit_code == 0, future.output
    assert min(row["lower_80"] for row in json.loads(future.stdout)["forecast"]) >= 0.0


def test_a_config_written_for_another_series_does_not_cut_this_one_unseen(invoke, tmp_path: Path) -> None:
    """The shipped configs keep MSFT's span (2000-03-01 .. 2013-03-02): a weekly CSV since
    1970 read through one is cut to 13 of its 44 years, and that is said, with the fix."""
    dates = pd.date_range("1970-01-04", periods=2284, freq="W-SUN")
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "value": np.arange(2284) % 52 + 10.0}).to_csv(
        tmp_path / "weekly.csv", index=False
    )
    shipped = str(Path(__file__).parents[2] / "configs" / "lstm.yaml")
    common = ["--set", f"data.path={tmp_path / 'weekly.csv'}", "--set", "data.source=csv", "--set", "data.symbol=W",
              "--set", "data.target=value", "--set", "train.epochs=1", "--set", "model.units=[2]",
              "--set", "evaluate.competitors=[auto_ets]"]  # fmt: skip
    result = invoke("train", "--config", shipped, *common)
    assert result.exit_code == 0, result.output
    assert "data.start 2000-03-01, data.end 2013-03-02 keep 678 of its 2284 rows" in result.stderr
    assert "set them to null to use the whole file" in result.stderr
    short = invoke("train", "--config", shipped, *common, "--set", "data.end=2001-06-01")
    assert short.exit_code == 65
    assert "widen or drop data.start, data.end (set to null) or lower prep.lookback" in short.stderr


def test_a_gap_in_the_dates_is_said_before_training(invoke, tmp_path: Path) -> None:
    config = series_csv(tmp_path, "D", 200)
    table = pd.read_csv(tmp_path / "series.csv")
    table.drop(index=range(100, 110)).to_csv(tmp_path / "series.csv", index=False)  # ten days without a reading
    result = invoke("train", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "SERIES value: 1 gap(s) in its dates longer than 3 days (the longest 11 days, after 1900-04-10)" in (
        result.stderr
    )
