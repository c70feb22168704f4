"""evaluate.combine: the combination of the network, the best competitor and naive, from
evaluate through predict and retrain's holdout, on a tiny monthly series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast.commands.challenge import holdout_scores
from forecast.errors import ConfigError
from forecast.pipeline.validation import validation_rollouts
from forecast.rollout.rollout import keras_network
from forecast.rundir.artifacts import load_model, read_competitors, read_series, read_split
from forecast.scoring.baselines import persistence
from forecast.scoring.combination import fit
from tests.commands.test_api import TINY, monthly

COMBINED = {**TINY, "evaluate": {"combine": True, "competitors": ["auto_ets", "auto_theta"]}}


@pytest.fixture(scope="module")
def roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("combine")
    return {"runs_dir": base / "runs", "data_dir": base / "data"}


@pytest.fixture(scope="module")
def combined(roots: dict[str, Path]) -> forecast.Run:
    return forecast.train(COMBINED, data=monthly(), **roots)


def test_the_combination_is_scored_as_a_forecaster_of_its_own(combined: forecast.Run) -> None:
    metrics, table = combined.metrics, combined.predictions
    weights = metrics.combination["weights"]
    assert list(weights)[0] == "model" and list(weights)[-1] == "naive" and len(weights) == 3
    assert min(weights.values()) >= 0 and sum(weights.values()) == pytest.approx(1.0)
    # predictions.csv's combination column is the weighted sum of its members' columns, by hand.
    columns = {"model": "predicted", "naive": "naive"}
    by_hand = sum(w * table[columns.get(name, name)] for name, w in weights.items())
    assert np.allclose(table["combination"], by_hand)
    rmse = float(np.sqrt(((table["combination"] - table["actual"]) ** 2).mean()))
    assert metrics.scores["combination"]["rmse"] == pytest.approx(rmse)
    assert metrics.diebold_mariano["combination"]["p_value"] is not None
    assert metrics.combination["versus_best_competitor"]["against"] == metrics.best_competitor["against"]
    # Its own bands, from its own validation errors, and their coverage on the test part.
    inside = (table["actual"] >= table["combination_lower_95"]) & (table["actual"] <= table["combination_upper_95"])
    assert metrics.combination["intervals"]["coverage"]["95"]["test"] == pytest.approx(inside.mean())
    assert not np.allclose(table["combination_upper_95"], table["upper_95"])


def test_the_weights_come_from_the_validation_windows_alone(combined: forecast.Run) -> None:
    run = combined.folder
    w, frame = read_split(run), read_series(run)
    target = frame.iloc[:, 0].to_numpy(dtype="float64")
    steps = w.output_steps
    validation = validation_rollouts(keras_network(load_model(run)), run, steps, run.manifest())
    assert np.array_equal(validation.origins, w.val)  # every validation window, one step ahead
    actual = target[w.val][:, None]
    refit = fit(actual, validation.forecast, persistence(target, w.val, steps), read_competitors(run).validation)
    assert refit.weights == pytest.approx(combined.metrics.combination["weights"], abs=1e-9)


def test_predict_publishes_the_combination_with_its_members(combined: forecast.Run, roots: dict[str, Path]) -> None:
    result = combined.predict(4, data_dir=roots["data_dir"])
    table, info = result.table, result.info
    weights = combined.metrics.combination["weights"]
    assert info.forecaster == "combination" and info.combination["weights"] == weights
    named = {"model": "lstm", "naive": "naive"}
    members = [name for name, w in weights.items() if w > 0]  # a competitor without weight is not fitted
    assert np.allclose(table["forecast"], sum(weights[n] * table[named.get(n, n)] for n in members))
    assert np.allclose(table["naive"], read_series(combined.folder).iloc[-1, 0])  # the last value
    assert (table["lower_80"] < table["forecast"]).all() and (table["forecast"] < table["upper_80"]).all()
    assert info.test.skill == combined.metrics.scores["combination"]["skill"]


def test_retrain_scores_the_combination_on_its_holdout(combined: forecast.Run, roots: dict[str, Path]) -> None:
    # From the cache, the test dates, one step: the same forecasts evaluate scored.
    run = combined.folder
    dates = pd.DatetimeIndex(combined.predictions["date"])
    scores = holdout_scores(run, dates, 1, roots["data_dir"])
    assert scores["forecaster"] == "combination"
    assert scores["rmse"] == pytest.approx(combined.metrics.scores["combination"]["rmse"], rel=1e-6)
    assert scores["naive_rmse"] == pytest.approx(combined.metrics.naive_rmse, rel=1e-9)


def test_a_combination_needs_a_validation_part(roots: dict[str, Path]) -> None:
    config = {**COMBINED, "prep": {**COMBINED["prep"], "val_fraction": 0}}
    with pytest.raises(ConfigError, match="evaluate.combine fits its weights on the validation part"):
        forecast.train(config, data=monthly(), **roots)


def test_the_summary_says_plainly_when_nothing_beat_naive(invoke, tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(
        "name: tiny\n"
        "data: {source: synthetic, points: 200, seed: 2, target: value}\n"
        "prep: {lookback: 5, test_fraction: 0.2}\n"
        "model: {units: [2], dense: []}\n"
        "train: {epochs: 2, patience: 0, learning_rate: 1.0e-9}\n"  # untrained: worse than naive
        "evaluate: {combine: true, competitors: []}\n"
        "plot: {enabled: false, report: false}\n"
    )
    result = invoke("train", "--config", "tiny.yaml")
    assert result.exit_code == 0, result.output
    (run,) = (tmp_path / "runs").iterdir()
    metrics = forecast.open_run(run).metrics
    weights = metrics.combination["weights"]
    assert metrics.combination["validation_rmse"]["model"] > metrics.combination["validation_rmse"]["naive"]
    assert weights == {"model": 0.0, "naive": 1.0}  # it lost to naive on validation: no weight
    assert metrics.scores["combination"]["rmse"] == pytest.approx(metrics.naive_rmse)
    verdict = metrics.verdict("combination")
    assert verdict.outcome == "same" and verdict.words == (
        f"the combination is the naive forecast (tomorrow = today) itself: the same forecasts "
        f"(RMSE {metrics.naive_rmse:.4g})"
    )
    assert metrics.combination_beats_naive is None  # neither better nor worse: naive itself
    weighed = metrics.verdict_lines()[-1][0]
    assert weighed == (
        f"lstm did not beat naive significantly on the validation part, so the combination is naive "
        f"({metrics.combination['windows']} validation windows)"
    )
    assert verdict.words in result.stdout and weighed in result.stdout
