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
from forecast.tables import is_model, number, render

# Metrics by name (their labels and digits come from the registry), then what a comparison adds.
COMPARE_METRICS = ("rmse", "mae", "mase", "skill")
COMPARE_EXTRA: list[tuple[str, str, int]] = [
    ("DM p", "dm_p", 4), ("params", "parameters", 0), ("train s", "train_seconds", 1), ("epochs", "epochs", 0),
]  # fmt: skip


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
    done = command(candidates, config, overrides, runs_dir=runs_dir, data_dir=data_dir, listener=listener,
                   track=mlflow, workers=workers)  # fmt: skip
    if as_json:
        echo_json({"run": str(done.run), "report": report_of(done.run), **done.result})
        return
    print_comparison(done.run, done.result)
    echo_report(done.run)


def print_comparison(path: Path, result: dict[str, Any]) -> None:
    from forecast.scoring.evaluation import columns  # numpy: not on the path of --help

    test = result["test"]
    typer.echo(f"run   {path}")
    typer.echo(f"test  {test['test period']}, {test['test windows']} windows of {test['target']}")
    typer.echo("")
    rows = [{**r, "name": f"{r['rank']}. {r['name']}"} for r in result["rows"]]
    typer.echo(render(rows, [*columns(*COMPARE_METRICS), *COMPARE_EXTRA], label="rank"))
    typer.echo("")
    models = [r for r in result["rows"] if is_model(r)]
    best = models[0]
    naive = next(r for r in result["rows"] if r["name"] == "naive")
    leader = result["rows"][0]
    for row in models:  # one verdict per model, from its paired test against naive (as the report says)
        if "verdict" in row:
            typer.echo(paint(f"{row['name']}: {row['verdict']}", row.get("significant")))
    if best["rmse"] < naive["rmse"]:
        if not is_model(leader):
            typer.echo(f"but the {leader['name']} {leader['kind']} beats every model (RMSE {leader['rmse']:.4f})")
    else:
        typer.echo(paint(
            f"no model beats {result.get('naive_words', 'the naive forecast')}; the best, {best['name']}, has skill "
            f"{number(best['skill'], 3)}", False,
        ))  # fmt: skip
    rival = next((r for r in result["rows"] if r["kind"] == "competitor"), None)  # rows are ranked: the best
    if rival is not None:
        wins = best["rmse"] < rival["rmse"]
        typer.echo(paint(f"{best['name']} {'beats' if wins else 'is WORSE than'} the best statistical competitor, "
                         f"{rival['name']} (RMSE {best['rmse']:.4f} vs {rival['rmse']:.4f})", wins))  # fmt: skip
