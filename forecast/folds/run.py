"""Every fold of a walk-forward backtest (plan.py) is a run in memory, made by the functions
the stages use: split, fit the scaler on the fold's training rows, train, forecast the test
and validation windows through rollout, and score them by the one evaluation
(scoring/evaluation.py).

For every fold the scaler is fitted on that fold's training rows only and the model
is refit (or, with refit: false, trained on fold 1 and reused), and so are the
statistical competitors; the forecasts, the competitors' and every baseline's are scored
on that fold's test targets alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.config import Config
from forecast.data.frequency import Frequency, infer_frequency, season_of
from forecast.errors import DataError, ForecastError
from forecast.folds.plan import Fold, plan_folds
from forecast.folds.watch import Watch, validation_ratio
from forecast.network.training import train_model
from forecast.prepare.encoding import Encoding
from forecast.prepare.series import column_names, seasonal_profile, target_transform, transformed
from forecast.prepare.transforms import first_row
from forecast.prepare.windows import split_bounds, validation_start
from forecast.rollout.intervals import forecast_rows
from forecast.rollout.rollout import keras_network
from forecast.scoring.competitors import Task, for_part
from forecast.scoring.evaluation import Evaluation, Forecasts, Part, evaluate_part
from forecast.scoring.forecasters import NETWORK
from forecast.workers.pool import Job, Lost, Pool

log = logging.getLogger(__name__)


@dataclass
class FoldResult:
    fold: Fold
    evaluated: Evaluation  # scores, verdicts, bands and the combination's weights on the fold's test part
    encoding: Encoding
    fitted_rows: tuple[int, int]  # [first, last] row the scaler was fitted on
    windows: dict[str, int]
    epochs_run: int | None  # None when the fold reused an earlier model
    fit_seconds: float
    validation_ratio: float | None  # the network's validation RMSE over naive's (watch.py); None: no validation


@dataclass(frozen=True)
class Series:
    """What every fold reads: the series as the model sees it, and the run's settings (plain
    data: it goes to the worker processes too)."""

    frame: pd.DataFrame
    config: Config
    log_dir: Path | None
    kind: str  # prep.target_transform, auto resolved on the whole frame
    values: np.ndarray  # the target transformed, features as they are
    target: np.ndarray  # the target's levels
    frequency: Frequency  # of its dates (data/frequency.py)

    @property
    def season(self) -> int | None:
        return season_of(self.config.evaluate.season, self.frequency)  # auto: the season of its dates

    @classmethod
    def of(
        cls, frame: pd.DataFrame, config: Config, log_dir: Path | None, frequency: Frequency | None = None
    ) -> Series:
        """frequency: as a run recorded it; inferred from the frame's dates otherwise."""
        kind = target_transform(frame, config)
        frequency = frequency or infer_frequency(pd.DatetimeIndex(frame.index))
        season = season_of(config.evaluate.season, frequency)
        return cls(
            frame,
            config,
            log_dir,
            kind,
            transformed(frame, config, kind, season),
            frame.iloc[:, 0].to_numpy(dtype="float64"),
            frequency,
        )


def run_fold_stack(
    frame: pd.DataFrame,
    config: Config,
    log_dir: Path | None = None,
    on_fold: Callable[[FoldResult], None] | None = None,
    workers: int = 1,
    watch: Watch | None = None,
) -> list[FoldResult]:
    """Run every fold; `frame` holds the target first, then features (prepare/series.py).
    With log_dir, each fold's fit writes TensorBoard logs to log_dir/fold-<n>; on_fold sees
    each fold's result as it is made (tune's pruning stops a trial from there by raising).
    workers > 1: refitted folds run in that many processes at once, each with its share of
    the cores; the results are those of one process (tested). watch: hears every fold's
    training after each epoch (watch.py; the folds then run here, one after another).

    A fold is a run in memory, made by the functions the stages use: split, fit the
    scaler on the fold's training rows, train, forecast the test part through rollout
    (as evaluate does), assess."""
    series, folds = Series.of(frame, config, log_dir), plan_folds(len(frame), config)

    def heard(result: FoldResult) -> FoldResult:
        metrics = result.evaluated.metrics
        log.info(
            "fold %d/%d: RMSE %.4f, naive %.4f",
            result.fold.number,
            len(folds),
            metrics["model"]["rmse"],
            metrics["naive"]["rmse"],
        )
        if on_fold is not None:
            on_fold(result)
        return result

    if workers > 1 and config.evaluate.backtest.refit and len(folds) > 1 and watch is None:
        log.info("folds 1-%d/%d starting, %d at once in their own processes", len(folds), len(folds), workers)
        return [heard(result) for result in in_processes(series, folds, workers)]
    results, model = [], None
    for fold in folds:  # without refit, later folds reuse fold 1's model and competitor rows
        log.info("fold %d/%d: %s", fold.number, len(folds), starting(series.frame, fold))
        result, model = run_fold(series, fold, model, results[0].fold if results else None, watch)
        results.append(heard(result))
    return results


def starting(frame: pd.DataFrame, fold: Fold) -> str:
    """What a fold is about to do, said before it starts: its minutes are spent training."""
    dates = frame.index
    return (
        f"training on {dates[fold.train_start].date()} .. {dates[fold.test_start - 1].date()}, "
        f"testing {dates[fold.test_start].date()} .. {dates[fold.test_end - 1].date()}"
    )


