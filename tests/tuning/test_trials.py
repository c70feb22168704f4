"""One tune trial: scored on folds of the rows before the test part, never after; pruned by the median."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import create_trial

from forecast.config import build_config
from forecast.tuning.rungs import STARTUP
from forecast.tuning.trials import run_trial

CONFIG = build_config({
    "data": {"source": "synthetic", "points": 200, "target": "value"},
    "prep": {"lookback": 8, "val_fraction": 0.2},
    "model": {"units": [4], "dense": []},
    "train": {"epochs": 2, "batch_size": 32},
    "tune": {"folds": 2},
})  # fmt: skip


def series(path, n: int = 200, end: int = 160, after: float = 0.0):
    """A positive walk; `after` is added to every row from `end` on (the test part)."""
    rng = np.random.default_rng(0)
    values = 50 + np.cumsum(rng.normal(0, 1, n))
    values[end:] += after
    frame = pd.DataFrame({"value": values}, index=pd.date_range("2020-01-01", periods=n, freq="D"))
    frame.to_parquet(path)
    return str(path)


def request(path, end: int = 160, completed=(), **config) -> dict:
    raw = CONFIG.model_dump(mode="json")
    for key, value in config.items():
        section, field = key.split("__")
        raw[section][field] = value
    return {"number": 0, "config": raw, "series": path, "end": end, "completed": list(completed), "peers": []}


def scores(result: dict) -> list[tuple]:
    return [(f["rmse"], f["naive_rmse"], f["epochs"]) for f in result["folds"]]


def test_a_trial_never_reads_the_test_part(tmp_path) -> None:
    plain = run_trial(request(series(tmp_path / "a.parquet")))
    changed = run_trial(request(series(tmp_path / "b.parquet", after=1000.0)))
    assert plain["state"] == "complete" and len(plain["folds"]) == 2
    assert scores(plain) == scores(changed)
    # and the rows before the end do matter: the same change one row earlier moves the score
    earlier = run_trial(request(series(tmp_path / "c.parquet", end=159, after=1000.0)))
    assert earlier["folds"][-1]["rmse"] != plain["folds"][-1]["rmse"]


def test_a_trial_worse_than_the_median_of_finished_ones_is_pruned_after_its_first_fold(tmp_path) -> None:
    path = series(tmp_path / "s.parquet")
    good = [
        create_trial(params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)}, value=1e-6,
                     intermediate_values={0: 1e-6, 1: 1e-6})
        for _ in range(STARTUP)
    ]  # fmt: skip
    pruned = run_trial(request(path, completed=good))
    assert pruned["state"] == "pruned" and len(pruned["folds"]) == 1
    assert run_trial(request(path, completed=good[:-1]))["state"] == "complete"  # too few finished trials to judge
    assert run_trial(request(path, completed=good, tune__pruning=False))["state"] == "complete"


def test_a_trial_whose_values_do_not_fit_the_series_fails_with_the_reason(tmp_path) -> None:
    failed = run_trial(request(series(tmp_path / "s.parquet"), prep__lookback=150))
    assert failed["state"] == "failed" and "backtest fold 1" in failed["error"] and failed["folds"] == []


@pytest.fixture
def late_after_fold_1(monkeypatch):
    """A clock at 1000 s that jumps to 2000 s once a trial's first fold is done."""
    import types

    from forecast.network import deadline
    from forecast.tuning import trials

    clock = {"now": 1000.0}
    monkeypatch.setattr(deadline, "time", types.SimpleNamespace(time=lambda: clock["now"]))
    real = trials.run_fold_stack

    def stack(frame, config, on_fold, watch):
        def heard(fold):
            on_fold(fold)
            clock["now"] = 2000.0

        return real(frame, config, on_fold=heard, watch=watch)

    monkeypatch.setattr(trials, "run_fold_stack", stack)
    yield clock
    monkeypatch.setattr(trials, "run_fold_stack", real)


