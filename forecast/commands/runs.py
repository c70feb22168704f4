"""A finished run as a Python object: `forecast.open_run("lstm")`.

run = forecast.open_run("lstm")        # the newest lstm-* run, a folder name, or a path
run.metrics.skill, run.predictions      # metrics.json (typed), predictions.csv as a DataFrame
run.predict(10).table                  # the next 10 steps, dated, with bands (nothing written)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast import rundir
from forecast.config import Config, load_config
from forecast.data import data_root
from forecast.rundir import RunDir, runs_root

if TYPE_CHECKING:
    import pandas as pd

    from forecast.pipeline.future import Forecast
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
        return load_config(self.path / rundir.CONFIG)

    @property
    def metrics(self) -> Metrics:
        """metrics.json, typed: .scores["model"]["rmse"], .skill, .beats_naive, .dm_p, .test, ..."""
        from forecast.rundir.artifacts import read_metrics

        return read_metrics(self.folder)

    @property
    def predictions(self) -> pd.DataFrame:
        """date, step, actual, predicted, every baseline, and the interval bounds, per test window."""
        import pandas as pd

        return pd.read_csv(self.path / rundir.PREDICTIONS, parse_dates=["date"])

    @property
    def report(self) -> Path | None:
        path = self.path / rundir.REPORT
        return path if path.is_file() else None

    def predict(self, steps: int | None = None, as_of: dt.date | str | None = None, refresh: bool = False,
                data_dir: Path | None = None) -> Forecast:  # fmt: skip
        """The next `steps` after the newest bar (or `as_of`), in memory; `forecast.predict`
        writes the same forecast to a predict run."""
        from forecast.pipeline.future import make_forecast

        when = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
        return make_forecast(self.folder, data_root(data_dir), steps, refresh, when)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}, status={self.status!r})"


def open_run(run: str | Path, runs_dir: Path | None = None) -> Run:
    """A run by path, by its folder name under the runs root, or by its config name (the newest such run)."""
    return Run(RunDir.find(str(run), runs_root(runs_dir), marker=rundir.MANIFEST).path)
