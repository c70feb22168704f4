"""`forecast runs list|show`: what is in the runs root."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

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


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _run_row(path: Path) -> dict[str, Any]:
    manifest, metrics = _read_json(path / rundir.MANIFEST), _read_json(path / rundir.METRICS)
    scores = metrics.get("metrics", {})
    model, naive, skill = scores.get("model", {}), scores.get("naive", {}), metrics.get("skill")
    comparison = _read_json(path / rundir.COMPARISON)
    if comparison:  # a comparison's numbers are its best model's
        best = next((r for r in comparison.get("rows", []) if r.get("kind") != "baseline"), {})
        naive = next((r for r in comparison.get("rows", []) if r.get("name") == "naive"), {})
        model, skill, metrics = best, best.get("skill"), {"model": f"best: {best.get('name')}"}
    backtest = _read_json(path / rundir.BACKTEST)
    if backtest:  # a backtest's numbers are means over its folds
        summary = backtest.get("summary", {})
        model = {k: v["mean"] for k, v in summary.get("model", {}).items()}
        naive = {k: v["mean"] for k, v in summary.get("naive", {}).items()}
        skill, metrics = model.get("skill"), backtest
    if manifest.get("kind") == "global":  # scores are its members' (runs <name>-global-<symbol>)
        symbols = manifest.get("symbols", [])
        metrics = {"model": f"pooled over {len(symbols)} symbols: see their runs"}
    if manifest.get("kind") == "predict":  # a forecast of the future has no scores yet
        steps, after = manifest.get("horizon"), manifest.get("last_bar")
        metrics = {"model": f"{manifest.get('model')}, {steps} steps after {after}"}
    return {
        "run": path.name,
        "path": str(path),
        "kind": manifest.get("kind", "train"),
        "created": manifest.get("created"),
        "model": metrics.get("model"),
        "rmse": model.get("rmse"),
        "naive_rmse": naive.get("rmse"),
        "skill": skill,
        "status": manifest.get("status", "unknown"),
    }


def runs_list(runs_dir: RunsDir = None, as_json: JsonFlag = False) -> None:
    """List runs: name, created, model, RMSE, naive RMSE, skill, status."""
    from forecast.rundir import runs_root

    root = runs_root(runs_dir)
    rows = [_run_row(p.parent) for p in sorted(root.glob("*/manifest.json"))] if root.is_dir() else []
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo(f"no runs under {root}; start one with: forecast train --config configs/lstm.yaml")
        return
    columns = ["run", "kind", "created", "model", "RMSE", "naive RMSE", "skill", "status"]
    print_rich_table(
        columns,
        [
            [r["run"], r["kind"], (r["created"] or "")[:19], r["model"] or "-", num(r["rmse"]), num(r["naive_rmse"]),
             num(r["skill"], 3), r["status"]]
            for r in rows
        ],
    )  # fmt: skip


def resolve_run(run: str, runs_dir: Path | None) -> Path:
    from forecast.rundir import MANIFEST, RunDir, runs_root

    return RunDir.find(run, runs_root(runs_dir), marker=MANIFEST).path  # any kind of run


def runs_show(
    run: Annotated[
        str, typer.Argument(help="Run directory, or its name under the runs root.", autocompletion=complete_run)
    ],
    runs_dir: RunsDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Show one run: status, stages, versions and metrics."""
    path = resolve_run(run, runs_dir)
    manifest, metrics = _read_json(path / rundir.MANIFEST), _read_json(path / rundir.METRICS)
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
        typer.echo(f"  {name:<9} {record.get('status', '?'):<11} {record.get('seconds', 0):>8.1f} s{extra}")
    if metrics:
        print_summary(path, metrics)
    echo_report(path)
