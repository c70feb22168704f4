"""The staged pipeline end to end on tiny models: artifacts, alignment, leakage,
resume and skip, interruption, reproducibility, and the checks before training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from forecast.config import load_config
from forecast.network.inputs import part
from forecast.pipeline import stages
from forecast.pipeline.stages import Context
from forecast.rundir import RunDir, artifacts
from forecast.scoring.significance import diebold_mariano

from ..conftest import snapshot_tree, yahoo_frame

TINY = """\
name: tiny
data: {source: synthetic, points: 240, seed: 1, target: value}
prep: {lookback: 6, test_fraction: 0.2, val_fraction: 0.2, target_transform: none}
model: {kind: gru, units: [4], dense: []}
train: {epochs: 3, batch_size: 32, patience: 2, seed: 7}
plot: {dpi: 50}
"""
ARTIFACTS = [
    ".lock", "config.yaml", "manifest.json", "series.parquet", "encoding.json", "split.npz", "model.keras",
    "history.csv", "competitors.npz", "predictions.csv", "metrics.json", "validation.npz", "forecast.png",
    "residuals.png", "loss.png",
    "report.html",
]  # fmt: skip


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def only_run(tmp_path: Path) -> Path:
    (run,) = sorted((tmp_path / "runs").iterdir())
    return run


def stage_lines(result) -> dict[str, str]:
    return {
        line.split()[0]: line.split(None, 1)[1]
        for line in result.stderr.splitlines()
        if line.split()
        and line.split()[0] in {"snapshot", "encode", "split", "train", "competitors", "evaluate", "plot"}
        and "..." not in line
        and "training" not in line
    }


def test_train_writes_every_artifact_and_an_honest_summary(invoke, tiny: Path, tmp_path: Path) -> None:
    result = invoke("train", "--config", str(tiny))
    assert result.exit_code == 0, result.output
    run = only_run(tmp_path)
    assert run.name.startswith("tiny-SINE-") and run.name.endswith("Z")  # the config's name, the series'
    assert sorted(p.name for p in run.iterdir()) == sorted(ARTIFACTS)
    out = result.stdout
    assert f"run   {run}" in out
    header, *rows, scale = out.split("\n\n")[1].splitlines()
    assert scale.startswith("MASE: MAE / the training part's in-sample one-step naive MAE")
    assert header.split() == ["forecaster", "RMSE", "MAE", "MAPE%", "sMAPE%", "MASE", "dir.acc", "skill", "DM", "p"]
    assert [r.split()[0] for r in rows] == [
        "gru", "auto_ets", "auto_arima", "auto_theta", "naive", "seasonal_naive", "drift", "window_mean",
    ]  # fmt: skip
    metrics = json.loads((run / "metrics.json").read_text())
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["seed"] == 7
    assert set(manifest["versions"]) >= {"python", "tensorflow", "keras", "numpy", "pandas", "yfinance"}
    assert manifest["data_fingerprint"] == manifest["stages"]["snapshot"]["outputs"]["series.parquet"]
    for record in manifest["stages"].values():
        assert record["status"] == "done" and record["seconds"] >= 0 and "started" in record
    verdict = "beats" if metrics["beats_naive"] else "is WORSE than"
    assert f"the gru {verdict} the naive forecast (tomorrow = today)" in out


def test_predictions_are_aligned_and_reload_from_the_run_alone(trained_copy) -> None:
    run = trained_copy(TINY)
    series = pd.read_parquet(run / "series.parquet")["value"]
    predictions = pd.read_csv(run / "predictions.csv", parse_dates=["date"])
    assert list(predictions.columns) == [
        "date", "step", "actual", "predicted", "auto_ets", "auto_arima", "auto_theta",
        "naive", "seasonal_naive", "drift", "window_mean", "lower_80", "upper_80", "lower_95", "upper_95",
    ]  # fmt: skip
    # Each actual is the series value on its date; naive is the value of the trading row before.
    assert np.allclose(predictions["actual"], series.loc[predictions["date"]].to_numpy())
    before = series.index.get_indexer(predictions["date"]) - 1
    assert np.allclose(predictions["naive"], series.iloc[before].to_numpy())
    assert len(predictions) == 48  # 240 rows, test_fraction 0.2
    scaler = json.loads((run / "encoding.json").read_text())
    assert pd.Timestamp(scaler["fitted_on"]["last"]) < predictions["date"].min()
    # Reload the model from the run directory alone and reproduce the first prediction.
    import keras

    model = keras.saving.load_model(run / "model.keras")
    lo, hi = scaler["data_min"][0], scaler["data_max"][0]
    first = series.index.get_loc(predictions["date"].iloc[0])
    window = ((series.iloc[first - 6 : first].to_numpy() - lo) / (hi - lo)).reshape(1, 6, 1)
    predicted = model.predict(window, verbose=0)[0, 0] * (hi - lo) + lo
    assert predicted == pytest.approx(predictions["predicted"].iloc[0], rel=1e-5)
    metrics = json.loads((run / "metrics.json").read_text())
    errors = predictions["predicted"] - predictions["actual"]
    assert metrics["metrics"]["model"]["rmse"] == pytest.approx(float(np.sqrt((errors**2).mean())))
    # Every baseline is scored on the same rows; the synthetic series is daily with weekends, so
    # evaluate.season auto is a week and seasonal naive is the value 7 rows back.
    assert set(metrics["metrics"]) == {
        "model", "auto_ets", "auto_arima", "auto_theta", "naive", "seasonal_naive", "drift", "window_mean",
    }  # fmt: skip
    assert (metrics["frequency"], metrics["season"]) == ("calendar days", 7)
    assert np.allclose(predictions["seasonal_naive"], series.iloc[before - 6].to_numpy())
    assert 0 <= metrics["diebold_mariano"]["model"]["p_value"] <= 1
    # The competitors forecast the same rows; the verdict's test is against the best of them.
    competitors = metrics["competitors"]
    best = min(competitors["fitted"], key=lambda name: metrics["metrics"][name]["rmse"])
    assert competitors["best"]["against"] == best and competitors["skipped"] == {}
    actual = predictions["actual"]
    by_hand = diebold_mariano(predictions["predicted"] - actual, predictions[best] - actual)
    assert competitors["best"]["p_value"] == pytest.approx(by_hand["p_value"])
    # Intervals: nested bands around the forecast, coverage as stated, calibrated before the test part.
    p = predictions
    assert (p["lower_95"] <= p["lower_80"]).all() and (p["lower_80"] < p["predicted"]).all()
    assert (p["predicted"] < p["upper_80"]).all() and (p["upper_80"] <= p["upper_95"]).all()
    intervals = metrics["intervals"]
    inside = ((p["actual"] >= p["lower_80"]) & (p["actual"] <= p["upper_80"])).mean()
    assert intervals["coverage"]["80"]["test"] == pytest.approx(inside)
    assert pd.Timestamp(intervals["calibration"]["last"]) < predictions["date"].min()
    assert intervals["calibration"]["last"] == scaler["fitted_on"]["last"]


def test_scaler_is_fitted_on_the_training_part_only(tmp_path: Path) -> None:
    # A rising line: the test part lies entirely above the training maximum.
    dates = pd.bdate_range("2020-01-01", periods=100)
    pd.DataFrame({"date": dates, "close": np.arange(100.0) + 10}).to_csv(tmp_path / "line.csv", index=False)
    (tmp_path / "c.yaml").write_text(
        "data: {source: csv, path: line.csv, target: close}\n"
        "prep: {lookback: 5, test_fraction: 0.2, target_transform: none}\n"
    )
    config = load_config(tmp_path / "c.yaml")
    run = RunDir.create(tmp_path / "runs", "leak")
    ctx = Context(config, run, tmp_path / "data")
    stages.snapshot(ctx), stages.encode(ctx), stages.split(ctx)
    scaler = json.loads((run.path / "encoding.json").read_text())
    assert scaler["data_max"] == [89.0] and scaler["data_min"] == [10.0]  # rows 0..79 only
    encoding, w = artifacts.read_encoding(run), artifacts.read_split(run)
    _, y_train = part(w, "train", encoding)
    _, y_test = part(w, "test", encoding)
    assert y_train.max() <= 1.0 + 1e-6
    assert y_test.min() > 1.0  # the test part is beyond the fitted range, not clipped


def test_rerun_skips_unchanged_stages_and_reruns_what_changed(invoke, tiny: Path, tmp_path: Path) -> None:
    invoke("train", "--config", str(tiny))
    run = only_run(tmp_path)
    before = snapshot_tree(run)

    same = invoke("train", "--run-dir", str(run))
    assert same.exit_code == 0, same.output
    assert set(stage_lines(same).values()) == {"unchanged, skipped"}
    after = snapshot_tree(run)
    # The manifest and report.html record when the run was last completed (to the second); every artifact stays.
    views = {"manifest.json", "report.html"}
    assert {k: v for k, v in after.items() if k not in views} == {k: v for k, v in before.items() if k not in views}

    plot_only = stage_lines(invoke("train", "--run-dir", str(run), "--set", "plot.dpi=55"))
    assert [s for s, status in plot_only.items() if not status.startswith("unchanged")] == ["plot"]

    retrain = stage_lines(invoke("train", "--run-dir", str(run), "--set", "train.epochs=2"))
    assert [s for s, status in retrain.items() if status.startswith("unchanged")] == ["snapshot", "encode", "split"]
    assert yaml.safe_load((run / "config.yaml").read_text())["train"]["epochs"] == 2  # the resolved config is kept

    forced = stage_lines(invoke("train", "--run-dir", str(run), "--force"))
    assert all(status.startswith("done") for status in forced.values()) and len(forced) == 7


def test_interrupted_training_is_recorded_and_resumed(invoke, tiny: Path, tmp_path: Path, monkeypatch) -> None:
    import forecast.network.training

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(forecast.network.training, "fit", interrupted)
    result = invoke("train", "--config", str(tiny))
    assert result.exit_code == 130
    run = only_run(tmp_path)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["stages"]["train"]["status"] == "interrupted"
    assert not (run / "model.keras").exists()
    assert "resume with: forecast train --run-dir" in result.stderr

    monkeypatch.undo()
    resumed = invoke("train", "--run-dir", str(run))
    assert resumed.exit_code == 0, resumed.output
    lines = stage_lines(resumed)
    assert [s for s, status in lines.items() if status.startswith("unchanged")] == ["snapshot", "encode", "split"]
    assert json.loads((run / "manifest.json").read_text())["status"] == "complete"


def test_same_config_data_and_seed_give_the_same_metrics(invoke, tiny: Path, tmp_path: Path) -> None:
    invoke("train", "--config", str(tiny))
    invoke("train", "--config", str(tiny))
    first, second = sorted((tmp_path / "runs").iterdir())
    assert (first / "metrics.json").read_bytes() == (second / "metrics.json").read_bytes()
    assert (first / "predictions.csv").read_bytes() == (second / "predictions.csv").read_bytes()


def test_checks_before_training(invoke, tiny: Path, tmp_path: Path) -> None:
    # Too short for its split: found by the encode stage, in the run it marks failed.
    short = invoke("train", "--config", str(tiny), "--set", "data.points=10")
    assert short.exit_code == 65, short.output
    assert "10 rows with lookback 6 + output_steps 1 and test_fraction 0.2 leave no training windows" in short.stderr
    assert "marked failed" in short.stderr and "Traceback" not in short.output
    runs = list((tmp_path / "runs").iterdir())
    # A column the series lacks: found when the series is loaded, before any run folder exists.
    missing = invoke("train", "--config", str(tiny), "--set", "data.target=close")
    assert missing.exit_code == 65, missing.output
    assert "column(s) close not in the SINE series" in missing.stderr and "marked failed" not in missing.stderr
    assert list((tmp_path / "runs").iterdir()) == runs


def test_constant_series_is_refused_with_its_value(invoke, tmp_path: Path) -> None:
    dates = pd.bdate_range("2020-01-01", periods=60)
    pd.DataFrame({"date": dates, "close": 7.5}).to_csv(tmp_path / "flat.csv", index=False)
    (tmp_path / "flat.yaml").write_text("data: {source: csv, path: flat.csv, target: close}\nprep: {lookback: 5}\n")
    result = invoke("train", "--config", str(tmp_path / "flat.yaml"))
    assert result.exit_code == 65 and "close of FLAT are constant (7.5)" in result.stderr


def test_missing_target_values_are_refused_with_dates(invoke, fake_yahoo, tmp_path: Path) -> None:
    frame = yahoo_frame(days=80)
    frame.iloc[40, frame.columns.get_loc("Adj Close")] = np.nan
    fake_yahoo.responses = [frame]
    (tmp_path / "y.yaml").write_text("data: {source: yahoo, symbol: MSFT}\nprep: {lookback: 5}\n")
    result = invoke("train", "--config", str(tmp_path / "y.yaml"))
    assert (
        result.exit_code == 65
        and "1 row(s) of MSFT have missing values in adj_close (e.g. 2024-02-27)" in result.stderr
    )
    assert (tmp_path / "data" / "yahoo" / "MSFT_1d.parquet").exists()  # fetched into the cache first


def test_train_needs_a_config(invoke) -> None:
    result = invoke("train")
    assert result.exit_code == 64 and "--config" in result.stderr


def test_runs_list_and_show(invoke, trained_copy) -> None:
    assert "no runs" in invoke("runs", "list").stdout
    run = trained_copy(TINY)
    listing = invoke("runs", "list")
    assert run.name in listing.stdout and "gru" in listing.stdout and "complete" in listing.stdout
    rows = json.loads(invoke("runs", "list", "--json").stdout)
    assert rows[0]["rmse"] > 0 and rows[0]["naive_rmse"] > 0 and rows[0]["status"] == "complete"
    shown = invoke("runs", "show", run.name)
    assert "status    complete" in shown.stdout and "train" in shown.stdout and "\nnaive " in shown.stdout
    assert invoke("runs", "show", "nope").exit_code == 66


def test_config_show_prints_the_resolved_config(invoke, tiny: Path) -> None:
    result = invoke("config", "show", str(tiny), "--set", "prep.lookback=9")
    assert result.exit_code == 0
    assert "lookback: 9" in result.stdout and "batch_size: 32" in result.stdout and "scaler_range:" in result.stdout
    bad = invoke("config", "show", str(tiny), "--set", "prep.lokback=9")
    assert bad.exit_code == 78 and "did you mean 'lookback'" in bad.stderr


def test_evaluate_rescores_without_retraining_in_a_new_run_and_the_run_keeps_its_scores(
    invoke, trained_copy, tmp_path: Path
) -> None:
    run = trained_copy(TINY)
    before = snapshot_tree(run)
    result = invoke("evaluate", run.name, "--set", "evaluate.season=3")
    assert result.exit_code == 0, result.output
    lines = stage_lines(result)
    assert [s for s, status in lines.items() if status.startswith("unchanged")] == [
        "snapshot",
        "encode",
        "split",
        "train",
    ]
    assert snapshot_tree(run) == before  # the original scores, config and model, byte for byte
    (rescored,) = [p for p in (tmp_path / "runs").iterdir() if p != run]
    assert rescored.name.startswith(f"{run.name}-rescored-") and f"rescoring in a new run {rescored}" in result.stderr
    assert json.loads((rescored / "manifest.json").read_text())["rescored_from"] == str(run)
    assert (rescored / "model.keras").read_bytes() == before["model.keras"]
    first, after = json.loads(before["metrics.json"]), json.loads((rescored / "metrics.json").read_text())
    assert after["metrics"]["model"] == first["metrics"]["model"] and after["season"] == 3
    assert after["metrics"]["seasonal_naive"] != first["metrics"]["seasonal_naive"]
    again = invoke("evaluate", run.name)  # without options: the run scored again as it is, in place
    assert again.exit_code == 0 and len(list((tmp_path / "runs").iterdir())) == 2


def test_a_rescoring_stopped_before_its_evaluation_is_interrupted_and_resumes_with_its_options(
    invoke, trained_copy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy is never the run it copies: stopped before its evaluation ran, its manifest said
    complete with the old scores, and its config was the old one."""
    from forecast.commands import evaluate

    run = trained_copy(TINY)

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl-C just after the copy

    monkeypatch.setattr(evaluate, "run_stages", stopped)
    assert invoke("evaluate", run.name, "--set", "evaluate.season=3").exit_code == 130
    monkeypatch.undo()
    (rescored,) = [p for p in (tmp_path / "runs").iterdir() if p != run]
    assert json.loads((rescored / "manifest.json").read_text())["status"] == "interrupted"
    resumed = invoke("train", "--run-dir", str(rescored))
    assert resumed.exit_code == 0, resumed.output
    assert "train       unchanged, skipped" in resumed.stderr
    assert json.loads((rescored / "metrics.json").read_text())["season"] == 3


