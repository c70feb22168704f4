"""A search never loses its work: a trial whose forecasts go NaN fails with its reason, the
default space offers only what the series allows, nothing but the tool's own lines reaches the
terminal, and a failure after the trials leaves best.yaml and the study for tune --run-dir."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast import rundir
from forecast.config import build_config
from forecast.tuning.space import default_space

CONFIG = {
    "name": "awkward",
    "data": {},
    "prep": {"lookback": 6, "test_fraction": 0.2, "normalize": "window", "target_transform": "none"},
    "model": {"kind": "gru", "units": [3], "dense": []},
    "train": {"epochs": 2, "patience": 0},
    "evaluate": {"competitors": [], "combine": False},
    "tune": {"folds": 2, "trials": 4, "seed": 3, "space": {"prep.normalize": ["window", "series"]}},
    "plot": {"dpi": 50},
}


def awkward() -> pd.Series:
    """Zeros, values below zero and constant stretches: counts of something that stops and restarts."""
    rng = np.random.default_rng(7)
    values = 5 + np.cumsum(rng.normal(0, 1, 300))
    values[40:60] = 0.0  # a stretch of zeros in the early training rows
    values[100:120] = -3.0  # a constant stretch below zero
    values[196:202] = 0.0  # zeros a window of the first fold's test part ends in: window normalisation fails there
    return pd.Series(values, index=pd.date_range("2001-01-01", periods=300, freq="D"), name="count")


def test_the_default_space_offers_only_what_the_series_allows() -> None:
    config = build_config({"data": {"source": "synthetic"}})
    with_zero = default_space(config, np.array([3.0, 0.0, 2.0, 5.0]), 7, 400)
    assert with_zero["prep.normalize"] == ["series"] and with_zero["prep.target_transform"] == ["diff"]
    positive = default_space(config, np.array([3.0, 1.0, 2.0, 5.0]), 7, 400)
    assert positive["prep.normalize"] == ["series", "window"]
    assert set(positive["prep.target_transform"]) == {"log_return", "diff"}


@pytest.mark.slow
def test_a_tune_on_zeros_and_negatives_completes_and_says_why_a_trial_failed(invoke, tmp_path: Path, capfd) -> None:
    roots = {"runs_dir": tmp_path / "runs", "data_dir": tmp_path / "data"}
    done = forecast.tune(CONFIG, data=awkward(), workers=1, **roots)
    failed = [t for t in done.leaderboard if t.state == "failed"]
    assert failed and done.leaderboard[0].state == "complete"
    for trial in failed:  # window normalisation divided by a window's last value, 0
        assert trial.values["prep.normalize"] == "window"
        assert trial.error.startswith("fold 1: the network's forecasts went NaN or infinite (divide by zero")
    assert all(t.rmse is None or np.isfinite(t.rmse) for t in done.leaderboard)
    assert done.best is not None and done.best.is_file() and done.final is not None
    assert (done.run / rundir.TUNE_HISTORY_PNG).read_bytes().startswith(b"\x89PNG")
    err = capfd.readouterr().err
    assert "RuntimeWarning" not in err and "UserWarning" not in err and "[W " not in err  # numpy's, Optuna's
    # On the command line too: only the tool's own lines.
    result = invoke("tune", "--run-dir", str(done.run))
    assert result.exit_code == 0, result.output
    assert "RuntimeWarning" not in result.stderr and "UserWarning" not in result.stderr
    assert " nan" not in result.stdout and "nanx" not in result.stdout  # no score printed as NaN


@pytest.mark.slow
def test_a_failure_after_the_trials_keeps_the_search_and_tune_run_dir_finishes(tmp_path: Path, monkeypatch) -> None:
    from forecast.commands import tune as command

    roots = {"runs_dir": tmp_path / "runs", "data_dir": tmp_path / "data"}
    config = {**CONFIG, "prep": {**CONFIG["prep"], "normalize": "series"}, "tune": {**CONFIG["tune"], "trials": 2}}
    real = command.run_stages

    def crash(*args, **kwargs):
        raise RuntimeError("the machine fell over during the final training")

    monkeypatch.setattr(command, "run_stages", crash)
    with pytest.raises(RuntimeError):
        forecast.tune(config, data=awkward(), workers=1, **roots)
    (tune_run,) = (tmp_path / "runs").glob("awkward-tune-*")
    assert (tune_run / rundir.BEST_CONFIG).is_file() and (tune_run / rundir.STUDY_DB).is_file()
    kept = forecast.open_run(tune_run)
    assert kept.status == "failed"
    monkeypatch.setattr(command, "run_stages", real)
    done = forecast.tune(run_dir=tune_run, workers=1, **roots)
    assert len(done.leaderboard) == 2  # the trials were kept, not run again
    assert done.final is not None and done.summary.final is not None
    assert forecast.open_run(tune_run).status == "complete"
