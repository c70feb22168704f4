"""Walk-forward backtests: fold plans, no look-ahead in any scaler fit, outputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.config import Config
from forecast.folds.plan import plan_folds
from forecast.folds.run import run_fold_stack
from forecast.prepare.encoding import Encoding
from forecast.scoring.verdict import Verdict, tally


def config(**backtest) -> Config:
    return Config.model_validate(
        {
            "data": {"source": "synthetic", "target": "value"},
            "prep": {"lookback": 4, "test_fraction": 0.3, "val_fraction": 0.2, "target_transform": "none"},
            "model": {"kind": "rnn", "units": [2], "dense": []},
            "train": {"epochs": 1, "batch_size": 64, "patience": 0},
            "evaluate": {"backtest": {"folds": 3, **backtest}},
        }
    )


def test_folds_tile_the_test_part_in_order() -> None:
    folds = plan_folds(100, config())
    assert [(f.test_start, f.test_end) for f in folds] == [(70, 80), (80, 90), (90, 100)]
    assert {f.train_start for f in folds} == {0}
    sliding = plan_folds(100, config(mode="sliding"))
    assert [(f.train_start, f.test_start) for f in sliding] == [(0, 70), (10, 80), (20, 90)]  # 70 rows each


@pytest.mark.parametrize("spec", [{}, {"mode": "sliding"}, {"refit": False}])
def test_no_scaler_fit_sees_a_value_after_its_folds_training_end(spec: dict, monkeypatch) -> None:
    # Each value is its own row number, so a fitted maximum names the last row seen.
    frame = pd.DataFrame(
        {"value": np.arange(120, dtype="float64") + 1000}, index=pd.bdate_range("2020-01-01", periods=120)
    )
    fitted: list[tuple[float, float]] = []
    real_fit = Encoding.fit.__func__

    def spy(cls, values, split, prep, columns, transform, season):
        seen = values[split.train_start : split.test_start]  # what the encoding is fitted on
        fitted.append((float(np.min(seen)) - 1000, float(np.max(seen)) - 1000))
        return real_fit(cls, values, split, prep, columns, transform, season)

    monkeypatch.setattr(Encoding, "fit", classmethod(spy))
    tasks = []  # what each fold's statistical competitors are fitted on and forecast

    def competitors(names, task, timeout, memo=None, of=""):
        tasks.append(task)
        return real_competitors(names, task, timeout, memo, of)

    from forecast.scoring import competitors as fitting

    real_competitors = fitting.run
    monkeypatch.setattr(fitting, "run", competitors)
    cfg = config(**spec)
    results = run_fold_stack(frame, cfg)
    folds = plan_folds(120, cfg)
    assert len(fitted) == len(folds) == len(results) == len(tasks) == 3
    for (low, high), fold, result, task in zip(fitted, folds, results, tasks, strict=True):
        assert low == fold.train_start and high == fold.test_start - 1  # exactly the training rows
        assert result.evaluated.rows.min() >= fold.test_start  # every test target after the training end
        assert result.evaluated.rows.max() < fold.test_end
        # The competitors are fitted like the model: this fold's training rows (fold 1's without refit).
        fitted_on = folds[0] if spec.get("refit") is False else fold
        assert task.fit_rows == (fitted_on.train_start, fitted_on.test_start)
        assert np.array_equal(task.starts, result.evaluated.rows[:, 0])
        assert set(result.evaluated.metrics) >= {"auto_ets", "auto_arima", "auto_theta"}
    if spec.get("refit") is False:
        assert [r.epochs_run for r in results] == [1, None, None]  # trained once, reused


def test_backtest_command_writes_report_predictions_and_plot(invoke, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "data: {source: synthetic, points: 300, target: value}\n"
        "prep: {lookback: 5, test_fraction: 0.3}\n"
        "model: {kind: gru, units: [3], dense: []}\n"
        "train: {epochs: 2, patience: 0}\n"
        "evaluate: {backtest: {folds: 3}}\n"
        "plot: {dpi: 50}\n"
    )
    result = invoke("backtest", "--config", str(tmp_path / "c.yaml"))
    assert result.exit_code == 0, result.output
    # Each fold is announced before it trains, its scores said after.
    said = [line.split(":")[0] + (" scored" if "RMSE" in line else " starts")
            for line in result.stderr.splitlines() if line.startswith("fold ")]  # fmt: skip
    assert said == [f"fold {n}/3 {when}" for n in (1, 2, 3) for when in ("starts", "scored")]
    assert "fold 2/3: training on 2000-" in result.stderr and ", testing 2000-" in result.stderr
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("c-backtest-")
    assert {p.name for p in run.iterdir()} >= {
        "backtest.json",
        "backtest_predictions.csv",
        "backtest.png",
        "manifest.json",
    }
    report = json.loads((run / "backtest.json").read_text())
    assert json.loads((run / "manifest.json").read_text())["status"] == "complete"
    folds = report["folds"]
    for fold in folds:
        assert fold["scaler_fitted_on"]["last"] == fold["train"]["last"] < fold["test"]["first"]
    rmses = [f["metrics"]["model"]["rmse"] for f in folds]
    assert report["summary"]["model"]["rmse"]["mean"] == pytest.approx(np.mean(rmses))
    assert report["summary"]["model"]["rmse"]["std"] == pytest.approx(np.std(rmses, ddof=1))
    table = pd.read_csv(run / "backtest_predictions.csv", parse_dates=["date"])
    assert list(table.columns[:4]) == ["fold", "date", "step", "actual"] and "naive" in table.columns
    ends = table.groupby("fold")["date"].agg(["min", "max"])
    assert (ends["max"].iloc[:-1].to_numpy() < ends["min"].iloc[1:].to_numpy()).all()  # folds in order, no overlap
    assert "mean over 3 folds" in result.stdout
    # Each fold names its best competitor (the lowest RMSE among them) and judges the model against it
    # and naive by the one rule; the summary counts the folds' verdicts.
    for fold in folds:
        rivals = {name: fold["metrics"][name]["rmse"] for name in ("auto_ets", "auto_arima", "auto_theta")}
        assert fold["best_competitor"]["against"] == min(rivals, key=rivals.get)
        naive, rival = (Verdict.model_validate(fold["verdicts"]["model"][k]) for k in ("naive", "competitor"))
        assert naive.p_value == fold["diebold_mariano"]["model"]["p_value"]
        assert (
            rival.against == fold["best_competitor"]["against"] and rival.p_value == fold["best_competitor"]["p_value"]
        )
    for against in ("naive", "competitor"):
        said = tally([Verdict.model_validate(f["verdicts"]["model"][against]) for f in folds], "folds")
        assert f"gru over the folds: {said}" in result.stdout


def test_too_many_folds_is_refused_with_numbers(invoke, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "data: {source: synthetic, points: 60, target: value}\nprep: {lookback: 5}\ntrain: {epochs: 1}\n"
        "evaluate: {backtest: {folds: 20}}\n"
    )
    result = invoke("backtest", "--config", str(tmp_path / "c.yaml"))
    assert (
        result.exit_code == 65
        and "20 backtest folds over the 12 test rows" in result.stderr
        and "fewer evaluate.backtest.folds" in result.stderr
    )


def test_each_folds_combination_is_weighted_on_its_own_validation_windows(monkeypatch) -> None:
    frame = pd.DataFrame(
        {"value": 100 + np.cumsum(np.random.default_rng(5).normal(size=160))},
        index=pd.bdate_range("2020-01-01", periods=160),
    )
    from forecast.folds import report as backtest
    from forecast.scoring import competitors as fitting

    tasks = []
    real_competitors = fitting.run

    def competitors(names, task, timeout, memo=None, of=""):
        tasks.append(task)
        return real_competitors(names, task, timeout, memo, of)

    monkeypatch.setattr(fitting, "run", competitors)
    raw = config().model_dump(mode="json")
    raw["evaluate"].update(combine=True, competitors=["auto_ets"])
    results = run_fold_stack(frame, Config.model_validate(raw))
    assert len(tasks) == 2 * len(results)  # per fold: the test windows, then the validation windows
    for fold_result, test_task, val_task in zip(results, tasks[::2], tasks[1::2], strict=True):
        fold = fold_result.fold
        assert np.array_equal(test_task.starts, fold_result.evaluated.rows[:, 0])
        # The validation windows come before the test part, and the competitor forecasting
        # them is fitted on the rows before the first of them.
        assert val_task.starts.max() + val_task.horizon <= fold.test_start
        assert val_task.fit_rows == (fold.train_start, int(val_task.starts.min()))
        # The fold's weights, as recorded, give its combination from its members.
        forecasts, weights = fold_result.evaluated.forecasts, fold_result.evaluated.combination.weights
        assert list(weights) == ["model", "auto_ets", "naive"]
        assert min(weights.values()) >= 0 and sum(weights.values()) == pytest.approx(1.0)
        weighted = sum(weight * forecasts[name] for name, weight in weights.items())
        assert np.allclose(weighted, forecasts["combination"])
    recorded = backtest.report(results, frame, Config.model_validate(raw))["folds"]
    assert [fold["combination"]["weights"] for fold in recorded] == [r.evaluated.combination.weights for r in results]


@pytest.mark.slow
def test_folds_in_parallel_processes_give_the_serial_results_byte_for_byte(invoke, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "data: {source: synthetic, points: 300, target: value}\nprep: {lookback: 5, test_fraction: 0.3}\n"
        "model: {kind: lstm, units: [3], dense: []}\ntrain: {epochs: 2, patience: 0}\n"
        "evaluate: {backtest: {folds: 3}}\nplot: {enabled: false}\n"
    )
    made = {}
    for workers in ("1", "2"):
        runs = tmp_path / f"runs-{workers}"
        result = invoke("backtest", "--config", str(tmp_path / "c.yaml"), "--workers", workers, "--runs-dir", str(runs))
        assert result.exit_code == 0, result.output
        (made[workers],) = runs.iterdir()
    serial, parallel = made["1"], made["2"]
    assert (parallel / "backtest_predictions.csv").read_bytes() == (serial / "backtest_predictions.csv").read_bytes()

    def folds(run: Path) -> list[dict]:  # everything but how long each fold took
        return [
            {k: v for k, v in f.items() if k != "fit_seconds"}
            for f in json.loads((run / "backtest.json").read_text())["folds"]
        ]

    assert folds(parallel) == folds(serial)


def test_an_error_in_a_worker_process_keeps_its_class_and_hint() -> None:
    import pickle

    from forecast.errors import DataError

    error = pickle.loads(pickle.dumps(DataError("backtest fold 2 has 0 training windows", hint="use fewer folds")))
    assert type(error) is DataError and error.exit_code == 65 and error.hint == "use fewer folds"
    assert str(error) == "backtest fold 2 has 0 training windows (use fewer folds)"


def test_a_failure_reported_as_data_gets_the_class_of_its_exit_code() -> None:
    from forecast.errors import ConfigError, DataError, DependencyError, ForecastError, with_exit_code

    assert type(with_exit_code(65, "fold 2")) is DataError and str(with_exit_code(65, "fold 2")) == "fold 2"
    assert type(with_exit_code(71, "x")) is DependencyError and type(with_exit_code(78, "x")) is ConfigError
    assert type(with_exit_code(1, "a bug")) is ForecastError and type(with_exit_code(99, "?")) is ForecastError
