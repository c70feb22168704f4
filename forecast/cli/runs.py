"""`forecast runs list|show`: what is in the runs root."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forecast import rundir
from forecast.cli.options import (
    JsonFlag,
    RunsDir,
    complete_run,
    echo_json,
    echo_report,
    num,
    print_rich_table,
    report_of,
)
from forecast.cli.train import print_summary
from forecast.tables import stamp


def runs_list(
    runs_dir: RunsDir = None,
    everything: Annotated[bool, typer.Option("--all", help="Also list failed and interrupted runs.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """List runs, oldest first: name, kind, created, model, RMSE, naive RMSE, skill, status."""
    from forecast.commands.runs import STOPPED, list_runs
    from forecast.rundir import runs_root

    root = runs_root(runs_dir)
    every = list_runs(runs_dir)  # read once; failed and interrupted runs only shown with --all
    rows = every if everything else [r for r in every if r["status"] not in STOPPED]
    if as_json:
        echo_json(rows)
        return
    hidden = len(every) - len(rows)
    if not rows:
        typer.echo(
            f"no runs under {root}; start one with: forecast train --config configs/lstm.yaml"
            + (f" ({hidden} failed or interrupted: forecast runs list --all)" if hidden else "")
        )
        return
    columns = ["run", "kind", "created", "model", "RMSE", "naive RMSE", "skill", "status"]
    print_rich_table(
        columns,
        [
            [
                r["run"],
                r["kind"],
                stamp(r["created"]),
                r["model"] or "-",
                num(r["rmse"]),
                num(r["naive_rmse"]),
                num(r["skill"], 3),
                r["status"],
            ]
            for r in rows
        ],
    )
    if hidden:
        typer.echo(f"{hidden} failed or interrupted run(s) not shown: forecast runs list --all")


def resolve_run(run: str, runs_dir: Path | None) -> Path:
    from forecast.commands.resolve import find_run
    from forecast.rundir import MANIFEST, runs_root

    return find_run(run, runs_root(runs_dir), marker=MANIFEST).path  # any kind of run


def runs_show(
    run: Annotated[
        str, typer.Argument(help="Run directory, or its name under the runs root.", autocompletion=complete_run)
    ],
    runs_dir: RunsDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Show one run: status, stages, versions and metrics."""
    path = resolve_run(run, runs_dir)
    from forecast.commands.runs import read_json

    manifest, metrics = read_json(path / rundir.MANIFEST), read_json(path / rundir.METRICS)
    if as_json:
        echo_json({"path": str(path), "manifest": manifest, "metrics": metrics, "report": report_of(path)})
        return
    typer.echo(f"run       {path}")
    status, created, seed = manifest.get("status", "unknown"), manifest.get("created"), manifest.get("seed")
    typer.echo(f"status    {status}   created {created}   seed {seed}")
    typer.echo(f"data      sha256 {manifest.get('data_fingerprint')}")
    versions = manifest.get("versions", {})
    typer.echo("versions  " + "  ".join(f"{k} {v}" for k, v in versions.items() if v))
    for name, record in manifest.get("stages", {}).items():
        extra = f"  {record['error']}" if record.get("error") else ""
        typer.echo(f"  {name:<11} {record.get('status', '?'):<11} {record.get('seconds', 0):>8.1f} s{extra}")
    if metrics:
        from forecast.rundir import RunDir
        from forecast.rundir.artifacts import read_metrics

        print_summary(path, read_metrics(RunDir(path)))
    echo_report(path)
