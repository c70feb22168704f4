"""One trial of `forecast tune`: a config scored by walk-forward folds over the training
part only (folds/run.py's fold stack on the rows before the test part), so the
test part is never seen by the search.

A trial runs in the tune's own process (one worker), in a worker process or on Ray
(workers/pool.py). Requests and results are plain data: they cross process boundaries.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import time
import warnings
from collections.abc import Iterator
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from forecast.config import Config, build_config
from forecast.errors import ForecastError, was_interrupted
from forecast.folds.run import FoldResult, run_fold_stack
from forecast.network import deadline
from forecast.scoring.forecasters import COMBINATION, NETWORK
from forecast.tuning.rungs import STARTUP, Rungs, Stopped

log = logging.getLogger(__name__)
# What a trial's own progress would print: one line per trial (search.py) says enough.
NOISY = ("forecast.folds.run", "forecast.network.training", "forecast.scoring.competitors")
# ...and the evaluation's warning of few validation windows, the same for every trial and fold:
# the final run, whose bands and combination the user gets, says it once.
SAID_BY_THE_FINAL_RUN = ("forecast.scoring.evaluation",)


AT_THE_LIMIT = "stopped at the --timeout limit"  # a pruned trial's reasons, in the leaderboard
OVER_BUDGET = "stopped at its budget (tune.budget.seconds)"


class Pruned(Exception):
    """Raised from a fold to stop a trial whose running mean is worse than the median."""


class NotFinite(Exception):
    """Raised from a fold whose forecasts went NaN or infinite: the trial fails, saying where."""


def as_scored(config: Config) -> dict[str, Any]:
    """The epoch cap the trials train at (tune.budget.epochs), as a config value: the trials'
    folds use it, and so does the best configuration's own training after the search, so the
    model published is the one the search scored (not one trained ten times as long, unmeasured)."""
    cap = config.tune.budget.epochs
    return {} if cap is None else {"train.epochs": min(cap, config.train.epochs)}


def scoring_config(config: Config) -> Config:
    """The trial's config as its folds use it: tune.folds expanding folds, each refit. With
    evaluate.combine the objective is the combination, what predict would publish, so the
    competitors are fitted in every fold (each fold's once per process: the same rows in every
    trial); without it, no competitors (they do not change the network's score; the final run
    has them)."""
    raw = config.model_dump(mode="json")
    raw["evaluate"]["backtest"] = {"folds": config.tune.folds, "mode": "expanding", "refit": True}
    if capped := as_scored(config):
        raw["train"]["epochs"] = capped["train.epochs"]
    if not config.evaluate.combine:
        raw["evaluate"].update(competitors=[], combine=False)
    raw["train"]["tensorboard"] = False
    return build_config(raw, "a tune trial's config")


def run_trial(request: dict[str, Any]) -> dict[str, Any]:
    """{"number", "config", "series" (or "frame"), "end", "completed", "peers", "deadline"} -> the
    trial's folds, state, rung record and epochs trained. `end` is the first test row: the trial
    sees rows [0, end). `completed` are the complete trials (Optuna FrozenTrials) the fold-level
    pruner compares this one with, `peers` the finished trials' rung records (rungs.py).
    `deadline` (time.time() seconds, or None): past it, training stops and the trial ends pruned."""
    clock = time.perf_counter()
    folds: list[dict[str, Any]] = []
    result: dict[str, Any] = {"number": request["number"], "folds": folds, "error": None}
    rungs = Rungs([], 1, 2, 0, prune=False)  # replaced below once the config is read
    try:
        config = scoring_config(build_config(request["config"], "a tune trial's config"))
        frame = request["frame"] if "frame" in request else _series(request["series"])
        frame = frame.iloc[: request["end"]]
        pruner = _pruner(request["completed"]) if config.tune.pruning else None
        budget = config.tune.budget
        rungs = Rungs(request["peers"], budget.rung_epochs, budget.reduction, config.train.epochs, config.tune.pruning)
        # The search's deadline (--timeout), or this trial's own budget if that ends sooner.
        seconds = config.tune.budget.seconds
        own = None if seconds is None else deadline.after(seconds)
        ends = min((d for d in (request.get("deadline"), own) if d is not None), default=None)

        def on_fold(fold: FoldResult) -> None:
            metrics = fold.evaluated.metrics
            published = COMBINATION if COMBINATION in metrics else NETWORK  # the objective's forecaster
            rmse, network, naive = metrics[published]["rmse"], metrics[NETWORK]["rmse"], metrics["naive"]["rmse"]
            if not (math.isfinite(rmse) and math.isfinite(network) and math.isfinite(naive)):
                raise NotFinite(f"fold {fold.fold.number}: the network's forecasts went NaN or infinite{_said(heard)}")
            took = round(fold.fit_seconds, 2)
            scores = {"rmse": rmse, "network_rmse": network, "naive_rmse": naive}
            folds.append({**scores, "epochs": fold.epochs_run, "seconds": took})
            rungs.ended(fold.fold.number, fold.epochs_run, fold.validation_ratio)
            if pruner is not None and pruner(running_ratios(folds)):
                raise Pruned

        # numpy's and Keras' warnings (a division by a window's last value of 0) are the trial's
        # to say in its own words, not lines on the user's terminal.
        with _quiet(), warnings.catch_warnings(record=True) as heard, deadline.until(ends):
            warnings.simplefilter("always")
            run_fold_stack(frame, config, on_fold=on_fold, watch=rungs)
        result["state"] = "complete"
    except Pruned:
        result["state"] = "pruned"
    except Stopped as exc:  # weak at a rung, inside a fold's training
        result.update(state="pruned", error=str(exc))
    except deadline.OutOfTime:  # --timeout or its budget: the folds it finished count, as a pruned trial's do
        result.update(state="pruned", error=AT_THE_LIMIT if ends == request.get("deadline") else OVER_BUDGET)
    except NotFinite as exc:
        result.update(state="failed", error=str(exc))
    except ForecastError as exc:  # this trial's values do not fit the series (a lookback too long)
        result.update(state="failed", error=exc.message)
    except Exception as exc:
        if was_interrupted(exc):
            raise
        result.update(state="failed", error=f"{type(exc).__name__}: {exc}")
    result.update(seconds=round(time.perf_counter() - clock, 2), rungs=rungs.reached, epochs=rungs.spent)
    return result


def _said(heard: list[warnings.WarningMessage]) -> str:
    """What numpy warned of first, as the reason's tail: " (divide by zero encountered in divide)"."""
    runtime = [w for w in heard if issubclass(w.category, RuntimeWarning)]
    return f" ({str(runtime[0].message)[:120]})" if runtime else ""


