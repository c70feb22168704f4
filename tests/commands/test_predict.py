"""`forecast predict` on tiny trained runs: dated forecasts, recursive and direct
strategies checked against the model fed by hand, intervals, --as-of without
look-ahead, and refusal of tampered or foreign model files before anything is loaded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.config import load_config

from ..conftest import snapshot_tree, yahoo_frame

# Sample MSFT from 2011: training and validation end in mid-2012, before 2012-12-20.
MSFT = """\
name: msft
data: {source: sample, symbol: MSFT, start: 2011-01-01}
prep: {lookback: 10, test_fraction: 0.2, val_fraction: 0.25, target_transform: log_return}
model: {kind: lstm, units: [4], dense: []}
train: {epochs: 2, batch_size: 64, patience: 0, seed: 3}
plot: {dpi: 50}
"""
# A direct model: three steps per call, with calendar inputs that are known in advance.
DIRECT = """\
name: direct
data: {source: synthetic, points: 300, seed: 2, target: value}
prep: {lookback: 8, horizon: 3, val_fraction: 0.3, calendar: [day_of_week], target_transform: none}
model: {kind: gru, units: [4], dense: []}
train: {epochs: 2, batch_size: 32, patience: 0, seed: 5}
plot: {enabled: false}
"""
AS_OF_DATES = [
    "2012-12-21", "2012-12-24", "2012-12-26", "2012-12-27", "2012-12-28",
    "2012-12-31", "2013-01-02", "2013-01-03", "2013-01-04", "2013-01-07",
]  # fmt: skip


@pytest.fixture
def msft(trained_copy) -> Path:
    """A private copy of the trained sample-MSFT run under this test's runs root."""
    return trained_copy(MSFT)


@pytest.fixture
def direct(trained_copy) -> Path:
    return trained_copy(DIRECT)


