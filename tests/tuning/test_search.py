"""The search loop (tuning/search.py) with a stand-in for training: seeding, the schedule, failures, the limit."""

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
                "seconds": 0.0, "rungs": {}, "epochs": 0}  # fmt: skip
    rmse = prep["lookback"] / 10 + abs(train["learning_rate"] - 3e-3) * 100
    return {"number": request["number"], "state": "complete", "seconds": 0.0, "error": None, "rungs": {}, "epochs": 2,
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


def test_every_trial_gets_the_searchs_deadline_and_the_time_left_is_said(tmp_path, monkeypatch, caplog) -> None:
    import logging
    import time

    asked: list[dict] = []
    monkeypatch.setattr(trials, "run_trial", lambda request: asked.append(request) or fake_trial(request))
    cfg = config()
    before = time.time()
    with caplog.at_level(logging.INFO, logger="forecast.tuning.search"):
        search(open_study(tmp_path / "d.db", 0), cfg, cfg.tune.space, tmp_path / "series.parquet", 100,
               first=own_values(cfg, cfg.tune.space, None), workers=1, trials=3, timeout=3600)  # fmt: skip
    assert len(asked) == 3 and len({r["deadline"] for r in asked}) == 1  # one deadline for the whole search
    assert before + 3600 <= asked[0]["deadline"] <= time.time() + 3600
    lines = [r.getMessage() for r in caplog.records if "to go" in r.getMessage()]
    assert lines[0].startswith("tune: 1 trial finished, 2 to go: about ") and len(lines) == 2  # none after the last
    asked.clear()
    search(open_study(tmp_path / "e.db", 0), cfg, cfg.tune.space, tmp_path / "series.parquet", 100,
           first=own_values(cfg, cfg.tune.space, None), workers=1, trials=1, timeout=None)  # fmt: skip
    assert asked[0]["deadline"] is None


def test_the_time_left_is_the_trials_left_at_the_pace_of_this_invocations_trials() -> None:
    from forecast.tuning.search import Pace

    # 2 trials were done by an earlier tune; this one finished 4 more, 2 at a time, in 120 s.
    said = Pace(before=2, workers=2).said(done=6, left=2, seconds=120.0)
    assert said == "6 trials finished, 2 to go: about 60 s more at 30 s a trial so far, 2 at a time"
    alone = Pace(before=0, workers=1).said(done=1, left=40, seconds=300.0)
    assert alone.endswith("about 3.3 h more at 5 min a trial so far")


def test_a_trial_stopped_at_the_time_limit_says_so_in_its_line() -> None:
    from forecast.cli.tune import trial_line

    row = {"trial": 3, "state": "pruned", "folds": 1, "error": trials.AT_THE_LIMIT, "rmse": 1.0, "ratio": 1.1,
           "seconds": 12.0}  # fmt: skip
    said = "trial 3/30  pruned after 1 fold (stopped at the --timeout limit)  RMSE 1.0000 (1.100x naive)  12 s"
    assert trial_line(row, 30) == said
    assert "(" not in trial_line({**row, "error": None}, 30).split("RMSE")[0]  # pruned by the median: no reason
    # Stopped before its first fold ended: nothing to score, said so (it was an internal error).
    unscored = {**row, "folds": 0, "rmse": None, "ratio": None, "network_rmse": None}
    assert trial_line(unscored, 30) == "trial 3/30  pruned (stopped at the --timeout limit)  no fold scored  12 s"
    # Stopped at a rung inside its first fold: the epochs it spent.
    weak = {**unscored, "epochs": 10, "error": "stopped at epoch 10 of fold 1: ..."}
    assert trial_line(weak, 30).startswith("trial 3/30  pruned after 10 epochs (stopped at epoch 10 of fold 1: ...)")
    assert trial_line({**row, "epochs": 37}, 30).startswith("trial 3/30  pruned after 1 fold, 37 epochs (stopped")
    combined = trial_line({**row, "state": "complete", "network_rmse": 1.25}, 30)
    assert combined == "trial 3/30  complete  RMSE 1.0000 (1.100x naive), network 1.2500  12 s"


def test_trials_tied_on_the_combination_rank_by_the_networks_own_rmse() -> None:
    # The combination gave the network no weight in any trial: the same objective everywhere.
    from optuna.trial import TrialState, create_trial

    def frozen(number: int, network: float):
        folds = [{"rmse": 0.79, "network_rmse": network, "naive_rmse": 0.9, "epochs": 3, "seconds": 1.0}]
        made = create_trial(state=TrialState.COMPLETE, value=0.79, user_attrs={"folds": folds, "values": {}})
        made.number = number
        return made

    rows = leaderboard([frozen(0, 2.06), frozen(1, 2.02), frozen(2, 2.10)])
    assert [r["trial"] for r in rows] == [1, 0, 2] and {r["rmse"] for r in rows} == {0.79}


def test_the_sampler_sees_the_networks_rmse_break_a_tie_of_the_combination(tmp_path, monkeypatch) -> None:
    def tied(request: dict) -> dict:  # the combination the same in every trial, the network not
        network = request["config"]["prep"]["lookback"] / 10
        folds = [{"rmse": 0.79, "network_rmse": network, "naive_rmse": 1.0, "epochs": 1, "seconds": 0.0}]
        result = {"number": request["number"], "state": "complete", "seconds": 0.0, "error": None, "folds": folds}
        return {**result, "rungs": {}, "epochs": 1}

    monkeypatch.setattr(trials, "run_trial", tied)
    study = tuned(tmp_path, "t", trials=6)
    done = [t for t in study.trials if t.params["prep.lookback"] != 40]
    by_value = sorted(done, key=lambda t: t.value)
    assert [t.params["prep.lookback"] for t in by_value] == sorted(t.params["prep.lookback"] for t in done)
    assert all(abs(t.value - 0.79) < 1e-4 for t in done)  # a millionth of the network's RMSE, no more


def test_past_the_time_limit_no_time_left_is_promised(tmp_path, monkeypatch, caplog) -> None:
    import logging

    from forecast.tuning import search as searching

    ticks = iter(range(0, 10_000, 100))  # every reading of the clock is 100 s later
    monkeypatch.setattr(searching.time, "monotonic", lambda: next(ticks))
    cfg = config()
    with caplog.at_level(logging.INFO, logger="forecast.tuning.search"):
        search(open_study(tmp_path / "p.db", 0), cfg, cfg.tune.space, tmp_path / "series.parquet", 100,
               first=own_values(cfg, cfg.tune.space, None), workers=1, trials=5, timeout=150)  # fmt: skip
    said = [r.getMessage() for r in caplog.records]
    assert any("the time limit (150 s) has passed" in line for line in said)
    assert not any("to go" in line for line in said)  # the batch ended past the limit: no estimate after it


def test_each_batch_is_compared_with_the_rung_records_of_the_trials_finished_before_it(tmp_path, monkeypatch) -> None:
    asked: list[dict] = []

    def recorded(request: dict) -> dict:
        asked.append(request)
        return {**fake_trial(request), "rungs": {"1:10": float(request["number"])}, "epochs": 10}

    monkeypatch.setattr(trials, "run_trial", recorded)
    cfg = config()
    study = open_study(tmp_path / "p.db", 0)
    search(study, cfg, cfg.tune.space, tmp_path / "series.parquet", 100, first=own_values(cfg, cfg.tune.space, None),
           workers=1, trials=6, timeout=None)  # fmt: skip
    # each sees the records of the trials told before its batch (failed ones included)
    assert [len(r["peers"]) for r in asked] == [0, 1, 2, 3, 4, 5]
    assert asked[4]["peers"] == [{"1:10": float(n)} for n in range(4)]
    assert [t.user_attrs["epochs"] for t in study.trials] == [10] * 6


class ScriptedPool:
    """Two workers on a simulated clock: a job takes the time `durations` gives its trial, and
    next_done returns the one that ends first. Records when each trial started and ended."""

    def __init__(self, durations, *_: object) -> None:
        self.durations, self.now, self.workers = durations, 0.0, 2
        self.running: dict[int, tuple[float, object]] = {}
        self.started: dict[int, float] = {}
        self.ended: dict[int, float] = {}
        self.tickets = iter(range(10_000))

    def __enter__(self):
        return self

    def __exit__(self, *_: object) -> None:
        pass

    @property
    def free(self) -> int:
        return self.workers - len(self.running)

    def submit(self, job) -> int:
        ticket, number = next(self.tickets), job.payload["number"]
        self.started[number] = self.now
        self.running[ticket] = (self.now + self.durations(job.payload), job)
        return ticket

    def next_done(self):
        ticket = min(self.running, key=lambda t: (self.running[t][0], t))
        self.now, job = self.running.pop(ticket)
        self.ended[job.payload["number"]] = self.now
        return ticket, trials.run_trial(job.payload)


def scripted(tmp_path, monkeypatch, name: str, durations, trials_: int = 12, timeout: float | None = None):
    from forecast.tuning import search as searching

    pools: list[ScriptedPool] = []
    monkeypatch.setattr(searching, "Pool", lambda *args: pools.append(ScriptedPool(durations)) or pools[-1])
    cfg = config()
    study = open_study(tmp_path / f"{name}.db", 0)
    search(study, cfg, cfg.tune.space, tmp_path / "series.parquet", 100, first=own_values(cfg, cfg.tune.space, None),
           workers=2, trials=trials_, timeout=timeout)  # fmt: skip
    return study, pools[0]


def test_a_worker_freed_by_a_short_trial_starts_the_next_while_a_long_one_runs(tmp_path, monkeypatch) -> None:
    # Trial 0 takes 100 s, every other 10 s: with two workers the other one runs trials 1, 2 and 3
    # beside it (trial 4 waits for trial 0 to be told: the lag is twice the workers).
    _, pool = scripted(tmp_path, monkeypatch, "a", lambda r: 100.0 if r["number"] == 0 else 10.0)
    assert [pool.started[n] for n in range(1, 4)] == [0.0, 10.0, 20.0]
    assert pool.started[4] == 100.0  # asked once trial 0 was told, not before
    assert pool.started[5] == pool.ended[4] == 110.0  # past the first five, a trial waits for them to be told
    # Here the 30 s the second worker gained beside trial 0 are given back waiting for the first five
    # (trial 4 runs alone from 100 s): 150 s, as batches of two would take (100 + 5 x 10).
    assert max(pool.ended.values()) == 150.0
    # Past the first five, a long trial costs no wait: trial 6 at 100 s, the others at 10 s, ends at
    # 140 s where batches of two would take 150 (10 x 3 + 100 + 10 x 2).
    _, later = scripted(tmp_path, monkeypatch, "b", lambda r: 100.0 if r["number"] == 6 else 10.0)
    assert max(later.ended.values()) == 140.0
    assert [later.started[n] for n in (7, 8, 9)] == [40.0, 50.0, 60.0]  # beside trial 6, from 40 s to 140 s


def test_the_same_seed_gives_the_same_trials_whichever_worker_finishes_first(tmp_path, monkeypatch) -> None:
    asked: list[dict] = []

    def recorded(request: dict) -> dict:
        asked.append(request)
        return {**fake_trial(request), "rungs": {"1:10": float(request["number"])}}

    monkeypatch.setattr(trials, "run_trial", recorded)
    fast_first, pool = scripted(tmp_path, monkeypatch, "f", lambda r: 1.0 + r["number"])
    peers = {r["number"]: len(r["peers"]) for r in asked}
    asked.clear()
    slow_first, other = scripted(tmp_path, monkeypatch, "s", lambda r: 100.0 - r["number"] * 7)
    assert [t.params for t in fast_first.trials] == [t.params for t in slow_first.trials]
    assert [t.value for t in fast_first.trials] == [t.value for t in slow_first.trials]
    # The finish orders differed, the rung records each trial was compared with did not:
    # trial N sees the trials up to N - 4 (two workers), told in number order, and past the
    # first five at least those five (the pruners' start-up).
    assert sorted(pool.ended, key=pool.ended.get) != sorted(other.ended, key=other.ended.get)
    expected = {n: max(0, n - 3) if n < 5 else max(5, n - 3) for n in range(12)}
    assert peers == {r["number"]: len(r["peers"]) for r in asked} == expected


def test_at_the_time_limit_trials_drawn_but_not_started_wait_for_a_resumed_tune(tmp_path, monkeypatch) -> None:
    from optuna.trial import TrialState

    from forecast.tuning import search as searching

    ticks = iter(range(0, 10_000, 100))  # every reading of the clock is 100 s later
    monkeypatch.setattr(searching.time, "monotonic", lambda: next(ticks))
    study, pool = scripted(tmp_path, monkeypatch, "t", lambda r: 10.0, trials_=12, timeout=250)
    started = set(pool.started)
    assert 0 < len(started) < 12 and set(pool.ended) == started  # the limit passed with trials 0-3 drawn
    released = [t for t in study.trials if t.user_attrs.get("interrupted")]
    assert released and {t.number for t in released}.isdisjoint(started)
    assert all(t.state == TrialState.FAIL for t in released)
    waiting = study.get_trials(states=(TrialState.WAITING,))  # queued with their values, as after Ctrl-C
    assert [t.system_attrs["fixed_params"] for t in waiting] == [t.params for t in released]
    assert len(finished(study)) == len(started)  # released trials do not count
