"""One evaluation: a backtest fold and retrain's holdout, given the evaluate stage's windows and
model, score every forecaster exactly as the evaluate stage did (scoring/evaluation.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.commands.challenge import holdout_evaluation
from forecast.config import Config
from forecast.folds.plan import Fold
from forecast.folds.run import Series, run_fold
from forecast.rundir import RunDir
from forecast.rundir.artifacts import load_model, read_config, read_frequency, read_metrics, read_series, read_split

from .test_pipeline import TINY, only_run

# The holdout forecasts through NumPy's forward pass (as predict does), the evaluate stage through
# Keras': the same float32 network, summed in another order.
FLOAT32 = 1e-6


def same_scores(found: dict, expected: dict, names: list[str], rel: float = 1e-12) -> None:
    for name in names:
        for metric, value in expected[name].items():
            if value is None:
                assert found[name][metric] is None, (name, metric)
            else:
                assert found[name][metric] == pytest.approx(value, rel=rel, abs=1e-12), (name, metric)


def same_verdict(found, expected, rel: float = 1e-12) -> None:
    assert (found.forecaster, found.against, found.outcome) == (expected.forecaster, expected.against, expected.outcome)
    for key in ("rmse", "rival_rmse", "p_value"):
        assert getattr(found, key) == pytest.approx(getattr(expected, key), rel=rel), key


@pytest.fixture
def trained(invoke, tmp_path: Path) -> RunDir:
    (tmp_path / "tiny.yaml").write_text(TINY + "evaluate: {competitors: [auto_ets], combine: true}\n")
    result = invoke("train", "--config", "tiny.yaml")
    assert result.exit_code == 0, result.output
    return RunDir(only_run(tmp_path))


def test_a_fold_on_the_runs_windows_scores_as_the_evaluate_stage(trained: RunDir) -> None:
    config, frame, w = read_config(trained), read_series(trained), read_split(trained)
    stored = read_metrics(trained)
    raw = config.model_dump(mode="json")
    raw["evaluate"]["backtest"] = {"folds": 1, "mode": "expanding", "refit": False}  # the run's model, reused
    reused = Config.model_validate(raw)
    fold = Fold(1, 0, w.test_start, len(frame))
    series = Series.of(frame, reused, None, read_frequency(trained))
    result, _ = run_fold(series, fold, model=load_model(trained), first=fold)
    evaluated = result.evaluated
    assert np.array_equal(evaluated.part.test, w.test) and np.array_equal(evaluated.part.validation, w.val)
    assert list(evaluated.metrics) == list(stored.scores)  # every forecaster, in the same order
    same_scores(evaluated.metrics, stored.scores, list(stored.scores))
    assert {n: set(j) for n, j in evaluated.verdicts.items()} == {n: set(j) for n, j in stored.verdicts.items()}
    for name, judged in stored.verdicts.items():
        for against, verdict in judged.items():
            same_verdict(evaluated.verdicts[name][against], verdict)
    assert evaluated.intervals["model"] == stored.intervals  # the same bands, the same coverage
    assert evaluated.combination.to_dict() == {k: v for k, v in stored.combination.items() if k in ("weights",
        "validation_rmse", "windows", "validation_p")}  # fmt: skip


def test_the_holdout_on_the_runs_windows_scores_as_the_evaluate_stage(trained: RunDir, tmp_path: Path) -> None:
    frame, w, stored = read_series(trained), read_split(trained), read_metrics(trained)
    dates = frame.index[w.test]
    evaluated, published = holdout_evaluation(trained, pd.DatetimeIndex(dates), w.output_steps, tmp_path / "data")
    assert published == "combination" and np.array_equal(evaluated.part.test, w.test)
    # The network, the combination as predict publishes it, naive and every baseline: the same numbers.
    shared = [name for name in stored.scores if name != "auto_ets"]  # the holdout fits no competitor of its own
    same_scores(evaluated.metrics, stored.scores, shared, rel=FLOAT32)
    for name in ("model", "combination"):
        same_verdict(evaluated.verdict(name), stored.verdict(name), rel=FLOAT32)
    predictions = pd.read_csv(trained.file("predictions.csv"))
    assert np.allclose(evaluated.forecasts["combination"].ravel(), predictions["combination"], rtol=FLOAT32)
