"""Successive halving on epochs (tuning/rungs.py): where a trial is compared, against what, and
what a stopped trial keeps; and the score it is compared on (folds/watch.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecast.config import Config
from forecast.folds.run import run_fold_stack
from forecast.folds.watch import validation_ratio
from forecast.tuning.rungs import STARTUP, Rungs, Stopped, rung_epochs


def test_rungs_are_the_first_epochs_times_the_reduction_below_the_cap() -> None:
    assert rung_epochs(10, 3, 300) == [10, 30, 90, 270]
    assert rung_epochs(5, 2, 20) == [5, 10]
    assert rung_epochs(10, 3, 10) == []  # at the cap the fold ends anyway


def never(*_) -> float:
    raise AssertionError("scored off a rung")


PEERS = [{"1:10": v} for v in (1.0, 1.1, 1.2, 1.3, 1.4, 1.5)]  # the best third: at most 1.1667


def test_a_trial_outside_the_best_third_at_a_rung_stops_there_saying_against_what() -> None:
    rungs = Rungs(PEERS, 10, 3, 300, prune=True)
    for epoch in range(1, 10):
        rungs(1, epoch, never)  # off the rungs it is not even scored
    with pytest.raises(Stopped, match=r"epoch 10 of fold 1: validation 1.200x naive; the best 1/3 of 6 trials"):
        rungs(1, 10, lambda: 1.2)
    assert rungs.reached == {"1:10": 1.2} and rungs.spent == 10  # it is a peer at the rung it stopped at


def test_a_trial_among_the_best_goes_on_and_so_does_any_with_too_few_peers() -> None:
    rungs = Rungs(PEERS, 10, 3, 300, prune=True)
    rungs(1, 10, lambda: 1.1)
    rungs(2, 10, lambda: 9.0)  # nobody reached fold 2's rung yet
    assert rungs.reached == {"1:10": 1.1, "2:10": 9.0}
    few = Rungs(PEERS[: STARTUP - 1], 10, 3, 300, prune=True)
    few(1, 10, lambda: 9.0)
    assert few.reached == {"1:10": 9.0}


def test_a_score_that_is_not_finite_never_passes() -> None:
    with pytest.raises(Stopped):
        Rungs(PEERS, 10, 3, 300, prune=True)(1, 10, lambda: math.nan)


def test_a_fold_that_ended_before_a_rung_stands_there_at_its_final_score() -> None:
    rungs = Rungs([], 10, 3, 100, prune=True)
    rungs(1, 10, lambda: 1.5)
    rungs.ended(1, 25, 1.2)
    assert rungs.reached == {"1:10": 1.5, "1:30": 1.2, "1:90": 1.2}


def test_without_pruning_nothing_is_scored_and_the_epochs_are_still_counted() -> None:
    rungs = Rungs(PEERS, 10, 3, 300, prune=False)
    for epoch in range(1, 31):
        rungs(1, epoch, never)
    rungs(2, 12, never)
    assert rungs.reached == {} and rungs.spent == 42


def test_the_validation_ratio_is_rmse_over_naives_in_the_targets_units() -> None:
    target = np.array([10.0, 12.0, 11.0, 13.0, 12.0])
    origins = np.array([2, 3])  # forecasts of rows 2-3 and 3-4; naive repeats rows 1 and 2
    forecasts = np.array([[11.0, 12.0], [13.0, 13.0]])
    ours = np.sqrt(np.mean(np.array([0.0, 1.0, 0.0, 1.0]) ** 2))
    naive = np.sqrt(np.mean(np.array([1.0, 1.0, 2.0, 1.0]) ** 2))
    assert validation_ratio(forecasts, target, origins) == pytest.approx(ours / naive)
    assert validation_ratio(np.full((1, 2), 5.0), np.full(5, 5.0), np.array([2])) == 1.0  # flat and exact


def test_the_watched_score_is_the_folds_own_validation_ratio_of_the_model_as_it_stands() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"value": 50 + np.cumsum(rng.normal(0, 1, 160))}, index=pd.date_range("2020-01-01", periods=160, freq="D")
    )
    config = Config.model_validate({
        "data": {"source": "synthetic", "target": "value"},
        "prep": {"lookback": 8, "val_fraction": 0.2, "target_transform": "diff"},
        "model": {"kind": "lstm", "units": [4], "dense": []},
        "train": {"epochs": 3, "batch_size": 32, "patience": 0},
        "evaluate": {"backtest": {"folds": 2}},
    })  # fmt: skip
    heard: list[tuple[int, int, float]] = []
    results = run_fold_stack(frame, config, watch=lambda fold, epochs, score: heard.append((fold, epochs, score())))
    assert [(f, e) for f, e, _ in heard] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]
    assert len({s for _, _, s in heard}) == 6  # the model as it stands after each epoch, not once
    # patience 0 keeps the last epoch's weights: the last score is the fold's own, from its saved model
    for result in results:
        last = next(s for f, e, s in heard if (f, e) == (result.fold.number, 3))
        assert last == pytest.approx(result.validation_ratio, rel=1e-5)
