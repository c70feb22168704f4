"""forecast tune from Python: the search, the leaderboard, best.yaml, the final test verdict, resume."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import optuna
import pandas as pd
import pytest

import forecast
from forecast import rundir
from forecast.config import load_config
from forecast.tuning.search import STUDY

from .test_api import TINY as API_TINY
from .test_api import monthly

SPACE = {
    "prep.lookback": [12, 6],
    "model.units": [[4], [6]],
    "train.learning_rate": {"low": 1e-3, "high": 1e-2, "log": True},
}
# The API tests' tiny monthly config, with one competitor and a small space; its trials train 2
# epochs of its 3 (tune.budget.epochs).
TINY = {
    **API_TINY,
    "train": {**API_TINY["train"], "epochs": 3},
    "tune": {"folds": 2, "trials": 3, "space": SPACE, "budget": {"epochs": 2}},
}


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("tune")
    return {"runs_dir": base / "runs", "data_dir": base / "data"}


@pytest.fixture(scope="module")
def tuned(roots):
    return forecast.tune(TINY, data=monthly(), workers=1, **roots)


def key(row) -> tuple:
    return row.trial, row.state, row.rmse, str(row.values)


def test_the_first_trial_is_the_config_and_the_best_is_trained_once_on_the_unseen_test_part(tuned) -> None:
    summary = tuned.summary
    assert summary.trials == {"finished": 3, "complete": 3, "pruned": 0, "failed": 0}
    own = summary.config_trial.values
    assert own["prep.lookback"] == 12 and own["model.units"] == [4] and own["train.learning_rate"] == 1e-3
    rmses = [r.rmse for r in tuned.leaderboard]
    assert rmses == sorted(rmses) and summary.best.trial == tuned.leaderboard[0].trial
    # best.yaml is a config that trains: the final run is it, scored on rows the search never saw.
    best = load_config(tuned.best)
    assert best.name == "sales-tuned" and best.tune.space == {}
    for k, v in summary.best.values.items():
        section, field = k.split(".")
        assert getattr(getattr(best, section), field) == v
    # It trains as its trials were scored: at their epoch cap, said in its header.
    assert best.train.epochs == 2 and "train.epochs is tune.budget.epochs (2)" in tuned.best.read_text()
    final = tuned.final
    assert final.config.model_dump() == best.model_dump()
    assert summary.searched_rows.last < final.metrics.test.first
    assert summary.final.rmse == final.metrics.rmse and summary.final.same_series is True
    # What predict publishes from it: the combination (on by the monthly rhythm's default), with its test RMSE.
    assert summary.final.published == "combination"
    assert summary.final.published_rmse == final.metrics.scores["combination"]["rmse"]
    from forecast.reports.build import render
    from forecast.rundir import RunDir

    page = render(RunDir(tuned.run))  # the page says so, and shows the network beside the objective
    assert f"What predict publishes from it is the combination: test RMSE {summary.final.published_rmse:.4g}" in page
    assert "<th>RMSE</th><th>network</th>" in page
    assert summary.final.best_competitor["against"] == "auto_ets"
    assert summary.final.verdicts["naive"] == final.metrics.verdict()  # the tuned run's own verdict
    table = pd.read_csv(tuned.run / rundir.TRIALS_CSV)
    assert list(table["trial"]) == [r.trial for r in tuned.leaderboard]
    assert {"prep.lookback", "model.units", "train.learning_rate"} <= set(table.columns)


def test_a_stopped_tune_resumes_from_its_study_and_reruns_the_trial_it_was_running(tuned, roots) -> None:
    first = forecast.tune(TINY, data=monthly(), workers=1, trials=2, **roots)
    # The same seed gives the same trials, in a process that has run another tune before.
    assert [key(r) for r in sorted(first.leaderboard, key=lambda r: r.trial)] == [
        key(r) for r in sorted(tuned.leaderboard, key=lambda r: r.trial)[:2]
    ]
    study = optuna.load_study(study_name=STUDY, storage=f"sqlite:///{first.run / rundir.STUDY_DB}")
    stopped = study.ask()  # what a killed tune leaves: a trial running, with its values drawn
    stopped.suggest_categorical("prep.lookback", [12, 6])
    resumed = forecast.tune(run_dir=first.run, workers=1, trials=3, **roots)
    trials = {r.trial: r for r in resumed.leaderboard}
    assert sorted(trials) == [0, 1, 3]  # trial 2 was interrupted: not counted, run again as trial 3
    assert [key(trials[n]) for n in (0, 1)] == [key(r) for r in sorted(first.leaderboard, key=lambda r: r.trial)]
    assert trials[3].values["prep.lookback"] == stopped.params["prep.lookback"]
    again = optuna.load_study(study_name=STUDY, storage=f"sqlite:///{first.run / rundir.STUDY_DB}")
    assert again.trials[2].state.name == "FAIL" and again.trials[2].user_attrs["interrupted"] is True
    assert forecast.open_run(str(first.run)).status == "complete"


@pytest.mark.slow
def test_trials_in_two_worker_processes_score_as_in_this_one(tuned, roots) -> None:
    parallel = forecast.tune(TINY, data=monthly(), workers=2, trials=2, **roots)
    serial = {r.trial: r for r in tuned.leaderboard}
    for row in parallel.leaderboard:  # the first trials are the config and seeded draws: the same values
        assert row.values == serial[row.trial].values
        assert row.rmse == pytest.approx(serial[row.trial].rmse, rel=1e-6)


@pytest.mark.slow
def test_trials_on_ray_score_as_in_this_process(tuned, roots) -> None:
    if importlib.util.find_spec("ray") is None:  # not imported here: ray_session sets its token first
        pytest.skip("ray is not installed")
    on_ray = forecast.tune(TINY, data=monthly(), workers=2, trials=2, executor="ray", **roots)
    serial = {r.trial: r for r in tuned.leaderboard}
    for row in on_ray.leaderboard:
        assert row.values == serial[row.trial].values
        assert row.rmse == pytest.approx(serial[row.trial].rmse, rel=1e-6)