def lost(number: int, why: str) -> dict[str, Any]:
    """A trial whose worker process died (workers/pool.py: Lost): a failed trial, not a failed tune."""
    return {"number": number, "state": "failed", "folds": [], "error": why, "seconds": 0.0, "rungs": {}, "epochs": 0}


def mean_rmse(folds: list[dict[str, Any]]) -> float:
    """The objective: the mean of the folds' RMSEs (of the combination with evaluate.combine)."""
    return float(np.mean([f["rmse"] for f in folds]))


def running_ratios(folds: list[dict[str, Any]]) -> list[float]:
    """After each fold, the mean so far of RMSE / naive RMSE: what the pruner compares at that
    step. A ratio, not the RMSE: Optuna's median rule compares a trial's best value over its
    steps with the others' at the current step, and folds differ in scale (prices were lower
    earlier), so a running mean of RMSEs would compare numbers on different scales."""
    ratios = np.array([f["rmse"] / f["naive_rmse"] for f in folds], dtype="float64")
    return list(np.cumsum(ratios) / np.arange(1, len(ratios) + 1))


def _pruner(completed: list[Any]):
    """Optuna's MedianPruner on a snapshot of the finished trials: the same snapshot for every
    trial of a batch, so the decision does not depend on which worker finishes first."""
    import optuna
    from optuna.trial import TrialState, create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize")
    study.add_trials(completed)
    median = optuna.pruners.MedianPruner(n_startup_trials=STARTUP, n_warmup_steps=0)

    def should_prune(means: list[float]) -> bool:
        running = create_trial(
            state=TrialState.RUNNING, params={}, distributions={}, intermediate_values=dict(enumerate(means))
        )
        return median.prune(study, running)

    return should_prune


@cache
def _series(path: str) -> pd.DataFrame:
    return pd.read_parquet(path)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No Keras bars and no per-epoch or per-fold lines inside a trial (warnings still show, but
    those the final run repeats)."""
    loggers = [logging.getLogger(name) for name in (*NOISY, *SAID_BY_THE_FINAL_RUN)]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR if lg.name in SAID_BY_THE_FINAL_RUN else logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
