"""report.html: written for every kind of run, self-contained, true to the run's files;
`forecast report` rebuilds it; TensorBoard logs and MLflow runs when asked for."""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path

import pandas as pd
import pytest

from ..conftest import snapshot_tree

TINY = """\
name: tiny
data: {source: synthetic, points: 260, seed: 4, target: value}
prep: {lookback: 6, output_steps: 1, test_fraction: 0.2}
model: {kind: gru, units: [3], dense: []}
train: {epochs: 3, patience: 0, seed: 5}
evaluate: {backtest: {folds: 2}}
plot: {dpi: 50}
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def only_run(tmp_path: Path, prefix: str = "tiny-") -> Path:
    (run,) = [p for p in (tmp_path / "runs").iterdir() if p.name.startswith(prefix)]
    return run


def embedded_pngs(page: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def test_a_train_run_reports_its_scores_figures_config_and_provenance(invoke, tiny: Path, tmp_path: Path) -> None:
    result = invoke("train", "--config", str(tiny), "--json")
    assert result.exit_code == 0, result.output
    run = only_run(tmp_path)
    payload = json.loads(result.stdout)
    assert payload["report"] == str(run / "report.html")
    page = (run / "report.html").read_text()
    metrics = json.loads((run / "metrics.json").read_text())
    # Self-contained: no address to fetch anything from, figures are the run's own PNGs.
    assert not re.search(r'(src|href)="(https?:)?//', page)
    figures = [(run / name).read_bytes() for name in ("forecast.png", "residuals.png", "loss.png")]
    assert embedded_pngs(page) == figures
    # The scores are the run's, as written in metrics.json, model row first.
    table = re.search(r"<table>.*?</table>", page, re.S).group(0)
    rows = re.findall(r"<tr[^>]*><td>([^<]+)</td><td>([^<]+)</td>", table)
    assert rows[0] == ("gru", f"{metrics['metrics']['model']['rmse']:.4f}")
    assert ("naive", f"{metrics['metrics']['naive']['rmse']:.4f}") in rows
    verdict = re.search(r'<div class="verdict (\w+)">(.*?)</div>', page).groups()
    assert verdict[0] == ("good" if metrics["beats_naive"] else "bad")
    assert ("beats" if metrics["beats_naive"] else "WORSE than") in verdict[1]
    scaler = json.loads((run / "encoding.json").read_text())["fitted_on"]
    assert f"{scaler['rows']} rows, {scaler['first']}..{scaler['last']}" in page
    assert "lookback: 6" in page and "keras" in page and metrics["test"]["first"] in page
    assert json.loads(invoke("runs", "show", run.name, "--json").stdout)["report"] == str(run / "report.html")


def test_report_rebuilds_any_run_and_shows_where_a_failed_one_stopped(invoke, trained_copy, tmp_path: Path) -> None:
    run = trained_copy(TINY)
    first = (run / "report.html").read_text()
    trained_in = re.search(r'(/[^<>\s"]*/runs/)tiny-', first).group(1)  # the page names its run's folder
    first = first.replace(trained_in, f"{tmp_path}/runs/")
    (run / "report.html").unlink()
    before = snapshot_tree(run)
    result = invoke("report", "tiny", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"run": str(run), "kind": "train", "report": str(run / "report.html"),
                                         "mlflow_run": None}  # fmt: skip
    rebuilt = (run / "report.html").read_text()
    strip = lambda page: re.sub(r"page written [^<]*UTC", "", page)  # noqa: E731
    assert strip(rebuilt) == strip(first)
    assert snapshot_tree(run) == {**before, "report.html": snapshot_tree(run)["report.html"]}  # nothing else touched

    manifest = json.loads((run / "manifest.json").read_text())
    manifest["status"] = manifest["stages"]["evaluate"]["status"] = "failed"
    manifest["stages"]["evaluate"]["error"] = "DataError: the test said so"
    (run / "manifest.json").write_text(json.dumps(manifest))
    (run / "metrics.json").unlink()
    result = invoke("report", str(run))  # the page is written, and the exit code says the run did not finish
    assert result.exit_code == 66 and "is failed, not complete" in result.stderr, result.output
    page = (run / "report.html").read_text()
    assert "This run is failed at stage evaluate: DataError: the test said so" in page
    assert "Results on the test part" not in page


def test_backtest_and_predict_runs_get_their_own_reports(invoke, tiny: Path, trained_copy) -> None:
    trained_copy(TINY)
    result = invoke("predict", "tiny", "--horizon", "3", "--json")
    assert result.exit_code == 0, result.output
    forecast = json.loads(result.stdout)
    page = Path(forecast["report"]).read_text()
    assert "Forecast: " in page and len(embedded_pngs(page)) == 1
    for row in forecast["forecast"]:
        assert f"<td>{row['date']}</td>" in page and f"{row['forecast']:.4f}" in page

    result = invoke("backtest", "--config", str(tiny), "--json")
    assert result.exit_code == 0, result.output
    backtest = json.loads(result.stdout)
    page = Path(backtest["report"]).read_text()
    assert "backtest" in page and len(embedded_pngs(page)) == 1
    folds = re.findall(r"<tr><td>(\d)</td><td>(\d{4}-\d\d-\d\d)\.\.", page)
    assert folds == [(str(f["fold"]), f["train"]["first"]) for f in backtest["folds"]]


def test_plot_report_false_writes_none(invoke, tiny: Path, tmp_path: Path) -> None:
    result = invoke("train", "--config", str(tiny), "--set", "plot.report=false", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["report"] is None
    assert not (only_run(tmp_path) / "report.html").exists()


def test_report_of_no_run_is_one_line_and_exit_66(invoke) -> None:
    result = invoke("report", "nothing-here")
    assert result.exit_code == 66
    assert result.stderr.count("\n") == 1 and "run 'nothing-here' not found" in result.stderr


def test_text_from_files_is_escaped() -> None:
    from forecast.reports import html

    table = html.table(["<b>col</b>"], [["<script>alert(1)</script>"]])
    assert "<script>" not in table and "&lt;script&gt;alert(1)&lt;/script&gt;" in table
    assert "<b>" not in table and "&lt;b&gt;col&lt;/b&gt;" in table


def test_the_figures_split_dates_are_the_runs_own(trained_copy) -> None:
    from forecast.pipeline.stages import split_dates
    from forecast.rundir import RunDir
    from forecast.rundir.artifacts import read_series

    run = trained_copy(TINY)
    frame = read_series(RunDir(run))
    dates = split_dates(frame, RunDir(run))
    metrics = json.loads((run / "metrics.json").read_text())
    predictions = pd.read_csv(run / "predictions.csv")
    assert dates["test"] == metrics["test"]["first"] == predictions["date"].iloc[0]
    assert dates["first"] < dates["validation"] < dates["test"]


# --- TensorBoard ---------------------------------------------------------------------


def scalar_events(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """{'train/epoch_loss': [(step, value), ...]} as TensorBoard itself reads the event files."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util.tensor_util import make_ndarray

    found: dict[str, list[tuple[int, float]]] = {}
    for events in folder.iterdir():
        accumulator = EventAccumulator(str(events))
        accumulator.Reload()
        for tag in accumulator.Tags()["tensors"]:
            found[f"{events.name}/{tag}"] = [
                (e.step, float(make_ndarray(e.tensor_proto))) for e in accumulator.Tensors(tag)
            ]
    return found