def test_evaluate_never_retrains(invoke, trained_copy, tmp_path: Path) -> None:
    run = trained_copy(TINY)
    before = snapshot_tree(run)
    result = invoke("evaluate", str(run), "--set", "model.units=[8]")
    assert result.exit_code == 66 and "stage train" in result.stderr and "out of date" in result.stderr
    assert snapshot_tree(run) == before  # nothing written, not even the manifest
    assert list((tmp_path / "runs").iterdir()) == [run]  # and no rescoring run begun


def test_long_series_are_trained_batch_by_batch_never_all_windows_at_once(
    invoke, tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forecast.network import batches
    from forecast.prepare.encoding import Encoding

    monkeypatch.setattr(batches, "STREAM_ABOVE", 0)  # as if the windows would not fit in memory
    sizes: list[int] = []
    real = Encoding.windows

    def counting(self, values, starts):
        sizes.append(len(starts))
        return real(self, values, starts)

    monkeypatch.setattr(Encoding, "windows", counting)
    orders: list[int] = []  # the epochs whose order the training batches were drawn in
    shuffle_for = batches.WindowBatches.shuffle_for

    def recording(self, seed, epoch):
        if self.shuffle:
            orders.append(epoch)
        shuffle_for(self, seed, epoch)

    monkeypatch.setattr(batches.WindowBatches, "shuffle_for", recording)
    result = invoke("train", "--config", str(tiny), "--set", "train.batch_size=16")
    assert result.exit_code == 0, result.output
    assert sizes and max(sizes) <= 16  # never more than one batch of windows in memory
    assert orders[-3:] == [0, 1, 2]  # each epoch in its own order, set as it begins (one model.fit for all)
    history = pd.read_csv(only_run(tmp_path) / "history.csv")
    assert len(history) == 3 and history["val_loss"].notna().all()
    assert "cutting them batch by batch" in result.stderr
