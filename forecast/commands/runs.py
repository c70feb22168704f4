"""A finished run as a Python object: `forecast.open_run("lstm")`.

run = forecast.open_run("lstm")        # the newest lstm-* run, a folder name, or a path
run.metrics.skill, run.predictions      # metrics.json (typed), predictions.csv as a DataFrame
run.predict(10).table                  # the next 10 steps, dated, with bands (nothing written)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast import rundir
from forecast.commands.resolve import find_run
from forecast.config import Config
from forecast.data import data_root
from forecast.errors import ForecastError
from forecast.rundir import RunDir, runs_root

if TYPE_CHECKING:
    import pandas as pd

    from forecast.commands.future import Forecast
    from forecast.scoring.metrics_file import Metrics


@dataclass(frozen=True)
class Run:
    """A run directory, read on demand: nothing is loaded until asked for."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def folder(self) -> RunDir:
        return RunDir(self.path)

    @property
    def manifest(self) -> dict[str, Any]:
        return self.folder.manifest()

    @property
    def status(self) -> str:
        return self.manifest.get("status", "unknown")

    @cached_property
    def config(self) -> Config:
        from forecast.rundir.artifacts import read_config  # pandas and numpy: only when asked

        return read_config(RunDir(self.path))

    @property
    def metrics(self) -> Metrics:
        """metrics.json, typed: .scores["model"]["rmse"], .skill, .beats_naive, .dm_p, .test, ..."""
        from forecast.rundir.artifacts import read_metrics

        return read_metrics(self.folder)

    @property
    def predictions(self) -> pd.DataFrame:
        """date, step, actual, predicted, every baseline, and the interval bounds, per test window."""

        from forecast.rundir.artifacts import read_predictions  # pandas and numpy: only when asked

        return read_predictions(RunDir(self.path))

    @property
    def report(self) -> Path | None:
        path = self.path / rundir.REPORT
        return path if path.is_file() else None

    def predict(
        self,
        steps: int | None = None,
        as_of: dt.date | str | None = None,
        refresh: bool = False,
        data_dir: Path | None = None,
    ) -> Forecast:
        """The next `steps` after the newest bar (or `as_of`), in memory; `forecast.predict`
        writes the same forecast to a predict run."""
        from forecast.commands.future import make_forecast

        when = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
        return make_forecast(self.folder, data_root(data_dir), steps, refresh, when)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}, status={self.status!r})"

    def __fspath__(self) -> str:
        """A Run is a path-like: forecast.predict(run), forecast.evaluate(run), Path(run) all take it."""
        return str(self.path)


def open_run(run: str | os.PathLike[str], runs_dir: Path | None = None) -> Run:
    """A run by path, by its folder name under the runs root, by a model name (its champion), or by its
    config name (the newest complete run it made): commands/resolve.py."""
    return Run(find_run(run, runs_root(runs_dir), marker=rundir.MANIFEST).path)


def list_runs(runs_dir: Path | None = None) -> list[dict[str, Any]]:
    """Every run under the runs root (folders with a manifest), oldest first, as a log reads."""
    root = runs_root(runs_dir)
    rows = [run_row(p.parent) for p in root.glob(f"*/{rundir.MANIFEST}")] if root.is_dir() else []
    return sorted(rows, key=lambda r: (r["created"] or "", r["run"]))


STOPPED = ("failed", "interrupted")  # hidden by `runs list` unless --all


def read_json(path: Path) -> dict[str, Any]:
    """A run file as JSON, or {} when it is missing or unreadable: listings show what there is."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def run_row(path: Path) -> dict[str, Any]:
    """One line of `forecast runs list`: any kind of run, its headline numbers and status. A file
    that cannot be read leaves its numbers blank: a listing shows what there is."""
    from forecast.rundir import artifacts  # pandas and numpy: only for a listing

    run, manifest = RunDir(path), read_json(path / rundir.MANIFEST)
    model, naive, skill, about = {}, {}, None, None
    with contextlib.suppress(ForecastError, OSError):
        if run.exists(rundir.METRICS):  # a training run
            metrics = artifacts.read_metrics(run)
            model, naive, skill, about = metrics.scores["model"], metrics.scores["naive"], metrics.skill, metrics.model
        elif run.exists(rundir.COMPARISON):  # a comparison's numbers are its best model's
            comparison = artifacts.read_comparison(run)
            best = comparison.models[0]
            model, naive, skill = best.scores, comparison.row("naive").scores, best.scores.get("skill")
            about = f"best: {best.name}"
        elif run.exists(rundir.BACKTEST):  # a backtest's numbers are means over its folds
            backtest = artifacts.read_backtest(run)
            model = {k: v["mean"] for k, v in backtest.summary.get("model", {}).items()}
            naive = {k: v["mean"] for k, v in backtest.summary.get("naive", {}).items()}
            skill, about = model.get("skill"), backtest.model
    if manifest.get("kind") == "global":  # scores are its members' (runs <name>-global-<symbol>)
        about = f"global over {len(manifest.get('symbols', []))} symbols: see their runs"
    if manifest.get("kind") == "predict":  # a forecast of the future has no scores yet
        about = f"{manifest.get('model')}, {manifest.get('horizon')} steps after {manifest.get('last_bar')}"
    return {
        "run": path.name,
        "path": str(path),
        "kind": run.kind(manifest),  # retrain: a challenger, promoted or not
        "created": manifest.get("created"),
        "model": about,
        "rmse": model.get("rmse"),
        "naive_rmse": naive.get("rmse"),
        "skill": skill,
        "status": manifest.get("status", "unknown"),
    }
