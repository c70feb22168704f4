"""Walk-forward backtest: k chronological test folds at the end of the series.

    rows: 0 ................................ first_test .. fold 1 .. fold 2 .. fold 3 | n
    expanding: fold k trains on [0, fold k start)
    sliding:   fold k trains on the first_test rows just before fold k start

For every fold the scaler is fitted on that fold's training rows only and the model
is refit (or, with refit: false, trained on fold 1 and reused), and so are the
statistical competitors; the forecasts, the competitors' and every baseline's are scored
on that fold's test targets alone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.config import Config
from forecast.data.frequency import infer_frequency, season_of
from forecast.errors import DataError
from forecast.network.training import train_model
from forecast.prepare.encoding import Encoding
from forecast.prepare.series import column_names, target_transform, transformed
from forecast.prepare.transforms import first_row
from forecast.prepare.windows import split_bounds, validation_start
from forecast.rollout.intervals import forecast_rows
from forecast.rollout.rollout import keras_network
from forecast.scoring.combination import Combination, combine
from forecast.scoring.competitors import Task
from forecast.scoring.competitors import run as run_competitors
from forecast.scoring.evaluation import Assessment, assess
from forecast.scoring.frames import predictions_frame

log = logging.getLogger(__name__)
# A fold with fewer test targets gives no usable metric spread or significance test.
MIN_FOLD_ROWS = 5


@dataclass(frozen=True)
class Fold:
    number: int  # 1-based
    train_start: int  # first row the scaler and the model may see
    test_start: int  # first test target row; also one past the last training row
    test_end: int  # one past the last test target row


def plan_folds(n_rows: int, config: Config) -> list[Fold]:
    spec, prep = config.evaluate.backtest, config.prep
    test_rows = int(round(n_rows * prep.test_fraction))
    if test_rows < MIN_FOLD_ROWS * spec.folds:
        raise DataError(
            f"{spec.folds} backtest folds over the {test_rows} test rows of a {n_rows}-row series leave fewer "
            f"than {MIN_FOLD_ROWS} test rows per fold",
            hint="use fewer evaluate.backtest.folds, a larger prep.test_fraction, or a longer series",
        )
    first_test = n_rows - test_rows
    edges = np.linspace(first_test, n_rows, spec.folds + 1).round().astype(int)
    return [
        Fold(k + 1, 0 if spec.mode == "expanding" else int(edges[k]) - first_test, int(edges[k]), int(edges[k + 1]))
        for k in range(spec.folds)
    ]


@dataclass
class FoldResult:
    fold: Fold
    assessed: Assessment
    encoding: Encoding
    fitted_rows: tuple[int, int]  # [first, last] row the scaler was fitted on
    windows: dict[str, int]
    epochs_run: int | None  # None when the fold reused an earlier model
    fit_seconds: float
    combination: Combination | None = None  # the weights fitted on this fold's validation windows


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
    season: int | None

    @classmethod
    def of(cls, frame: pd.DataFrame, config: Config, log_dir: Path | None) -> Series:
        kind = target_transform(frame, config)
        season = season_of(config.evaluate.season, infer_frequency(pd.DatetimeIndex(frame.index)))  # auto: its dates
        return cls(frame, config, log_dir, kind, transformed(frame, config, kind),
                   frame.iloc[:, 0].to_numpy(dtype="float64"), season)  # fmt: skip


def run_fold_stack(frame: pd.DataFrame, config: Config, log_dir: Path | None = None,
                   on_fold: Callable[[FoldResult], None] | None = None,
                   workers: int = 1) -> list[FoldResult]:  # fmt: skip
    """Run every fold; `frame` holds the target first, then features (prepare/series.py).
    With log_dir, each fold's fit writes TensorBoard logs to log_dir/fold-<n>; on_fold sees
    each fold's result as it is made (tune's pruning stops a trial from there by raising).
    workers > 1: refitted folds run in that many processes at once, each with its share of
    the cores; the results are those of one process (tested).

    A fold is a run in memory, made by the functions the stages use: split, fit the
    scaler on the fold's training rows, train, forecast the test part through rollout
    (as evaluate does), assess."""
    series, folds = Series.of(frame, config, log_dir), plan_folds(len(frame), config)

    def heard(result: FoldResult) -> FoldResult:
        metrics = result.assessed.metrics
        log.info("fold %d/%d: RMSE %.4f, naive %.4f", result.fold.number, len(folds), metrics["model"]["rmse"],
                 metrics["naive"]["rmse"])  # fmt: skip
        if on_fold is not None:
            on_fold(result)
        return result

    if workers > 1 and config.evaluate.backtest.refit and len(folds) > 1:
        log.info("folds 1-%d/%d starting, %d at once in their own processes", len(folds), len(folds), workers)
        return [heard(result) for result in in_processes(series, folds, workers)]
    results, model = [], None
    for fold in folds:  # without refit, later folds reuse fold 1's model and competitor rows
        log.info("fold %d/%d: %s", fold.number, len(folds), starting(series.frame, fold))
        result, model = run_fold(series, fold, model, results[0].fold if results else None)
        results.append(heard(result))
    return results


def starting(frame: pd.DataFrame, fold: Fold) -> str:
    """What a fold is about to do, said before it starts: its minutes are spent training."""
    dates = frame.index
    return (f"training on {dates[fold.train_start].date()} .. {dates[fold.test_start - 1].date()}, "
            f"testing {dates[fold.test_start].date()} .. {dates[fold.test_end - 1].date()}")  # fmt: skip


def run_fold(series: Series, fold: Fold, model: Any = None, first: Fold | None = None) -> tuple[FoldResult, Any]:
    """One fold, and its model. `model` and `first` (fold 1) only without refit: that model is
    reused, and the competitors are fitted on fold 1's training rows."""
    frame, config, kind = series.frame, series.config, series.kind
    values, target, season = series.values, series.target, series.season
    prep, spec = config.prep, config.evaluate.backtest
    begin = max(fold.train_start, first_row(kind))  # no window reads an undefined transformed row
    val_start = validation_start(begin, fold.test_start, prep.val_fraction)
    split = split_bounds(prep.lookback, prep.output_steps, begin, val_start, fold.test_start, fold.test_end)
    counts = {"train": len(split.train), "val": len(split.val), "test": len(split.test)}
    if not counts["train"] or not counts["test"] or (prep.val_fraction > 0 and not counts["val"]):
        raise DataError(
            f"backtest fold {fold.number} (rows {fold.train_start}..{fold.test_end - 1}) has "
            f"{counts['train']} training, {counts['val']} validation and {counts['test']} test windows",
            hint="use fewer evaluate.backtest.folds, a lower prep.lookback, or a longer series",
        )
    # The scaler sees this fold's training data and nothing after it.
    encoding = Encoding.fit(values, split, prep, column_names(frame, kind), kind)
    epochs, seconds = None, 0.0
    if model is None or spec.refit:
        x_train, y_train = encoding.windows(values, split.train)
        x_val, y_val = encoding.windows(values, split.val)
        clock = time.perf_counter()
        logs = series.log_dir / f"fold-{fold.number}" if series.log_dir is not None else None
        model, fitted = train_model(config.model, config.train, x_train, y_train, x_val, y_val, logs)
        epochs, seconds = fitted.epochs_run, time.perf_counter() - clock
    predicted = forecast_rows(keras_network(model), encoding, frame, values, split.test, prep.output_steps)
    # The competitors are fitted like the model: on this fold's training rows, or fold 1's without refit.
    rows = (first.train_start, first.test_start) if first is not None and not spec.refit else (
        fold.train_start, fold.test_start)  # fmt: skip
    task = Task(target, rows, split.test, prep.output_steps, season)
    rivals = run_competitors(config.evaluate.competitors, task, config.evaluate.competitor_timeout)
    combined = None
    if config.evaluate.combine and len(split.val):  # weights fitted on this fold's validation windows
        network_val = forecast_rows(keras_network(model), encoding, frame, values, split.val, prep.output_steps)
        task = Task(target, (rows[0], min(rows[1], val_start)), split.val, prep.output_steps, season)
        val_rivals = run_competitors(list(rivals.forecasts), task, config.evaluate.competitor_timeout)
        validation = (split.val, network_val, val_rivals.forecasts)
        combined = combine(target, validation, (split.test, predicted, rivals.forecasts))
    assessed = assess(
        target, split.test, predicted, lookback=prep.lookback, season=season,
        train_end=fold.test_start, train_start=fold.train_start, competitors=rivals.forecasts,
        combination=combined.test if combined else None,
    )  # fmt: skip
    weights = combined.combination if combined else None
    result = FoldResult(fold, assessed, encoding, (begin, fold.test_start - 1), counts, epochs, seconds, weights)
    return result, model


