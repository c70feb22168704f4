"""`forecast train`: run or resume the pipeline in a run directory, then say how it did."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
    SourceOpt,
    WorkersOpt,
    echo_json,
    echo_report,
    paint,
    progress,
    report_of,
    with_mlflow,
    with_source,
)
from forecast.cli.universe import member_line, print_universe, stoppable_universe
from forecast.errors import UsageError, was_interrupted, was_terminated

if TYPE_CHECKING:
    from forecast.scoring.metrics_file import Metrics
from forecast.tables import render


def train(
    config: ConfigPath = None,
    overrides: Overrides = None,
    source: SourceOpt = None,
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
    """Train a model: snapshot -> encode -> split -> train -> evaluate -> plot, in a run directory.

    A config naming a universe (data.symbols) trains one run per symbol, in parallel, or
    one global model on all of them (model.scope: global), and ends with a table.
    """
    from forecast.commands import train as command
    from forecast.config import load_config

    overrides = with_mlflow(with_source(overrides, source), mlflow)
    if run_dir is not None:
        with resumable() as started:
            run = command.resume(
                run_dir, config, overrides, force=force, data_dir=data_dir, listener=stage_line, on_start=started
            )
        return report_run(run, as_json)
    if config is None:
        raise UsageError("train needs --config CONFIG (e.g. configs/lstm.yaml) or --run-dir RUN to resume")
    resolved = load_config(config, overrides)
    if resolved.data.universe:
        with stoppable_universe():
            universe = command.train(
                resolved,
                runs_dir=runs_dir,
                data_dir=data_dir,
                executor=executor,
                workers=workers,
                address=address,
                on_member=member_line,
            )
        return print_universe(universe, as_json)  # type: ignore[arg-type]
    with resumable() as started:
        run = command.train(resolved, runs_dir=runs_dir, data_dir=data_dir, listener=stage_line, on_start=started)
    report_run(run, as_json)  # type: ignore[arg-type]


def evaluate(
    run: Annotated[str, typer.Argument(help="Run directory, or its name under the runs root.")],
    overrides: Overrides = None,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Re-evaluate a trained run (metrics, baselines, plots) without retraining."""
    from forecast.commands.evaluate import evaluate as command

    with resumable() as started:
        found = command(run, overrides, runs_dir=runs_dir, data_dir=data_dir, listener=stage_line, on_start=started)
    report_run(found, as_json)


def stage_line(stage: str, status: str, record: dict[str, Any]) -> None:
    if status == "skipped":
        progress(f"{stage:<11} unchanged, skipped")
    elif status == "running" and stage == "train":  # the one slow stage says it started
        progress(f"{stage:<11} ...")
    elif status == "done":
        progress(f"{stage:<11} done in {record['seconds']:.1f} s")


@contextlib.contextmanager
def resumable(verb: str = "train", kept: str = "") -> Iterator[Callable[[Path], None]]:
    """Names the run when it starts; on Ctrl-C or SIGTERM says what is kept and how to resume
    it (forecast VERB --run-dir)."""
    started: list[Path] = []

    def on_start(path: Path) -> None:
        started.append(path)
        progress(f"run       {path}")

    try:
        yield on_start
    except (KeyboardInterrupt, Exception) as exc:
        if not was_interrupted(exc) or not started:
            raise
        how, code = ("terminated (SIGTERM)", 143) if was_terminated(exc) else ("interrupted", 130)
        typer.echo(f"{how}; {kept}resume with: forecast {verb} --run-dir {started[0]}", err=True)
        raise typer.Exit(code) from None


def report_run(run: Any, as_json: bool) -> None:
    metrics = run.metrics
    if as_json:  # metrics.json as it is
        echo_json({"run": str(run.path), "status": run.status, "report": report_of(run.path), **metrics.to_json()})
    else:
        print_summary(run.path, metrics)
        echo_report(run.path)


def print_summary(path: Path, metrics: Metrics) -> None:
    from forecast.scoring.metrics import SCORE_COLUMNS, columns  # numpy: not on the path of --help

    test = metrics.test
    typer.echo(f"run   {path}")
    typer.echo(f"test  {test.first} .. {test.last}, {test.windows} windows of {metrics.symbol} {metrics.target}")
    typer.echo("")
    typer.echo(render(metrics.rows(), SCORE_COLUMNS))
    per_step = metrics.per_step
    if per_step:
        typer.echo("")
        rows = [{**s, "name": f"step {s['step']}"} for s in per_step]
        typer.echo(render(rows, [*columns("rmse"), ("naive RMSE", "naive_rmse", 4), *columns("skill")], "ahead"))
    typer.echo("")
    for line, good in metrics.verdict_lines():  # scoring/verdict.py's words, as the evaluation judged
        typer.echo(paint(line, good))
    for name, why in (metrics.competitors or {}).get("skipped", {}).items():
        logging.getLogger("forecast").warning("competitor %s was skipped: %s", name, why)
    line = intervals_line(metrics.intervals)
    if line:
        typer.echo(line)
    from forecast.rollout.conformal import empty_bands, short_bands  # numpy: not on the path of --help

    for line in empty_bands(metrics.intervals):
        logging.getLogger("forecast").warning("%s; raise prep.val_fraction", line)
    for warning in short_bands(metrics.intervals, metrics.test.windows * metrics.test.horizon):
        logging.getLogger("forecast").warning("%s", warning)


def intervals_line(intervals: dict[str, Any] | None) -> str | None:
    """How the conformal bands did on the test part: the check that they can be trusted."""
    if not intervals or not intervals.get("coverage"):
        return None
    cal = intervals["calibration"]
    from forecast.rollout.conformal import percent

    held = ", ".join(f"{level}% band held {percent(c['test'])}" for level, c in intervals["coverage"].items())
    return f"intervals on the test part: {held} of actuals (split conformal, {cal['windows']} validation windows)"
