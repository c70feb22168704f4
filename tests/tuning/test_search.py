"""The search loop (tuning/search.py) with a stand-in for training: seeding, batches, failures, the limit."""

from __future__ import annotations

import pytest

from forecast.config import build_config
from forecast.tuning import trials
from forecast.tuning.leaderboard import leaderboard
from forecast.tuning.search import finished, open_study, search
from forecast.tuning.space import own_values

SPACE = {"prep.lookback": [5, 10, 20, 40], "train.learning_rate": {"low": 1e-4, "high": 1e-2, "log": True}}


def config(seed: int = 0):
    return build_config({"data": {"source": "synthetic"}, "tune": {"space": SPACE, "seed": seed}})


def fake_trial(request: dict) -> dict:
    """A score from the values alone; lookback 40 fails as a too-long lookback would."""
    prep, train = request["config"]["prep"], request["config"]["train"]
    if prep["lookback"] == 40:
        return {"number": request["number"], "state": "failed", "folds": [], "error": "lookback too long",
                "seconds": 0.0}  # fmt: skip
    rmse = prep["lookback"] / 10 + abs(train["learning_rate"] - 3e-3) * 100
    return {"number": request["number"], "state": "complete", "seconds": 0.0, "error": None,
            "folds": [{"rmse": rmse, "naive_rmse": 1.0, "epochs": 1, "seconds": 0.0}] * 2}  # fmt: skip


@pytest.fixture(autouse=True)
def _no_training(monkeypatch) -> None:
    monkeypatch.setattr(trials, "run_trial", fake_trial)  # one worker: the pool calls it here, by name


def tuned(tmp_path, name: str, trials: int = 12, seed: int = 0):
    cfg = config(seed)
    study = open_study(tmp_path / f"{name}.db", seed)
    search(study, cfg, cfg.tune.space, tmp_path / "series.parquet", 100, first=own_values(cfg, cfg.tune.space, None),
           workers=1, trials=trials, timeout=None)  # fmt: skip
    return study


def test_the_same_seed_draws_the_same_trials_and_another_seed_others(tmp_path) -> None:
    one, two, other = tuned(tmp_path, "a"), tuned(tmp_path, "b"), tuned(tmp_path, "c", seed=1)
    assert [t.params for t in one.trials] == [t.params for t in two.trials]
    assert [t.params for t in one.trials][1:] != [t.params for t in other.trials][1:]
    # The config's own learning rate is the first trial's; its lookback (60) is not a choice, so it is drawn.
    assert one.trials[0].params["train.learning_rate"] == 1e-3


def test_failed_trials_count_and_the_search_goes_on(tmp_path) -> None:
    study = tuned(tmp_path, "f", trials=15)
    rows = leaderboard(finished(study))
    assert len(rows) == 15 and {r["state"] for r in rows} == {"complete", "failed"}
    failed = [r for r in rows if r["state"] == "failed"]
    assert all(r["values"]["prep.lookback"] == 40 and r["error"] == "lookback too long" for r in failed)
    assert rows[0]["state"] == "complete" and rows[-1]["state"] == "failed"


def test_a_study_asked_for_more_trials_continues_where_it_stopped(tmp_path) -> None:
    before = [t.params for t in tuned(tmp_path, "r", trials=4).trials]
    again = tuned(tmp_path, "r", trials=6)
    assert len(again.trials) == 6 and [t.params for t in again.trials][:4] == before
    # seeded per trial: the two added are what an uninterrupted search of six draws
    assert [t.params for t in again.trials] == [t.params for t in tuned(tmp_path, "u", trials=6).trials]