def test_a_trial_past_its_deadline_stops_and_counts_as_pruned_with_the_folds_it_finished(
    tmp_path, late_after_fold_1
) -> None:
    # The clock passes the deadline once the first fold is done: the second fold's training
    # stops at its first batch (the real loop raises), and the trial keeps fold 1.
    from forecast.tuning import trials

    path = series(tmp_path / "s.parquet")
    result = run_trial({**request(path), "deadline": 1500.0})
    assert result["state"] == "pruned" and result["error"] == trials.AT_THE_LIMIT
    assert len(result["folds"]) == 1 and result["folds"][0]["epochs"] == 2
    # A deadline after the trial ends changes nothing.
    assert run_trial({**request(path), "deadline": 5000.0})["state"] == "complete"


def test_a_trials_budget_bounds_its_seconds_and_its_epochs(tmp_path, late_after_fold_1) -> None:
    from forecast.tuning import trials

    path = series(tmp_path / "s.parquet")
    result = run_trial(request(path, tune__budget={"seconds": 500.0}))  # its own deadline: 1500 s
    assert result["state"] == "pruned" and result["error"] == trials.OVER_BUDGET and len(result["folds"]) == 1
    late_after_fold_1["now"] = 1000.0
    capped = run_trial(request(path, tune__budget={"epochs": 1}))  # train.epochs is 2
    assert capped["state"] == "complete" and [f["epochs"] for f in capped["folds"]] == [1, 1]


def test_with_a_combination_the_objective_is_what_predict_would_publish(tmp_path) -> None:
    from forecast.folds.run import run_fold_stack
    from forecast.tuning.trials import scoring_config

    path = series(tmp_path / "s.parquet")
    combined = request(path, evaluate__combine=True, evaluate__competitors=["auto_ets"])
    result = run_trial(combined)
    assert result["state"] == "complete" and len(result["folds"]) == 2
    # The same folds run as a backtest: the trial's objective is the combination's RMSE, the network's beside it.
    config = scoring_config(build_config(combined["config"]))
    folds = run_fold_stack(pd.read_parquet(path).iloc[:160], config)
    assert [f["rmse"] for f in result["folds"]] == [f.evaluated.metrics["combination"]["rmse"] for f in folds]
    assert [f["network_rmse"] for f in result["folds"]] == [f.evaluated.metrics["model"]["rmse"] for f in folds]
    assert result["folds"][0]["rmse"] != result["folds"][0]["network_rmse"]
    # Without the combination, the network is the objective, and no competitor is fitted.
    plain = run_trial(request(path))
    assert all(f["rmse"] == f["network_rmse"] for f in plain["folds"])
    assert scoring_config(build_config(request(path)["config"])).evaluate.competitors == []


def test_a_trial_weak_at_its_first_rung_stops_inside_fold_1_and_says_what_it_spent(tmp_path) -> None:
    path = series(tmp_path / "s.parquet")
    budget = {"rung_epochs": 1, "reduction": 2}  # train.epochs 2: one rung, after epoch 1 of each fold
    alone = run_trial(request(path, tune__budget=budget))
    assert alone["state"] == "complete" and alone["epochs"] == 4
    assert set(alone["rungs"]) == {"1:1", "2:1"} and all(0 < v < 10 for v in alone["rungs"].values())
    excellent = [{"1:1": 1e-6}] * 5  # finished trials a million times better than naive at that rung
    stopped = run_trial({**request(path, tune__budget=budget), "peers": excellent})
    assert stopped["state"] == "pruned" and stopped["folds"] == [] and stopped["epochs"] == 1
    assert stopped["error"].startswith("stopped at epoch 1 of fold 1: validation")
    assert stopped["rungs"] == {"1:1": alone["rungs"]["1:1"]}  # the same score the trial alone had there
    unpruned = run_trial({**request(path, tune__budget=budget, tune__pruning=False), "peers": excellent})
    assert unpruned["state"] == "complete" and unpruned["rungs"] == {} and unpruned["epochs"] == 4
