"""The Python API (forecast/__init__.py): the commands called directly, not through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast

TINY = {
    "name": "sales",
    "data": {},
    "prep": {"lookback": 12, "val_fraction": 0.2},
    "model": {"units": [4], "dense": []},
    "train": {"epochs": 2, "batch_size": 32},
    # One quick competitor: these tests are about the API; a seasonal AutoARIMA on the monthly
    # series took 10 s of the suite's time (the README session fits all three on real months).
    "evaluate": {"competitors": ["auto_ets"]},
    "plot": {"enabled": False, "report": False},
}


def monthly(n: int = 160, name: str | None = "sales") -> pd.Series:
    dates = pd.date_range("2000-01-31", periods=n, freq="ME")
    noise = np.random.default_rng(0).normal(0, 0.1, n)
    return pd.Series(10 + np.sin(np.arange(n) * 2 * np.pi / 12) + noise, index=dates, name=name)


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("api")
    return {"runs_dir": base / "runs", "data_dir": base / "data"}


@pytest.fixture(scope="module")
def trained(roots: dict[str, Path]) -> forecast.Run:
    return forecast.train(TINY, data=monthly(), **roots)


def test_a_series_from_python_is_trained_into_an_ordinary_run(trained: forecast.Run, roots: dict[str, Path]) -> None:
    assert trained.status == "complete"
    assert trained.name.startswith("sales-") and trained.path.parent == roots["runs_dir"]
    data = trained.config.data
    assert (data.source, data.symbol, data.target) == ("frame", "SALES", "sales")
    # The series went to the cache as the user gave it: every value, in date order.
    cached = pd.read_parquet(roots["data_dir"] / "frame" / "SALES_1mo.parquet")
    assert np.allclose(cached["sales"].to_numpy(), monthly().to_numpy())
    metrics = trained.metrics
    assert set(metrics.scores) >= {"model", "naive"} and metrics.test.windows > 0
    assert metrics.rmse == metrics.scores["model"]["rmse"] and metrics.beats_naive == metrics.verdict().better
    assert metrics.skill == pytest.approx(1 - metrics.rmse / metrics.naive_rmse)
    assert metrics.to_json() == json.loads((trained.path / "metrics.json").read_text())  # the file, typed
    predictions = trained.predictions
    assert len(predictions) == metrics.test.windows and predictions["date"].dtype.kind == "M"
    assert np.allclose(((predictions["predicted"] - predictions["actual"]) ** 2).mean() ** 0.5, metrics.rmse)
    actual = monthly().reindex(predictions["date"]).to_numpy()
    assert np.allclose(predictions["actual"], actual)  # scored against the series' own values


def test_run_predict_forecasts_the_dated_future_in_memory(trained: forecast.Run, roots: dict[str, Path]) -> None:
    before = sorted(p.name for p in roots["runs_dir"].iterdir())
    result = trained.predict(5, data_dir=roots["data_dir"])
    table = result.table
    assert list(table["step"]) == [1, 2, 3, 4, 5]
    # Month ends after the last one, as the series is dated.
    assert [str(d) for d in table["date"]] == ["2013-05-31", "2013-06-30", "2013-07-31", "2013-08-31", "2013-09-30"]
    assert np.isfinite(table["forecast"]).all()
    assert sorted(p.name for p in roots["runs_dir"].iterdir()) == before  # nothing written


def test_predict_writes_a_predict_run_with_the_same_forecast(trained: forecast.Run, roots: dict[str, Path]) -> None:
    done = forecast.predict(trained, horizon=3, **roots)  # a Run is path-like
    written = pd.read_csv(done.run / "forecast.csv")
    assert np.allclose(written["forecast"], trained.predict(3, data_dir=roots["data_dir"]).table["forecast"])


def test_open_run_finds_a_run_by_name_folder_or_path(trained: forecast.Run, roots: dict[str, Path]) -> None:
    for given in ("sales", trained.name, trained.path, trained):
        assert forecast.open_run(given, runs_dir=roots["runs_dir"]).path == trained.path


def test_resume_reruns_nothing_when_nothing_changed(trained: forecast.Run, roots: dict[str, Path]) -> None:
    events: list[tuple[str, str]] = []
    model = (trained.path / "model.keras").read_bytes()
    again = forecast.resume(trained.path, data_dir=roots["data_dir"], listener=lambda s, st, r: events.append((s, st)))
    assert again.path == trained.path
    assert {status for _, status in events} == {"skipped"} and len(events) == 7
    assert (trained.path / "model.keras").read_bytes() == model


def test_config_from_a_path_with_overrides(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("data: {source: synthetic, points: 200}\nprep: {lookback: 5}\n")
    config = forecast.load_config(tmp_path / "c.yaml", ["prep.lookback=7"])
    assert config.name == "c" and config.prep.lookback == 7 and config.data.source == "synthetic"


def test_mistakes_raise_the_forecast_error_family(roots: dict[str, Path]) -> None:
    with pytest.raises(forecast.ConfigError, match=r"prep.lokback: unknown key; did you mean 'lookback'"):
        forecast.train({**TINY, "prep": {"lokback": 3}}, data=monthly(), **roots)
    undated = pd.Series([1.0, 2.0, 3.0], name="x")
    with pytest.raises(forecast.DataError, match="data for X has no dates"):
        forecast.train(TINY, data=undated, **roots)
    two = pd.DataFrame({"a": monthly(), "b": monthly()})
    with pytest.raises(forecast.DataError, match=r"data.target adj_close is not a column .* \(it has: a, b\)"):
        forecast.train(TINY, data=two, **roots)
    universe = {**TINY, "data": {"symbols": ["MSFT", "IBM"], "source": "sample"}}
    with pytest.raises(forecast.UsageError, match="data= is one series"):
        forecast.train(universe, data=monthly(), **roots)
    assert issubclass(forecast.ConfigError, forecast.ForecastError)


def test_backtest_takes_a_series_too(roots: dict[str, Path]) -> None:
    config = {**TINY, "name": "folds", "evaluate": {**TINY["evaluate"], "backtest": {"folds": 2, "refit": False}}}
    done = forecast.backtest(config, data=monthly(name="folds"), **roots)
    assert [fold.fold for fold in done.report.folds] == [1, 2]
    assert (done.run / "backtest.json").is_file()


def test_a_model_worse_than_naive_is_said_to_a_python_caller_too(roots: dict[str, Path], caplog) -> None:
    # An untrained network (learning rate ~0) forecasts about one level for a wandering series:
    # far worse than the last value, whatever the seed.
    walk = pd.Series(100 + np.cumsum(np.random.default_rng(3).normal(0, 1, 200)), name="walk",
                     index=pd.date_range("2020-01-01", periods=200, freq="D"))  # fmt: skip
    config = {**TINY, "name": "untrained", "train": {"epochs": 1, "learning_rate": 1e-9}}
    with caplog.at_level("WARNING", logger="forecast"):
        run = forecast.train(config, data=walk, **roots)
    assert run.metrics.rmse > 2 * run.metrics.naive_rmse and not run.metrics.beats_naive
    verdict = run.metrics.verdict()
    assert verdict.worse and f"on the test part {verdict.advice()}" in caplog.text
