"""`forecast report`: (re)write a run's report.html, and optionally log the run to MLflow."""

from __future__ import annotations

from typing import Annotated

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
    from forecast.commands.report import report as command

    done = command(run, mlflow=mlflow, runs_dir=runs_dir)
    if as_json:
        echo_json({"run": str(done.run), "kind": done.kind, "report": str(done.page), "mlflow_run": done.mlflow_run})
        return
    typer.echo(f"report  {done.page}")
    if done.mlflow_run:
        typer.echo(f"mlflow  run {done.mlflow_run} in {done.tracking_uri}")
