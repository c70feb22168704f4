"""`forecast backtest`: walk-forward folds (forecast/folds/) in a new run directory."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forecast import atomic, rundir
from forecast.commands.frames import with_frame
from forecast.config import ConfigLike, as_config, require_one_series
from forecast.data import data_root
from forecast.figures.ranking import plot_backtest
from forecast.folds.report import predictions, report
from forecast.folds.run import run_fold_stack
from forecast.pipeline.lifecycle import new_run
from forecast.prepare.rhythm import prepared_for
from forecast.reports import tracking
from forecast.rundir import runs_root
from forecast.rundir.artifacts import save_backtest, save_series, write_csv
from forecast.rundir.files import BacktestFile
from forecast.workers.setup import default_workers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backtest:
    run: Path  # runs/<name>-backtest-<time>/
    report: BacktestFile  # backtest.json: per fold and mean ± sd of every metric


def backtest(
    config: ConfigLike,
    *,
    overrides: list[str] | None = None,
    data: Any = None,
    runs_dir: Path | None = None,
    data_dir: Path | None = None,
    workers: int | None = None,
) -> Backtest:
    """Snapshot the series into a new run directory, run the folds, save the report. workers:
    folds at once, each in its own process (default one per core; 1: one after another here)."""
    config = as_config(config, overrides) if data is None else with_frame(config, overrides, data, data_root(data_dir))
    require_one_series(config, "a backtest")
    tracking.require(config)
    spec = config.evaluate.backtest
    workers = workers or default_workers()  # a bad FORECAST_WORKERS is refused before any folder exists
    log.info("backtest: %d %s folds, refit %s", spec.folds, spec.mode, str(spec.refit).lower())
    config, frame = prepared_for(config, data_root(data_dir))  # and the keys it leaves unset, by the series' rhythm
    clock = time.perf_counter()
    with new_run(runs_root(runs_dir), f"{config.name}-backtest", "backtest", config, seed=config.train.seed) as started:
        run = started.run
        save_series(run, frame)
        started.manifest["data_fingerprint"] = run.sha256(rundir.SERIES)
        run.save_manifest(started.manifest)
        logs = run.file(rundir.TENSORBOARD) if config.train.tensorboard else None
        results = run_fold_stack(frame, config, logs, workers=workers)
        result = BacktestFile.model_validate(report(results, frame, config))
        save_backtest(run, result)
        table = predictions(results, frame)
        write_csv(run.file(rundir.BACKTEST_PREDICTIONS), table)
        if config.plot.enabled:
            with atomic.replacing(run.file(rundir.BACKTEST_PNG)) as tmp:
                plot_backtest(frame.iloc[:, 0], table, result, config, tmp)
        started.extra["seconds"] = round(time.perf_counter() - clock, 3)
    return Backtest(run.path, result)