def predict_json(invoke, run: Path, *args: str) -> dict:
    result = invoke("predict", str(run), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def load(run: Path):
    """The run's model, and MinMax by hand from the parameters scaler.json records."""
    import keras

    saved = json.loads((run / "encoding.json").read_text())
    low, high = np.array(saved["data_min"]), np.array(saved["data_max"])
    a, b = saved["feature_range"]

    def scale(v, column=slice(None)):
        return (np.asarray(v) - low[column]) / (high[column] - low[column]) * (b - a) + a

    def unscale(z, column=0):
        return (np.asarray(z) - a) / (b - a) * (high[column] - low[column]) + low[column]

    return keras.saving.load_model(run / "model.keras"), scale, unscale


def test_as_of_gives_trading_dates_bands_and_actuals(invoke, msft: Path, tmp_path: Path) -> None:
    before = snapshot_tree(msft)
    out = predict_json(invoke, msft, "--as-of", "2012-12-20", "--horizon", "10")
    rows = out["forecast"]
    assert [r["date"] for r in rows] == AS_OF_DATES  # no weekend, no 2012-12-25, no 2013-01-01
    assert [r["step"] for r in rows] == list(range(1, 11))
    assert out["last_bar"] == "2012-12-20" and out["calendar"]["name"] == "XNYS" and out["strategy"] == "recursive"
    sample = load_config(msft / "config.yaml")  # sample prices run to 2013-03-01: actuals exist
    from forecast.data.sources import fetch

    adj = fetch(sample.data).frame["adj_close"]
    assert [r["actual"] for r in rows] == pytest.approx(adj.loc[AS_OF_DATES].tolist())
    assert out["last_value"] == pytest.approx(adj.loc["2012-12-20"])
    for r in rows:
        assert r["lower_95"] <= r["lower_80"] < r["forecast"] < r["upper_80"] <= r["upper_95"]
    widths = [r["upper_95"] - r["lower_95"] for r in rows]
    assert widths[-1] > widths[0]  # uncertainty grows with the horizon
    # Written to a new predict run; the model's run is untouched.
    predict_dir = Path(out["predict_run"])
    assert predict_dir.parent == tmp_path / "runs" and predict_dir.name.startswith("predict-msft-")
    table = pd.read_csv(predict_dir / "forecast.csv")
    assert list(table.columns) == [
        "date", "step", "forecast", "lower_80", "upper_80", "lower_95", "upper_95", "actual",
    ]  # fmt: skip
    assert table["forecast"].tolist() == pytest.approx([r["forecast"] for r in rows])
    assert (predict_dir / "forecast_future.png").stat().st_size > 0
    manifest = json.loads((predict_dir / "manifest.json").read_text())
    assert manifest["kind"] == "predict" and manifest["status"] == "complete"
    assert manifest["model_run"] == str(msft)
    assert snapshot_tree(msft) == before


def test_the_text_table_shows_dates_bands_and_errors(invoke, msft: Path) -> None:
    result = invoke("predict", str(msft), "--as-of", "2012-12-20", "-n", "10")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "XNYS" in out and "80% interval" in out and "95% interval" in out and "actual" in out
    assert "2013-01-07" in out and "2012-12-25" not in out and "2013-01-01" not in out
    if "WORSE" in result.stderr:  # a model worse than naive says the last value is the better forecast
        assert "the last value" in result.stderr


def test_recursive_forecast_equals_feeding_the_model_by_hand(invoke, msft: Path) -> None:
    out = predict_json(invoke, msft, "--as-of", "2012-12-20", "--horizon", "4")
    model, scale, unscale = load(msft)
    config = load_config(msft / "config.yaml")
    from forecast.data.sources import fetch

    prices = fetch(config.data).frame["adj_close"].loc[:"2012-12-20"].to_numpy()
    returns = list(np.diff(np.log(prices))[-10:])
    level, expected = prices[-1], []
    for _ in range(4):  # the tutorial loop: predict, append, slide
        x = scale(np.array(returns[-10:]), 0).reshape(1, 10, 1).astype("float32")
        z = float(unscale(model.predict(x, verbose=0), 0)[0, 0])
        level *= np.exp(z)
        expected.append(level)
        returns.append(z)
    assert [r["forecast"] for r in out["forecast"]] == pytest.approx(expected, rel=1e-5)


def test_direct_model_emits_its_horizon_at_once_then_goes_on_recursively(invoke, direct: Path) -> None:
    out = predict_json(invoke, direct, "--horizon", "3")
    assert out["strategy"] == "direct" and out["calendar"]["name"] == "D"
    series = pd.read_parquet(direct / "series.parquet")
    last = series.index[-1]
    assert [r["date"] for r in out["forecast"]] == [(last + pd.Timedelta(days=k)).date().isoformat() for k in (1, 2, 3)]
    model, scale, unscale = load(direct)
    x = scale(series.to_numpy()[-8:]).reshape(1, 8, 3).astype("float32")
    by_hand = unscale(model.predict(x, verbose=0), 0)[0]
    assert [r["forecast"] for r in out["forecast"]] == pytest.approx(by_hand.tolist(), rel=1e-5)
    longer = predict_json(invoke, direct, "--horizon", "5")
    assert longer["strategy"] == "direct 3 steps per call, recursive beyond"
    assert [r["forecast"] for r in longer["forecast"][:3]] == pytest.approx(by_hand.tolist(), rel=1e-5)
    assert len(longer["forecast"]) == 5


def test_evaluation_reports_per_step_scores_and_coverage(direct: Path) -> None:
    metrics = json.loads((direct / "metrics.json").read_text())
    predictions = pd.read_csv(direct / "predictions.csv")
    assert [s["step"] for s in metrics["per_step"]] == [1, 2, 3]
    for s in metrics["per_step"]:
        rows = predictions[predictions["step"] == s["step"]]
        assert s["rmse"] == pytest.approx(float(np.sqrt(((rows["predicted"] - rows["actual"]) ** 2).mean())))
        assert s["naive_rmse"] == pytest.approx(float(np.sqrt(((rows["naive"] - rows["actual"]) ** 2).mean())))
    coverage = metrics["intervals"]["coverage"]["95"]
    inside = (predictions["actual"] >= predictions["lower_95"]) & (predictions["actual"] <= predictions["upper_95"])
    assert coverage["test"] == pytest.approx(inside.mean())
    assert len(coverage["per_step"]) == 3
    # Relative scores only for a series positive everywhere (prices); absolute otherwise.
    assert metrics["intervals"]["relative"] == bool((pd.read_parquet(direct / "series.parquet")["value"] > 0).all())


def test_a_tampered_model_is_refused_before_anything_is_loaded(
    invoke, msft: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keras

    def never(*args, **kwargs):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr(keras.saving, "load_model", never)
    with open(msft / "model.keras", "ab") as handle:
        handle.write(b"\0")
    before = snapshot_tree(tmp_path / "runs")
    result = invoke("predict", str(msft))
    assert result.exit_code == 65
    assert "model.keras does not match the sha256 recorded" in result.stderr
    assert "forecast train --run-dir" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert snapshot_tree(tmp_path / "runs") == before  # no predict run either


def test_bands_come_from_the_validation_forecasts_evaluate_stored(
    invoke, msft: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """predict.horizon steps (10 here) are read from validation.npz, not recomputed, with the
    bands recomputing gives; a longer horizon, or a run from before the file, recomputes."""
    from forecast.pipeline import validation

    computed: list[int] = []
    real = validation.forecast_rows
    monkeypatch.setattr(validation, "forecast_rows", lambda *a: computed.append(a[-1]) or real(*a))
    stored = predict_json(invoke, msft, "--as-of", "2012-12-20", "--horizon", "10")
    assert computed == []
    assert predict_json(invoke, msft, "--as-of", "2012-12-20", "--horizon", "12")["horizon"] == 12
    assert computed == [12]
    manifest = json.loads((msft / "manifest.json").read_text())
    del manifest["stages"]["evaluate"]["outputs"]["validation.npz"]  # as a run written before it
    (msft / "manifest.json").write_text(json.dumps(manifest))
    again = predict_json(invoke, msft, "--as-of", "2012-12-20", "--horizon", "10")
    assert computed == [12, 10]
    for key in ("lower_80", "upper_80", "lower_95", "upper_95"):  # Keras stored them, NumPy recomputed
        assert [r[key] for r in again["forecast"]] == pytest.approx([r[key] for r in stored["forecast"]], rel=1e-5)


def test_tampered_validation_forecasts_are_refused(invoke, msft: Path) -> None:
    with np.load(msft / "validation.npz") as npz:
        origins, forecast = npz["origins"], npz["forecast"]
    np.savez(msft / "validation.npz", origins=origins, forecast=forecast * 0.5)  # narrower bands, say
    result = invoke("predict", str(msft))
    assert result.exit_code == 65 and "validation.npz does not match the sha256 recorded" in result.stderr
    assert "forecast evaluate" in result.stderr


def test_a_foreign_model_file_is_refused_even_with_a_matching_manifest(invoke, msft: Path) -> None:
    import hashlib

    (msft / "model.keras").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)  # an HDF5 file under a .keras name
    manifest = json.loads((msft / "manifest.json").read_text())
    digest = hashlib.sha256((msft / "model.keras").read_bytes()).hexdigest()
    manifest["stages"]["train"]["outputs"]["model.keras"] = digest
    (msft / "manifest.json").write_text(json.dumps(manifest))
    result = invoke("predict", str(msft))
    assert result.exit_code == 65 and "is not a .keras file" in result.stderr


def test_only_the_keras_format_is_accepted(invoke, msft: Path) -> None:
    (msft / "model.keras").rename(msft / "model.h5")
    result = invoke("predict", str(msft))
    assert result.exit_code == 66
    assert "model.keras not found (found model.h5: not accepted); only Keras' .keras format" in result.stderr


def test_as_of_after_the_last_bar_says_where_the_forecast_starts(invoke, msft: Path) -> None:
    result = invoke("predict", str(msft), "--as-of", "2014-06-02", "--json", "--no-plot")
    assert result.exit_code == 0, result.output
    assert "--as-of 2014-06-02 is after the last bar in the data (2013-03-01)" in result.stderr
    forecast = json.loads(result.stdout)
    assert forecast["last_bar"] == "2013-03-01" and forecast["forecast"][0]["date"] == "2013-03-04"


def test_as_of_before_the_training_end_would_look_ahead_and_is_refused(invoke, msft: Path) -> None:
    trained_until = json.loads((msft / "encoding.json").read_text())["fitted_on"]["last"]
    result = invoke("predict", str(msft), "--as-of", "2011-06-01")
    assert result.exit_code == 64
    assert f"before {trained_until}" in result.stderr and "would have seen the future" in result.stderr
    bad = invoke("predict", str(msft), "--as-of", "yesterday")
    assert bad.exit_code == 64 and "write it as YYYY-MM-DD" in bad.stderr


def test_an_unfinished_run_is_refused(invoke, msft: Path) -> None:
    manifest = json.loads((msft / "manifest.json").read_text())
    (msft / "manifest.json").write_text(json.dumps({**manifest, "status": "interrupted"}))
    result = invoke("predict", str(msft))
    assert result.exit_code == 66 and "is interrupted, not complete" in result.stderr


def test_refresh_fetches_new_bars_and_forecasts_after_them(invoke, msft: Path, tmp_path: Path, fake_yahoo) -> None:
    from forecast.config import DataConfig
    from forecast.data.sources import fetch
    from forecast.data.store import Cache

    # The same run as if trained on Yahoo data: its cache holds the sample prices.
    config = (msft / "config.yaml").read_text().replace("source: sample", "source: yahoo")
    (msft / "config.yaml").write_text(config)
    yahoo = DataConfig(source="yahoo", symbol="MSFT")
    Cache(tmp_path / "data").save(yahoo, fetch(DataConfig(source="sample", symbol="MSFT")))
    new_bars = yahoo_frame(days=4, start="2013-03-04")
    fake_yahoo.responses = [new_bars]
    out = predict_json(invoke, msft, "--refresh", "-n", "2")
    assert fake_yahoo.calls[0]["start"] == "2013-02-22"
    assert out["last_bar"] == "2013-03-07" and out["last_value"] == pytest.approx(new_bars["Adj Close"].iloc[-1])
    assert [r["date"] for r in out["forecast"]] == ["2013-03-08", "2013-03-11"]


def test_unknown_future_features_limit_the_horizon(invoke, trained_copy) -> None:
    run = trained_copy(MSFT.replace("symbol: MSFT,", "symbol: MSFT, features: [volume],"))
    result = invoke("predict", str(run), "--horizon", "2")
    assert result.exit_code == 64
    assert "reads volume, whose future values are unknown" in result.stderr and "--horizon 1" in result.stderr
    assert predict_json(invoke, run, "--horizon", "1")["forecast"][0]["step"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("name", ["msft", "direct"])
def test_predict_never_imports_tensorflow(name: str, trained_copy, tmp_path: Path) -> None:
    # The forecast runs through the NumPy forward pass (network/runtime.py): a real process, as cron runs it.
    import subprocess
    import sys

    run = trained_copy({"msft": MSFT, "direct": DIRECT}[name])
    no_plot = ["--no-plot"] if name == "msft" else []  # (the direct run's config has no figures anyway)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "forecast", "predict", str(run), "--horizon", "5", "--json",
         "--data-dir", str(tmp_path / "data"), "--runs-dir", str(tmp_path / "runs"), *no_plot],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert "forecast" in imported and not imported & {"tensorflow", "keras", "sklearn", "scipy", "matplotlib"}
    out = json.loads(result.stdout)
    assert len(out["forecast"]) == 5 and not (Path(out["predict_run"]) / "forecast_future.png").exists()


def test_source_reads_the_newest_bars_from_another_source(invoke, msft: Path, fake_yahoo, monkeypatch) -> None:
    # A run trained on Yahoo's MSFT, on a machine that cannot reach Yahoo: --source sample
    # (or FORECAST_SOURCE) forecasts from the bundled prices instead, without asking Yahoo.
    config = (msft / "config.yaml").read_text().replace("source: sample", "source: yahoo")
    (msft / "config.yaml").write_text(config)
    fake_yahoo.responses = [OSError("[Errno -3] Temporary failure in name resolution")]
    out = predict_json(invoke, msft, "--refresh", "--source", "sample", "-n", "2", "--no-plot")
    assert fake_yahoo.calls == []
    assert out["last_bar"] == "2013-03-01" and [r["date"] for r in out["forecast"]] == ["2013-03-04", "2013-03-05"]
    monkeypatch.setenv("FORECAST_SOURCE", "sample")
    assert predict_json(invoke, msft, "-n", "2", "--no-plot")["forecast"] == out["forecast"]
    monkeypatch.setenv("FORECAST_SOURCE", "nowhere")
    bad = invoke("predict", str(msft), "--no-plot")
    assert bad.exit_code == 64 and "--source 'nowhere' is not a source" in bad.stderr
