"""`forecast train`: run (or resume) the stage pipeline in a run directory.

A config naming a universe (data.symbols) trains one run per symbol, or one global
model on all of them (model.scope: global): see commands/universe/.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forecast import rundir
from forecast.commands.frames import with_frame
from forecast.commands.runs import Run
from forecast.commands.universe import Universe, train_universe
from forecast.config import ConfigLike, as_config, dump_config, load_config
from forecast.config.universe import run_name
from forecast.data import data_root
from forecast.errors import UsageError
from forecast.network.budget import cut_short
from forecast.pipeline.runner import Listener, run_pipeline
from forecast.pipeline.stages import Context
from forecast.prepare.rhythm import for_series, prepared_for
from forecast.reports import tracking
from forecast.rundir import RunDir, runs_root
from forecast.rundir.artifacts import read_config, read_series

log = logging.getLogger("forecast")
# Called with the run's folder before its first stage: the CLI's resume hint names it.
Started = Callable[[Path], None]


def train(
    config: ConfigLike,
    *,
    overrides: list[str] | None = None,
    data: Any = None,
    runs_dir: Path | None = None,
    data_dir: Path | None = None,
    listener: Listener | None = None,
    on_start: Started | None = None,
    executor: str = "local",
    workers: int | None = None,
    address: str | None = None,
    on_member: Callable[..., None] | None = None,
) -> Run | Universe:
    """Train a config (a Config, a YAML path or a mapping) in a new run directory. `data`, a
    pandas Series or DataFrame, is the series to learn (source frame); a universe gives one
    run per symbol (a Universe)."""
    config = as_config(config, overrides) if data is None else with_frame(config, overrides, data, data_root(data_dir))
    tracking.require(config)  # before a run directory exists
    if config.data.universe:
        roots = {"runs": runs_root(runs_dir), "data": data_root(data_dir)}
        return train_universe(config, roots, executor, workers, address, on_member)
    if config.model.scope == "global":
        raise UsageError(
            f"config {config.name}: model.scope global needs a universe to pool",
            hint="list the symbols in data.symbols, or set model.scope: symbol",
        )
    # The series first: an unknown symbol or an unreachable source is refused before a run folder
    # exists (the snapshot stage then saves this frame).
    config, series = prepared_for(config, data_root(data_dir))  # and the rhythm's defaults (prepare/rhythm.py)
    run = RunDir.create(runs_root(runs_dir), run_name(config), dump_config(config))
    return run_stages(Context(config, run, data_root(data_dir), series=series), listener, on_start)


def resume(
    run_dir: str | Path,
    config: str | Path | None = None,
    overrides: list[str] | None = None,
    *,
    force: bool = False,
    data_dir: Path | None = None,
    listener: Listener | None = None,
    on_start: Started | None = None,
) -> Run:
    """Rerun only the stages of `run_dir` whose inputs or config changed (every stage with force)."""
    run = RunDir.open(Path(run_dir))
    resolved = load_config(Path(config), overrides) if config else read_config(run, overrides)
    if config and run.file(rundir.SERIES).is_file():  # the user's file again: the run's rhythm defaults too
        resolved = for_series(resolved, read_series(run))
    if resolved.model.scope == "global":  # refused before any stage reruns
        raise UsageError(
            f"run {run.path} is one symbol of a global model, trained on its whole universe at once",
            hint=f"re-evaluate it with: forecast evaluate {run.path}; or train the universe's config again",
        )
    return run_stages(Context(resolved, run, data_root(data_dir)), listener, on_start, force=force)


def run_stages(ctx: Context, listener: Listener | None, on_start: Started | None, **options: Any) -> Run:
    if on_start is not None:
        on_start(ctx.run.path)
    run_pipeline(ctx, listener=listener, **options)  # a failure says which run it marked failed (lifecycle.stop)
    run = Run(ctx.run.path)
    verdict = run.metrics.verdict()
    if verdict is not None and (advice := verdict.advice()) is not None:  # said by the command: a Python
        log.warning("on the test part %s", advice)  # caller hears it as the CLI does
    train_info = run.manifest.get("stages", {}).get("train", {}).get("info", {})
    if (short := cut_short(train_info, ctx.config.train.epochs)) is not None:
        log.warning("%s", short)
    return run
