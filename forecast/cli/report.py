"""`forecast report`: (re)write a run's report.html, and optionally log the run to MLflow."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from forecast.cli.options import JsonFlag, MlflowFlag, RunsDir, complete_run, echo_json


def report(
    run: Annotated[
        str,
        typer.Argument(
            help="Any run (train, compare, backtest, predict): a directory, its folder name, or a "
            "config name for its newest run.",
            autocompletion=complete_run,
            show_default=False,
        ),
    ],
    mlflow: MlflowFlag = False,
    runs_dir: RunsDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Write a run's report.html again: one self-contained page (figures embedded) that opens offline."""
    from forecast.report.build import kind, write_report
    from forecast.runs.rundir import MANIFEST, RunDir, runs_root

    found = RunDir.find(run, runs_root(runs_dir), marker=MANIFEST)
    tracked = None
    if mlflow:
        from forecast import tracking

        config = tracking.switched(_config(found), True)
        tracking.require(config)
        tracked = tracking.start(found, config)
    path = write_report(found)
    if tracked is not None:
        tracking.finish_run(*tracked, found)
    payload = {"run": str(found.path), "kind": kind(found.manifest()), "report": str(path),
               "mlflow_run": tracked[1] if tracked else None}  # fmt: skip
    if as_json:
        echo_json(payload)
        return
    typer.echo(f"report  {path}")
    if tracked:
        typer.echo(f"mlflow  run {tracked[1]} in {found.manifest()['mlflow']['tracking_uri']}")


def _config(run: Any):
    """The config behind a run: its own, a compare's first candidate's, or a forecast's model run's."""
    from forecast.config import load_config
    from forecast.errors import MissingInputError
    from forecast.runs.rundir import CONFIG

    manifest = run.manifest()
    sources = [run.path / CONFIG]
    sources += [Path(p) / CONFIG for p in (manifest.get("candidates") or {}).values() if p]
    if manifest.get("model_run"):
        sources.append(Path(manifest["model_run"]) / CONFIG)
    for source in sources:
        if source.is_file():
            return load_config(source)
    raise MissingInputError(
        f"no config found for run {run.path} (looked for {', '.join(map(str, sources))})",
        hint="MLflow needs the run's config for its params; the report works without it",
    )