def in_processes(series: Series, folds: list[Fold], workers: int) -> list[FoldResult]:
    """Refitted folds in `workers` processes at once, each pinned to its share of the cores;
    results in fold order. A fold's error stops the others."""
    from forecast.child import share_of_cores, spawned_pool

    workers = min(workers, len(folds))
    with spawned_pool(workers) as pool:
        level, threads = log.getEffectiveLevel(), share_of_cores(workers)
        futures = [pool.submit(_fold_in_worker, series, fold, threads, level) for fold in folds]
        return [future.result() for future in futures]


def _fold_in_worker(series: Series, fold: Fold, threads: int, level: int) -> FoldResult:
    import signal

    from forecast.network.training import pin_threads

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which stops the workers
    logging.basicConfig(level=max(level, logging.WARNING), format=f"%(levelname)s: [fold {fold.number}] %(message)s")
    for name in ("tensorflow", "absl", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)
    pin_threads(threads)
    return run_fold(series, fold)[0]


def summarise(results: list[FoldResult]) -> dict[str, dict[str, dict[str, float | None]]]:
    """Mean and standard deviation (ddof 1; 0 for one fold) of every metric, per forecaster."""
    summary: dict[str, dict[str, dict[str, float | None]]] = {}
    for name in results[0].assessed.metrics:
        summary[name] = {}
        for metric in results[0].assessed.metrics[name]:
            # A competitor skipped in one fold (over its time limit) has no score there.
            values = [r.assessed.metrics.get(name, {}).get(metric) for r in results]
            known = np.array([v for v in values if v is not None], dtype="float64")
            summary[name][metric] = {
                "mean": float(known.mean()) if len(known) else None,
                "std": float(known.std(ddof=1)) if len(known) > 1 else (0.0 if len(known) else None),
            }
    return summary


