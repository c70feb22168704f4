"""`forecast evaluate`: score a trained run again (metrics, baselines, plots) without retraining."""

from __future__ import annotations

import os
from pathlib import Path

from forecast.commands.runs import Run
from forecast.commands.train import Started, run_stages
from forecast.data import data_root
from forecast.pipeline.runner import Listener
from forecast.pipeline.stages import Context
from forecast.rundir import RunDir, runs_root
from forecast.rundir.artifacts import read_config

# Stages evaluate never reruns: a run whose training is out of date is refused, not retrained.
FROZEN = frozenset({"snapshot", "encode", "split", "train"})


def evaluate(run: str | os.PathLike[str], overrides: list[str] | None = None, *, runs_dir: Path | None = None,
             data_dir: Path | None = None, listener: Listener | None = None,
             on_start: Started | None = None) -> Run:  # fmt: skip
    found = RunDir.find(os.fspath(run), runs_root(runs_dir))
    config = read_config(found, overrides)
    ctx = Context(config, found, data_root(data_dir))
    return run_stages(ctx, listener, on_start, rerun_from="evaluate", must_be_current=FROZEN)
