"""`forecast retrain`: one model's retrain (challenge.py), or every symbol's of a universe."""

from __future__ import annotations

from pathlib import Path

from forecast.commands.challenge import Outcome, retrain_one
from forecast.commands.universe import Universe, retrain_universe
from forecast.config import Config
from forecast.data import data_root
from forecast.pipeline.runner import Listener
from forecast.registry.registry import models_root
from forecast.rundir import runs_root

__all__ = ["Outcome", "retrain"]


def retrain(
    config: Config,
    *,
    runs_dir: Path | None = None,
    data_dir: Path | None = None,
    models_dir: Path | None = None,
    force: bool = False,
    listener: Listener | None = None,
    executor: str = "local",
    workers: int | None = None,
    address: str | None = None,
) -> Outcome | Universe:
    """Fetch new bars, train a challenger, promote it only if it beats the champion and naive.
    A universe retrains every symbol's model (<name>-<symbol>): a Universe, one row per symbol."""
    if config.data.universe:
        roots = {"runs": runs_root(runs_dir), "data": data_root(data_dir), "models": models_root(models_dir)}
        return retrain_universe(config, roots, force, executor, workers, address)
    return retrain_one(config, runs_root(runs_dir), data_root(data_dir), models_root(models_dir), force, listener)
