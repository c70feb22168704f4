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
from forecast.tables import is_model, render

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
        echo_json({"run": str(done.run), "report": report_of(done.run), **done.result})
        return
    print_comparison(done.run, done.result)
    echo_report(done.run)


def print_comparison(path: Path, result: dict[str, Any]) -> None:
    from forecast.scoring.metrics import columns  # numpy: not on the path of --help

    test = result["test"]
    typer.echo(f"run   {path}")
    typer.echo(f"test  {test['test period']}, {test['test windows']} windows of {test['target']}")
    typer.echo("")
    rows = [{**r, "name": f"{r['rank']}. {r['name']}"} for r in result["rows"]]
    typer.echo(render(rows, [*columns(*COMPARE_METRICS), *COMPARE_EXTRA], label="rank"))
    typer.echo("")
    for row in (r for r in result["rows"] if is_model(r)):  # each model's verdicts, as its evaluation made them
        for verdict in row_verdicts(row):
            typer.echo(paint(f"{row['name']}: {verdict.words}", verdict.good))
    leader = result["rows"][0]
    if not is_model(leader):  # a ranking, not a verdict: the verdicts above say what is significant
        typer.echo(f"ranked first by RMSE: {leader['name']} ({leader['kind']}, RMSE {leader['rmse']:.4f})")


def row_verdicts(row: dict[str, Any]) -> list[Any]:
    """A comparison row's verdicts (against naive, then the best competitor); none in a
    comparison.json written before they were stored (its page judges those rows)."""
    from forecast.scoring.verdict import Verdict

    return [Verdict.model_validate(row[key]) for key in ("versus_naive", "versus_competitor") if row.get(key)]