def test_tensorboard_logs_each_epoch_and_changes_no_result(invoke, tiny: Path, trained_copy, tmp_path: Path) -> None:
    plain = trained_copy(TINY)
    result = invoke("train", "--config", str(tiny), "--set", "train.tensorboard=true")
    assert result.exit_code == 0, result.output
    (logged,) = [p for p in (tmp_path / "runs").iterdir() if p.name.startswith("tiny-") and p != plain]
    assert not (plain / "tensorboard").exists()
    events = scalar_events(logged / "tensorboard")
    history = pd.read_csv(logged / "history.csv")
    assert [step for step, _ in events["train/epoch_loss"]] == [0, 1, 2]
    assert [v for _, v in events["train/epoch_loss"]] == pytest.approx(list(history["loss"]), rel=1e-5)
    assert [v for _, v in events["validation/epoch_loss"]] == pytest.approx(list(history["val_loss"]), rel=1e-5)
    # Logging is a view of training: the same seed gives the same model and scores.
    assert (logged / "metrics.json").read_text() == (plain / "metrics.json").read_text()
    assert "tensorboard --logdir" in (logged / "report.html").read_text()


# --- MLflow --------------------------------------------------------------------------


def test_mlflow_run_holds_params_metrics_history_and_artifacts(invoke, tiny: Path, tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    result = invoke("train", "--config", str(tiny), "--mlflow")
    assert result.exit_code == 0, result.output
    run = only_run(tmp_path)
    manifest = json.loads((run / "manifest.json").read_text())
    store = tmp_path / "runs" / "mlruns"
    assert manifest["mlflow"]["tracking_uri"] == store.as_uri() and store.is_dir()
    client = MlflowClient(tracking_uri=store.as_uri())
    logged = client.get_run(manifest["mlflow"]["run_id"])
    metrics = json.loads((run / "metrics.json").read_text())
    assert logged.info.run_name == run.name and logged.info.status == "FINISHED"
    assert logged.data.params["prep.lookback"] == "6" and logged.data.params["model.kind"] == "gru"
    assert logged.data.metrics["model_rmse"] == pytest.approx(metrics["metrics"]["model"]["rmse"])
    assert logged.data.metrics["naive_rmse"] == pytest.approx(metrics["metrics"]["naive"]["rmse"])
    assert len(client.get_metric_history(logged.info.run_id, "loss")) == 3
    artifacts = {a.path for a in client.list_artifacts(logged.info.run_id)}
    assert {"model.keras", "metrics.json", "config.yaml", "report.html", "forecast.png"} <= artifacts
    assert "split.npz" not in artifacts
    experiment = client.get_experiment(logged.info.experiment_id)
    assert experiment.name == "tiny"


def test_mlflow_missing_is_refused_before_training(invoke, tiny: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if not installed: import raises ImportError
    result = invoke("train", "--config", str(tiny), "--set", "mlflow.enabled=true")
    assert result.exit_code == 78
    assert "pip install 'forecast[mlflow]'" in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_an_unusable_tracking_store_warns_and_the_run_stays_complete(invoke, tiny: Path, tmp_path: Path) -> None:
    result = invoke("train", "--config", str(tiny), "--mlflow", "--set", "mlflow.tracking_uri=nosuchscheme://x")
    assert result.exit_code == 0, result.output
    assert "MLflow: could not log" in result.stderr and "forecast report" in result.stderr
    run = only_run(tmp_path)
    assert json.loads((run / "manifest.json").read_text())["status"] == "complete"
    assert (run / "report.html").is_file()


def test_report_mlflow_logs_a_finished_run_later(invoke, trained_copy, tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    run = trained_copy(TINY)
    result = invoke("report", str(run), "--mlflow", "--json")
    assert result.exit_code == 0, result.output
    run_id = json.loads(result.stdout)["mlflow_run"]
    client = MlflowClient(tracking_uri=(tmp_path / "runs" / "mlruns").as_uri())
    assert "report.html" in {a.path for a in client.list_artifacts(run_id)}
    assert run_id in (run / "report.html").read_text()
