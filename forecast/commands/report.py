"""`forecast report`: write a run's report.html again, and log the run to MLflow when asked."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from forecast import rundir
from forecast.commands.resolve import find_run
from forecast.config import Config, load_config
from forecast.errors import MissingInputError
from forecast.reports import tracking
from forecast.reports.build import write_report
from forecast.reports.common import kind
from forecast.rundir import RunDir, runs_root
from forecast.rundir.verify import require_complete


@dataclass(frozen=True)
class Report:
    run: Path
    kind: str  # train, compare, backtest, predict, global
    page: Path  # report.html
    mlflow_run: str | None
    tracking_uri: str | None


def report(run: str | os.PathLike[str], *, mlflow: bool = False, runs_dir: Path | None = None) -> Report:
    found = find_run(run, runs_root(runs_dir), marker=rundir.MANIFEST)
    if found.manifest().get("status") != "complete":  # the page says how far it got; the exit code says it failed
        page = write_report(found)
        require_complete(found, after=f"; {page} shows how far it got")
    tracked = None
    if mlflow:  # asked for explicitly, an MLflow failure is an error here (after a run it is a warning)
        config = tracking.switched(run_config(found), True)
        tracking.require(config)
        tracked = tracking.start(found, config)
    page = write_report(found)
    if tracked is not None:
        tracking.finish_run(*tracked, found)
    manifest = found.manifest()
    uri = (manifest.get("mlflow") or {}).get("tracking_uri") if tracked else None
    return Report(found.path, kind(manifest), page, tracked[1] if tracked else None, uri)


def run_config(run: RunDir) -> Config:
    """The config behind a run: its own, a compare's first candidate's, or a forecast's model run's."""
    manifest = run.manifest()
    sources = [run.path / rundir.CONFIG]
    sources += [Path(p) / rundir.CONFIG for p in (manifest.get("candidates") or {}).values() if p]
    if manifest.get("model_run"):
        sources.append(Path(manifest["model_run"]) / rundir.CONFIG)
    for source in sources:
        if source.is_file():
            return load_config(source, warn_renamed=False)  # a config the tool wrote
    raise MissingInputError(
        f"no config found for run {run.path} (looked for {', '.join(map(str, sources))})",
        hint="MLflow needs the run's config for its params; the report works without it",
    )
