"""`forecast tune` on the command line: the trial lines, the leaderboard, the verdict, errors."""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import snapshot_tree

CONFIG = """\
name: walk
data: {source: synthetic, points: 200, seed: 1, target: value}
prep: {lookback: 6, val_fraction: 0.2}
model: {units: [3], dense: []}
train: {epochs: 2, seed: 3}
evaluate: {competitors: [auto_ets]}
plot: {dpi: 50}
tune:
  folds: 2
  space:
    prep.lookback: [6, 12]
    model.units: [[3], [5]]
"""


def write(tmp_path: Path, text: str = CONFIG) -> Path:
    path = tmp_path / "walk.yaml"
    path.write_text(text)
    return path


def test_tune_prints_each_trial_the_leaderboard_and_the_test_verdict_of_the_best(invoke, tmp_path) -> None:
    result = invoke("tune", "--config", str(write(tmp_path)), "--trials", "2", "--workers", "1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    run = Path(out.splitlines()[0].removeprefix("run").strip())
    summary = json.loads((run / "tune.json").read_text())
    rmses = [r["rmse"] for r in summary["leaderboard"]]
    assert sorted(r["trial"] for r in summary["leaderboard"]) == [0, 1] and rmses == sorted(rmses)
    assert summary["final"]["rmse"] > 0 and summary["best"]["trial"] == summary["leaderboard"][0]["trial"]
    assert "trial 0/2  complete  RMSE" in result.stderr and "trial 1/2" in result.stderr
    err = result.stderr  # each trial is announced before it starts, its result said after
    assert err.index("trial 0/2 starting") < err.index("trial 0/2  complete") < err.index("trial 1/2 starting")
    assert {p.name for p in run.iterdir()} >= {"study.db", "trials.csv", "tune.json", "best.yaml", "report.html",
                                               "tune_history.png", "series.parquet"}  # fmt: skip
    page = (run / "report.html").read_text()
    assert "Leaderboard" in page and "the test part the search never saw" in page
    # The table, the best against the config's own trial, the final run's summary.
    assert "trial  state" in out and f"best: trial {summary['best']['trial']}, mean fold RMSE" in out
    assert "for the config as given (trial 0)" in out and f"its config: {run / 'best.yaml'}" in out
    assert "scored on the test part (unseen by the search):" in out and "skill " in out and "auto_ets" in out


def test_with_json_the_progress_is_json_events_on_stderr_and_stdout_one_document(invoke, tmp_path) -> None:
    result = invoke("tune", "--config", str(write(tmp_path)), "--trials", "2", "--workers", "1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["trials"]["finished"] == 2
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert [(e["event"], e["trial"]) for e in events if e["event"] != "pace"] == [
        ("starting", 0), ("trial", 0), ("starting", 1), ("trial", 1)
    ]  # fmt: skip
    (pace,) = [e for e in events if e["event"] == "pace"]  # after trial 0: none after the last
    assert pace["finished"] == 1 and pace["left"] == 1 and pace["seconds_left"] > 0
    first = events[1]
    assert first["state"] == "complete" and first["of"] == 2 and first["epochs"] > 0 and first["rmse"] > 0
    assert "trial 0/2  complete" not in result.stderr  # the same lines, as events only


def test_a_bad_space_is_refused_before_any_run_exists(invoke, tmp_path) -> None:
    bad = CONFIG.replace("prep.lookback: [6, 12]", "prep.lookbak: [6, 12]")
    before = snapshot_tree(tmp_path / "runs")
    result = invoke("tune", "--config", str(write(tmp_path, bad)))
    assert result.exit_code == 78
    assert "tune.space: 'prep.lookbak' is not a config key; did you mean prep.lookback?" in result.stderr
    assert "Traceback" not in result.output and snapshot_tree(tmp_path / "runs") == before


def test_resuming_a_run_that_is_not_a_tune_is_refused(invoke, tmp_path) -> None:
    (tmp_path / "runs" / "walk-20260101T000000Z").mkdir(parents=True)
    manifest = tmp_path / "runs" / "walk-20260101T000000Z" / "manifest.json"
    manifest.write_text('{"kind": "train", "status": "complete"}')
    (manifest.parent / "config.yaml").write_text(CONFIG)
    result = invoke("tune", "--run-dir", str(tmp_path / "runs" / "walk-20260101T000000Z"))
    assert result.exit_code == 64 and "is not a tune run" in result.stderr
