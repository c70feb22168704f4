"""`forecast evaluate`: score a trained run again (metrics, baselines, plots) without retraining."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from forecast import rundir
from forecast.commands.resolve import find_run
from forecast.commands.runs import Run
from forecast.commands.train import Started, run_stages
from forecast.config import Config, dump_config
from forecast.data import data_root
from forecast.errors import held_signals
from forecast.pipeline.runner import STAGES, Listener, plan
from forecast.pipeline.stages import Context
from forecast.rundir import RunDir, runs_root, utc_now
from forecast.rundir.artifacts import read_config

# Stages evaluate never reruns: a run whose training is out of date is refused, not retrained.
FROZEN = frozenset({"snapshot", "encode", "split", "train"})
log = logging.getLogger(__name__)


def evaluate(
    run: str | os.PathLike[str],
    overrides: list[str] | None = None,
    *,
    runs_dir: Path | None = None,
    data_dir: Path | None = None,
    listener: Listener | None = None,
    on_start: Started | None = None,
) -> Run:
    """Score a run again. With overrides, the rescoring is a new run beside it (a copy of its
    data, split and model, evaluated under the new options), and the run keeps its own scores."""
    root = runs_root(runs_dir)
    found = find_run(run, root)
    config = read_config(found, overrides)
    ctx = Context(config, found, data_root(data_dir))
    if overrides:
        # Refused before any folder exists when the options would need retraining.
        plan(ctx, STAGES, len(STAGES), found.manifest().get("stages", {}), FROZEN)
        ctx = Context(config, rescoring(found, root, config), ctx.data_dir)
        log.info("rescoring in a new run %s; %s keeps its scores", ctx.run.path, found.path)
    return run_stages(ctx, listener, on_start, rerun_from="evaluate", must_be_current=FROZEN)


def rescoring(run: RunDir, root: Path, config: Config) -> RunDir:
    """A new run holding a copy of `run`'s files and the new options, that says where it came from.
    Made whole with Ctrl-C and SIGTERM held, and interrupted until its evaluation runs: a copy
    stopped halfway read as the run it copies (its manifest said complete, with the old scores)."""
    with held_signals():
        copy = RunDir.create(root, f"{run.path.name}-rescored")
        shutil.copytree(run.path, copy.path, dirs_exist_ok=True, ignore=shutil.ignore_patterns(rundir.LOCK))
        copy.write_text(rundir.CONFIG, dump_config(config))  # a resume (train --run-dir) rescores it
        manifest = copy.manifest()
        now = utc_now()
        manifest.update(
            rescored_from=str(run.path),
            created=now,
            updated=now,
            status="interrupted",
            error="stopped before it was rescored",
        )
        copy.save_manifest(manifest)
    return copy