def report(results: list[FoldResult], frame: pd.DataFrame, config: Config) -> dict[str, Any]:
    dates = frame.index

    def day(row: int) -> str:
        return dates[row].date().isoformat()

    folds = []
    for r in results:
        folds.append(
            {
                "fold": r.fold.number,
                "train": {"first": day(r.fold.train_start), "last": day(r.fold.test_start - 1)},
                "test": {"first": day(int(r.assessed.rows[0, 0])), "last": day(int(r.assessed.rows[-1, -1]))},
                "scaler_fitted_on": {"first": day(r.fitted_rows[0]), "last": day(r.fitted_rows[1])},
                "windows": r.windows,
                "epochs_run": r.epochs_run,
                "fit_seconds": round(r.fit_seconds, 3),
                "metrics": r.assessed.metrics,
                "diebold_mariano": r.assessed.dm,
                "best_competitor": r.assessed.best_competitor,  # and the model's DM test against it
                **({"combination": r.combination.to_dict()} if r.combination else {}),
            }
        )
    spec = config.evaluate.backtest
    return {
        "symbol": config.data.symbol,
        "target": config.data.target,
        "model": config.model.kind,
        "backtest": spec.model_dump(),
        "folds": folds,
        "summary": summarise(results),
    }


def predictions(results: list[FoldResult], frame: pd.DataFrame) -> pd.DataFrame:
    parts = [predictions_frame(frame.index, r.assessed).assign(fold=r.fold.number) for r in results]
    table = pd.concat(parts, ignore_index=True)
    return table[["fold", *[c for c in table.columns if c != "fold"]]]
