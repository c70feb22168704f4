"""`forecast compare`: models side by side on the same data, with every baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from forecast.cli.options import (
    ConfigPath,
    DataDir,
    JsonFlag,
    MlflowFlag,
    Overrides,
    ProcessesOpt,
    RunsDir,
    SourceOpt,
    echo_json,
    echo_report,
    paint,
    progress,
    report_of,
    with_mlflow,
    with_source,
)
from forecast.tables import render

# Metrics by name (their labels and digits come from the registry), then what a comparison adds.
COMPARE_METRICS = ("rmse", "mae", "mase", "skill")
COMPARE_EXTRA: list[tuple[str, str, int]] = [
    ("DM p", "dm_p", 4),
    ("params", "parameters", 0),
    ("train s", "train_seconds", 1),
    ("epochs", "epochs", 0),
]


def compare(
    candidates: Annotated[
        list[str], typer.Argument(help="Run directories, config files, model kinds (rnn lstm gru) or configs/<name>.")
    ],
    config: ConfigPath = None,
    overrides: Overrides = None,
    source: SourceOpt = None,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    workers: ProcessesOpt = None,
    mlflow: MlflowFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Train and rank models on identical data, split and test targets, beside the baselines."""
    from forecast.commands.compare import compare as command

    def listener(label: str, stage: str, status: str, record: dict[str, Any]) -> None:
        if status == "done" or (status == "running" and stage == "train"):
            done = f"done in {record['seconds']:.1f} s" if status == "done" else "..."
            progress(f"{label:<10} {stage:<11} {done}")
        elif status == "skipped":
            progress(f"{label:<10} {stage:<11} unchanged, skipped")

    overrides = with_mlflow(with_source(overrides, source), mlflow)
    done = command(
        candidates,
        config,
        overrides,
        runs_dir=runs_dir,
        data_dir=data_dir,
        listener=listener,
        track=mlflow,
        workers=workers,
    )
    if as_json:
        echo_json({"run": str(done.run), "report": report_of(done.run), **done.result.to_json()})
        return
    print_comparison(done.run, done.result)
    echo_report(done.run)


def print_comparison(path: Path, result: Any) -> None:
    from forecast.scoring.metrics import columns  # numpy: not on the path of --help

    test = result.test
    typer.echo(f"run   {path}")
    typer.echo(f"test  {test.test_period}, {test.test_windows} windows of {test.target}")
    typer.echo("")
    rows = [{**r.to_json(), "name": f"{r.rank}. {r.name}"} for r in result.rows]
    typer.echo(render(rows, [*columns(*COMPARE_METRICS), *COMPARE_EXTRA], label="rank"))
    typer.echo("")
    naive = result.row("naive").rmse
    for row in result.models:  # each model's verdicts, as its evaluation made them
        for verdict in row.verdicts(naive):
            typer.echo(paint(f"{row.name}: {verdict.words}", verdict.good))
    leader = result.rows[0]
    if not leader.is_model:  # a ranking, not a verdict: the verdicts above say what is significant
        typer.echo(f"ranked first by RMSE: {leader.name} ({leader.kind}, RMSE {leader.rmse:.4f})")
