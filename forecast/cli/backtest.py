"""`forecast backtest`: walk-forward folds, metrics per fold, mean and standard deviation."""

from __future__ import annotations

import logging
from typing import Any

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
    num,
    paint,
    report_of,
    with_mlflow,
    with_source,
)
from forecast.errors import UsageError
from forecast.tables import render

log = logging.getLogger("forecast")


def backtest(
    config: ConfigPath = None,
    overrides: Overrides = None,
    source: SourceOpt = None,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    workers: ProcessesOpt = None,
    mlflow: MlflowFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Walk-forward backtest (evaluate.backtest: folds, mode, refit) in a new run directory."""
    from forecast.commands.backtest import backtest as command
    from forecast.config import load_config

    if config is None:
        raise UsageError("backtest needs --config CONFIG (e.g. configs/lstm.yaml)")
    resolved = load_config(config, with_mlflow(with_source(overrides, source), mlflow))
    done = command(resolved, runs_dir=runs_dir, data_dir=data_dir, workers=workers)
    if as_json:
        echo_json({"run": str(done.run), "report": report_of(done.run), **done.report.to_json()})
        return
    print_backtest(done.run, done.report)
    echo_report(done.run)


def print_backtest(path: Any, report: Any) -> None:
    """report: backtest.json (rundir/files.py: BacktestFile)."""
    from forecast.scoring.metrics import SCORE_COLUMNS  # numpy: not on the path of --help

    typer.echo(f"run   {path}")
    typer.echo("")
    rows = []
    for fold in report.folds:
        m, rival = fold.metrics, fold.best_competitor or {}
        rows.append(
            {
                "name": str(fold.fold),
                "train": f"{fold.train.first}..{fold.train.last}",
                "test": f"{fold.test.first}..{fold.test.last}",
                "rmse": m["model"]["rmse"],
                "naive": m["naive"]["rmse"],
                "skill": m["model"]["skill"],
                "dm_p": fold.diebold_mariano["model"]["p_value"],
                "rival": rival.get("against"),
                "rival_rmse": rival.get("rmse"),
            }
        )
    columns = [
        ("train", "train", 0),
        ("test", "test", 0),
        ("RMSE", "rmse", 4),
        ("naive RMSE", "naive", 4),
        ("skill", "skill", 3),
        ("DM p", "dm_p", 4),
        ("best competitor", "rival", 0),
        ("its RMSE", "rival_rmse", 4),
    ]
    typer.echo(render(rows, columns, label="fold"))
    typer.echo("")
    summary = report.summary
    means = [
        {"name": report.model if name == "model" else name, **{k: v["mean"] for k, v in scores.items()}}
        for name, scores in summary.items()
    ]
    typer.echo(f"mean over {len(report.folds)} folds:")
    typer.echo(render(means, SCORE_COLUMNS[:-1]))
    typer.echo("")
    model, naive = summary["model"]["rmse"], summary["naive"]["rmse"]
    skill = summary["model"]["skill"]
    typer.echo(
        f"{report.model} RMSE {num(model['mean'])} ± {num(model['std'])} vs naive {num(naive['mean'])} ± "
        f"{num(naive['std'])}; skill {num(skill['mean'], 3)} ± {num(skill['std'], 3)}"
    )
    for line, good in report.tallies():
        typer.echo(paint(f"{report.model} over the folds: {line}", good))