def run_fold(
    series: Series, fold: Fold, model: Any = None, first: Fold | None = None, watch: Watch | None = None
) -> tuple[FoldResult, Any]:
    """One fold, and its model. `model` and `first` (fold 1) only without refit: that model is
    reused, and the competitors are fitted on fold 1's training rows. watch: see run_fold_stack."""
    frame, config, kind = series.frame, series.config, series.kind
    values, target, season = series.values, series.target, series.season
    prep, spec = config.prep, config.evaluate.backtest
    begin = max(fold.train_start, first_row(kind, season))  # no window reads an undefined transformed row
    val_start = validation_start(begin, fold.test_start, prep.val_fraction)
    split = split_bounds(prep.lookback, prep.output_steps, begin, val_start, fold.test_start, fold.test_end)
    counts = {"train": len(split.train), "val": len(split.val), "test": len(split.test)}
    if not counts["train"] or not counts["test"] or (prep.val_fraction > 0 and not counts["val"]):
        raise DataError(
            f"backtest fold {fold.number} (rows {fold.train_start}..{fold.test_end - 1}) has "
            f"{counts['train']} training, {counts['val']} validation and {counts['test']} test windows",
            hint="use fewer evaluate.backtest.folds, a lower prep.lookback, or a longer series",
        )
    # The seasonal profile and the scaler see this fold's training data and nothing after it.
    profile = seasonal_profile(
        frame.iloc[fold.train_start :], config, fold.test_start - fold.train_start, series.frequency, season
    )
    if profile is not None:
        values = transformed(frame, config, kind, season, profile)
    encoding = replace(Encoding.fit(values, split, prep, column_names(frame, kind), kind, season), profile=profile)

    def forecaster(network: Any) -> Callable[[np.ndarray], np.ndarray]:
        return lambda starts: forecast_rows(network, encoding, frame, values, starts, prep.output_steps)

    traced: list = []  # the model in training, traced once per fold, and only when the watcher scores

    def on_epoch(epochs: int, training: Any) -> None:  # `training` as it stands after `epochs`
        def score() -> float:
            traced[:] = traced or [keras_network(training)]
            return validation_ratio(forecaster(traced[0])(split.val), target, split.val)

        watch(fold.number, epochs, score)

    epochs, seconds = None, 0.0
    if model is None or spec.refit:
        x_train, y_train = encoding.windows(values, split.train)
        x_val, y_val = encoding.windows(values, split.val)
        clock = time.perf_counter()
        logs = series.log_dir / f"fold-{fold.number}" if series.log_dir is not None else None
        watching = on_epoch if watch is not None and len(split.val) else None
        model, fitted = train_model(config.model, config.train, x_train, y_train, x_val, y_val, logs, None, watching)
        epochs, seconds = fitted.epochs_run, time.perf_counter() - clock
    forecast = forecaster(keras_network(model))

    # The competitors are fitted like the model: on this fold's training rows, or fold 1's without refit.
    rows = (
        (first.train_start, first.test_start)
        if first is not None and not spec.refit
        else (fold.train_start, fold.test_start)
    )
    task = Task(target, rows, split.test, prep.output_steps, season)
    evaluate = config.evaluate
    rivals = for_part(
        evaluate.competitors,
        task,
        evaluate.competitor_timeout,
        validation=(split.val, val_start) if evaluate.combine else None,
    )
    dates, first_rows = pd.DatetimeIndex(frame.index), (fold.train_start, fold.test_start)
    part = Part(
        target,
        dates,
        split.test,
        prep.output_steps,
        first_rows,
        prep.lookback,
        season,
        series.frequency.name,
        split.val,
    )
    ours = {NETWORK: Forecasts(forecast(split.test), forecast(split.val) if len(split.val) else None)}
    evaluated = evaluate_part(
        part, ours, rivals, model_kind=config.model.kind, combine_them=evaluate.combine, levels=evaluate.intervals
    )
    validated = ours[NETWORK].validation
    ratio = validation_ratio(validated, target, split.val) if validated is not None else None
    bounds = (begin, fold.test_start - 1)
    return FoldResult(fold, evaluated, encoding, bounds, counts, epochs, seconds, ratio), model


def in_processes(series: Series, folds: list[Fold], workers: int) -> list[FoldResult]:
    """Refitted folds in `workers` processes at once (workers/pool.py), each with its share of the
    cores; results in fold order. A fold's error stops the others, as it would in one process."""
    jobs = [Job("forecast.folds.run:fold_job", (series, fold), f"fold {fold.number}") for fold in folds]
    with Pool(min(workers, len(folds))) as pool:
        results = pool.map(jobs)
    for fold, result in zip(folds, results, strict=True):
        if isinstance(result, Lost):
            raise ForecastError(
                f"backtest fold {fold.number}: {result.why}",
                hint="run it again; --workers 1 trains the folds in this process",
            )
    return results


def fold_job(job: tuple[Series, Fold]) -> FoldResult:
    """In a worker: one refitted fold."""
    return run_fold(*job)[0]
