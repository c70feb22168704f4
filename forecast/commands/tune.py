"""`forecast tune`: search a config's options by walk-forward backtests inside the training
part, then train the best configuration once and score it on the test part.

    runs/<name>-tune-<time>/
      series.parquet   the series searched on (the final run reads the same cache)
      study.db         the Optuna study: every trial; --run-dir resumes from it
      trials.csv       the leaderboard        tune.json   the summary and the final verdict
      best.yaml        the best trial's config, ready for train and retrain

The test part is never seen by the search: each trial is scored on folds of the rows
before it (tuning/trials.py). It is scored once, by the best configuration's own run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forecast import atomic, rundir
from forecast.commands.frames import with_frame
from forecast.commands.runs import Run
from forecast.commands.train import run_stages
from forecast.config import Config, ConfigLike, as_config, dump_config, require_one_series
from forecast.config.universe import run_name
from forecast.data import data_root
from forecast.data.frequency import infer_frequency, season_of
from forecast.errors import UsageError
from forecast.figures.tune import plot_history, plot_importance
from forecast.folds.plan import plan_folds
from forecast.pipeline.lifecycle import new_run, reopened_run
from forecast.pipeline.runner import Listener
from forecast.pipeline.stages import Context
from forecast.prepare.rhythm import prepared_for
from forecast.prepare.series import plan_split
from forecast.reports import tracking
from forecast.rundir import RunDir, runs_root
from forecast.rundir.artifacts import read_config, read_series, save_series, save_tune
from forecast.rundir.files import Trial, TuneFile
from forecast.scoring.forecasters import COMBINATION, NETWORK
from forecast.tuning.leaderboard import leaderboard, table_rows
from forecast.tuning.search import Told, finished, importance, open_study, search
from forecast.tuning.space import Space, configure, default_space, own_values
from forecast.tuning.trials import as_scored, scoring_config
from forecast.workers.pool import Executor
from forecast.workers.setup import default_workers

log = logging.getLogger("forecast")


@dataclass(frozen=True)
class Tune:
    run: Path  # runs/<name>-tune-<time>/
    summary: TuneFile  # tune.json
    leaderboard: list[Trial]  # every finished trial, best first
    best: Path | None  # best.yaml (None when no trial completed)
    final: Run | None  # the best configuration trained once and scored on the test part


def tune(
    config: ConfigLike | None = None,
    *,
    overrides: list[str] | None = None,
    data: Any = None,
    run_dir: str | Path | None = None,
    trials: int | None = None,
    timeout: float | None = None,
    workers: int | None = None,
    runs_dir: Path | None = None,
    data_dir: Path | None = None,
    on_trial: Told | None = None,
    on_start: Callable[[Path], None] | None = None,
    executor: Executor = "local",
    address: str | None = None,
    listener: Listener | None = None,
) -> Tune:
    """Tune a config in a new run directory, or resume the stopped tune in `run_dir`.
    `trials` and `timeout` override tune.trials and tune.timeout; `workers` (default: one
    per core) run trials in parallel processes, or on Ray with executor "ray" (address: a
    cluster's; default a private local instance); on_start hears the tune run's folder first,
    listener the final run's stages."""
    notify = on_start or (lambda path: None)
    how = _How(trials, timeout, workers or default_workers(), executor, address, runs_dir, data_dir, on_trial, listener)
    if run_dir is not None:
        run = RunDir.open(Path(run_dir))
        if run.manifest().get("kind") != "tune":
            raise UsageError(f"{run.path} is not a tune run", hint="forecast runs list shows the tune-* runs")
        resolved = read_config(run, overrides)
        notify(run.path)
        with reopened_run(run, resolved) as started:
            return _tune(started, resolved, read_series(run), how)
    if config is None:
        raise UsageError("tune needs a config (e.g. configs/lstm.yaml) or run_dir to resume")
    if data is None:
        resolved = as_config(config, overrides)
    else:
        resolved = with_frame(config, overrides, data, data_root(data_dir))
    require_one_series(resolved, "tune")
    tracking.require(resolved)
    resolved, frame = prepared_for(resolved, data_root(data_dir))  # trial 0 and the space: the rhythm's defaults
    with new_run(runs_root(runs_dir), f"{resolved.name}-tune", "tune", resolved, seed=resolved.tune.seed) as started:
        notify(started.run.path)
        save_series(started.run, frame)
        started.manifest["data_fingerprint"] = started.run.sha256(rundir.SERIES)
        started.run.save_manifest(started.manifest)
        return _tune(started, resolved, frame, how)


@dataclass(frozen=True)
class _How:
    """The command's options, as they reach the search and the final run."""

    trials: int | None
    timeout: float | None
    workers: int
    executor: Executor
    address: str | None
    runs_dir: Path | None
    data_dir: Path | None
    on_trial: Told | None
    listener: Listener | None


def _tune(started: Any, config: Config, frame: pd.DataFrame, how: _How) -> Tune:
    run = started.run
    season = season_of(config.evaluate.season, infer_frequency(pd.DatetimeIndex(frame.index)))
    end = plan_split(len(frame), config, season).test_start  # the first test row: trials see rows before it
    target = frame.iloc[:end, 0].to_numpy(dtype="float64")
    first_fold = plan_folds(end, scoring_config(config))[0].test_start
    space = config.tune.space or default_space(config, target, season, first_fold)
    # A resumed tune goes on to the count it was started with (--trials is not in its config).
    limit = how.trials or started.manifest.get("trials") or config.tune.trials
    started.manifest["trials"] = limit
    run.save_manifest(started.manifest)
    log.info(
        "tune: %d trials of %s on %s, %d at a time; each scored by %d walk-forward folds of the rows before %s",
        limit,
        config.name,
        config.data.symbol,
        how.workers,
        config.tune.folds,
        frame.index[end].date(),
    )
    study = open_study(run.file(rundir.STUDY_DB), config.tune.seed)
    search(
        study,
        config,
        space,
        run.file(rundir.SERIES),
        end,
        first=own_values(config, space, target),
        workers=how.workers,
        trials=limit,
        timeout=how.timeout or config.tune.timeout,
        on_told=how.on_trial,
        executor=how.executor,
        address=how.address,
    )
    rows = leaderboard(finished(study))
    with atomic.replacing(run.file(rundir.TRIALS_CSV)) as tmp:
        pd.DataFrame(table_rows(rows)).to_csv(tmp, index=False)
    summary = _summary(config, space, rows, frame, end, how.workers)
    summary["importance"] = importance(study)
    best_path, final = None, None
    best = rows[0] if rows and rows[0]["state"] == "complete" else None
    chosen = None
    if best is not None:
        name = config.name if config.name.endswith("-tuned") else f"{config.name}-tuned"  # a re-tune keeps it
        chosen = configure(config, {**best["values"], **as_scored(config)}, name=name)
        best_path = run.file(rundir.BEST_CONFIG)
        run.write_text(rundir.BEST_CONFIG, _header(config, best, run.path) + dump_config(chosen))
    # The search's results are saved before anything that may fail after it (a figure, the final
    # training): tune --run-dir takes up from here, with the study and best.yaml as they are.
    save_tune(run, TuneFile.model_validate({**summary, "leaderboard": rows}))
    if config.plot.enabled:
        _figures(run, rows, summary, config.plot.dpi)
    if chosen is not None:
        log.info(
            "tune: trial %d is best (mean fold RMSE %.4f); training it once on the training part",
            best["trial"],  # type: ignore[index]
            best["rmse"],  # type: ignore[index]
        )
        final = run_stages(
            Context(chosen, _final_run(started, chosen, how), data_root(how.data_dir)), how.listener, None
        )
        summary["final"] = _final(final, run)
    tuned = TuneFile.model_validate({**summary, "leaderboard": rows})
    save_tune(run, tuned)
    return Tune(run.path, tuned, tuned.leaderboard, best_path, final)


def _final_run(started: Any, chosen: Config, how: _How) -> RunDir:
    """The folder the best configuration trains in: the one a stopped tune began (resumed where it
    stopped, stages done kept), else a new one, recorded before training starts."""
    recorded = started.manifest.get("final_run")
    if recorded and Path(recorded, rundir.MANIFEST).is_file():
        log.info("tune: the best configuration's run %s resumes", recorded)
        return RunDir(Path(recorded))
    run = RunDir.create(runs_root(how.runs_dir), run_name(chosen), dump_config(chosen))
    started.manifest["final_run"] = str(run.path)
    started.run.save_manifest(started.manifest)
    return run


def _summary(
    config: Config, space: Space, rows: list[dict[str, Any]], frame: pd.DataFrame, end: int, workers: int
) -> dict[str, Any]:
    counts = {state: sum(1 for r in rows if r["state"] == state) for state in ("complete", "pruned", "failed")}
    seconds = sum(r["seconds"] or 0 for r in rows)
    pruned = sum(r["seconds"] or 0 for r in rows if r["state"] == "pruned")
    first = next((r for r in rows if r["trial"] == 0), None)
    return {
        "symbol": config.data.symbol,
        "target": config.data.target,
        "objective": f"mean RMSE of the {'combination' if config.evaluate.combine else 'network'} (what predict "
        f"would publish) over {config.tune.folds} walk-forward folds of the rows before "
        f"{frame.index[end].date()}",
        "searched_rows": {"first": str(frame.index[0].date()), "last": str(frame.index[end - 1].date())},
        "trials": {"finished": len(rows), **counts},
        "pruned_share": round(pruned / seconds, 4) if seconds else None,
        "workers": workers,
        "seed": config.tune.seed,
        "space": {k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in space.items()},
        "config_trial": first,  # trial 0: the config's own values
        "best": rows[0] if rows and rows[0]["state"] == "complete" else None,
    }


def _figures(run: RunDir, rows: list[dict[str, Any]], summary: dict[str, Any], dpi: int) -> None:
    with atomic.replacing(run.file(rundir.TUNE_HISTORY_PNG)) as tmp:
        plot_history(rows, dpi, tmp)
    if summary["importance"]:
        with atomic.replacing(run.file(rundir.TUNE_IMPORTANCE_PNG)) as tmp:
            plot_importance(summary["importance"], dpi, tmp)


def _final(final: Run, tune_run: RunDir) -> dict[str, Any]:
    """The test verdict of the best configuration, from its own run's metrics.json."""
    metrics = final.metrics
    published = COMBINATION if COMBINATION in metrics.scores else NETWORK
    same_data = RunDir(final.path).sha256(rundir.SERIES) == tune_run.sha256(rundir.SERIES)
    if not same_data:
        log.warning(
            "the cache changed during the tune: the final run %s scored a different series than the trials searched",
            final.path,
        )
    return {
        "run": str(final.path),
        "same_series": same_data,
        "rmse": metrics.rmse,
        "naive_rmse": metrics.naive_rmse,
        "skill": metrics.skill,
        "beats_naive": metrics.beats_naive,
        "dm_p": metrics.dm_p,
        "best_competitor": (metrics.competitors or {}).get("best"),
        "beats_competitors": metrics.beats_competitors,
        "verdicts": metrics.verdicts.get("model", {}),
        "published": published,
        "published_rmse": metrics.scores[published]["rmse"],
    }


def _header(config: Config, best: dict[str, Any], tune_run: Path) -> str:
    said = (
        f"# Found by forecast tune ({tune_run.name}) from config {config.name}: trial {best['trial']}, "
        f"mean walk-forward RMSE {best['rmse']:.6g}\n# over {best['folds']} folds of the training part "
        f"(naive {best['naive_rmse']:.6g}).\n# Train it: forecast train --config "
        f"{tune_run / rundir.BEST_CONFIG}\n"
    )
    if capped := as_scored(config):
        said += f"# train.epochs is tune.budget.epochs ({capped['train.epochs']}): the trials were scored so.\n"
    return said
