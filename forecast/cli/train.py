"""`forecast train`: run or resume the pipeline in a run directory, then say how it did."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from forecast.cli.options import (
    AddressOpt,
    ConfigPath,
    DataDir,
    ExecutorOpt,
    JsonFlag,
    MlflowFlag,
    Overrides,
    RunsDir,
    WorkersOpt,
    echo_json,
    echo_report,
    num,
    paint,
    progress,
    report_of,
    with_mlflow,
)  # fmt: skip
from forecast.errors import ForecastError, UsageError, was_interrupted, was_terminated
from forecast.tables import SCORE_COLUMNS, render, score_rows

log = logging.getLogger("forecast")


def train(
    config: ConfigPath = None,
    overrides: Overrides = None,
    run_dir: Annotated[
        Path | None,
        typer.Option("--run-dir", help="Resume this run: rerun only stages whose inputs or config changed."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="With --run-dir: rerun every stage.")] = False,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    address: AddressOpt = None,
    mlflow: MlflowFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Train a model: snapshot -> scale -> window -> train -> evaluate -> plot, in a run directory.

    A config naming a universe (data.tickers) trains one run per symbol, in parallel, or
    one global model on all of them (model.scope: global), and ends with a table.
    """
    from forecast import tracking
    from forecast.config import load_config
    from forecast.data.store import data_root
    from forecast.runs.rundir import CONFIG, RunDir, runs_root
    from forecast.runs.stages import Context

    overrides = with_mlflow(overrides, mlflow)
    if run_dir is not None:
        run = RunDir.open(run_dir)
        resolved = load_config(config or run.file(CONFIG), overrides)
        if resolved.model.scope == "global":  # refused before any stage reruns
            raise UsageError(
                f"run {run.path} is one symbol of a global model, trained on its whole universe at once",
                hint=f"re-evaluate it with: forecast evaluate {run.path}; or train the universe's config again",
            )
    elif config is not None:
        resolved = load_config(config, overrides)
        tracking.require(resolved)  # before a run directory exists
        if resolved.data.universe:
            from forecast.cli.universe import train_universe

            roots = {"runs": runs_root(runs_dir), "data": data_root(data_dir)}
            return train_universe(resolved, roots, executor, workers, address, as_json)
        if resolved.model.scope == "global":
            raise UsageError(f"{config}: model.scope global needs a universe to pool",
                             hint="list the symbols in data.tickers, or set model.scope: ticker")  # fmt: skip
        run = RunDir.create(runs_root(runs_dir), resolved.name)
    else:
        raise UsageError("train needs --config CONFIG (e.g. configs/lstm.yaml) or --run-dir RUN to resume")

    _run_and_report(Context(resolved, run, data_root(data_dir)), as_json, force=force)


def evaluate(
    run: Annotated[str, typer.Argument(help="Run directory, or its name under the runs root.")],
    overrides: Overrides = None,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Re-evaluate a trained run (metrics, baselines, plots) without retraining."""
    from forecast.config import load_config
    from forecast.data.store import data_root
    from forecast.runs.rundir import CONFIG, RunDir, runs_root
    from forecast.runs.stages import Context

    found = RunDir.find(run, runs_root(runs_dir))
    resolved = load_config(found.file(CONFIG), overrides)
    frozen = frozenset({"snapshot", "scale", "window", "train"})
    ctx = Context(resolved, found, data_root(data_dir))
    _run_and_report(ctx, as_json, rerun_from="evaluate", must_be_current=frozen)


def _listener(stage: str, status: str, record: dict[str, Any]) -> None:
    if status == "skipped":
        progress(f"{stage:<9} unchanged, skipped")
    elif status == "running" and stage == "train":  # the one slow stage says it started
        progress(f"{stage:<9} ...")
    elif status == "done":
        progress(f"{stage:<9} done in {record['seconds']:.1f} s")


def _run_and_report(ctx: Any, as_json: bool, **options: Any) -> None:
    from forecast.runs.pipeline import run_pipeline

    run = ctx.run
    progress(f"run       {run.path}")
    try:
        manifest = run_pipeline(ctx, listener=_listener, **options)
    except ForecastError as exc:
        if (run.path / "manifest.json").exists() and run.manifest().get("status") == "failed":
            exc.message = f"{exc.message} [run {run.path} marked failed]"
        raise
    except (KeyboardInterrupt, Exception) as exc:
        if not was_interrupted(exc):
            raise
        how, code = ("terminated (SIGTERM)", 143) if was_terminated(exc) else ("interrupted", 130)
        typer.echo(f"{how}; resume with: forecast train --run-dir {run.path}", err=True)
        raise typer.Exit(code) from None
    metrics = json.loads(run.file("metrics.json").read_text())
    if as_json:
        echo_json({"run": str(run.path), "status": manifest["status"], "report": report_of(run.path), **metrics})
    else:
        print_summary(run.path, metrics)
        echo_report(run.path)
    if not metrics["beats_naive"]:
        log.warning(
            "the %s model is worse than the naive forecast (tomorrow = today) on the test part: "
            "do not trust its forecasts over naive",
            metrics["model"],
        )


def verdict(metrics: dict[str, Any]) -> str:
    """One sentence: better or worse than naive, by how much, and whether it is significant."""
    dm = metrics.get("diebold_mariano", {}).get("model", {})
    p = dm.get("p_value")
    shown = "" if p is None else ("< 0.0001" if p < 1e-4 else f"{p:.4f}")
    if p is None:
        significance = ""
    elif p < 0.05:
        significance = f"; the difference is significant (DM p {shown})"
    else:
        significance = f"; the difference is not significant (DM p {shown})"
    better = "beats" if metrics["beats_naive"] else "is WORSE than"
    naive = "the naive forecast (tomorrow = today)"
    return f"skill {num(metrics['skill'], 3)}: the {metrics['model']} {better} {naive}{significance}"


def print_summary(path: Path, metrics: dict[str, Any]) -> None:
    test = metrics["test"]
    typer.echo(f"run   {path}")
    typer.echo(
        f"test  {test['first']} .. {test['last']}, {test['windows']} windows of {metrics['symbol']} {metrics['target']}"
    )
    typer.echo("")
    typer.echo(render(score_rows(metrics), SCORE_COLUMNS))
    per_step = metrics.get("per_step")
    if per_step:
        typer.echo("")
        rows = [{**s, "name": f"step {s['step']}"} for s in per_step]
        typer.echo(render(rows, [("RMSE", "rmse", 4), ("naive RMSE", "naive_rmse", 4), ("skill", "skill", 3)], "ahead"))
    typer.echo("")
    typer.echo(paint(verdict(metrics), metrics["beats_naive"]))
    line = intervals_line(metrics.get("intervals"))
    if line:
        typer.echo(line)


def intervals_line(intervals: dict[str, Any] | None) -> str | None:
    """How the conformal bands did on the test part: the check that they can be trusted."""
    if not intervals or not intervals.get("coverage"):
        return None
    cal = intervals["calibration"]
    held = ", ".join(f"{level}% band held {c['test']:.1%}" for level, c in intervals["coverage"].items())
    return f"intervals on the test part: {held} of actuals (split conformal, {cal['windows']} validation windows)"
