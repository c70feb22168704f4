"""`forecast predict`: dated forecasts of the real future, with intervals."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

import typer

from forecast.cli.options import (
    DataDir,
    JsonFlag,
    MlflowFlag,
    ModelsDir,
    RunsDir,
    SourceOpt,
    checked_source,
    complete_run,
    echo_json,
    echo_report,
    num,
    print_rich_table,
    report_of,
)
from forecast.errors import UsageError

log = logging.getLogger("forecast")


def predict(
    run: Annotated[
        str | None,
        typer.Argument(
            help="Trained run: a directory, its folder name, or a config name for its newest run.",
            autocompletion=complete_run,
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Use this registry model's champion instead of RUN.")
    ] = None,
    horizon: Annotated[
        int | None, typer.Option("--horizon", "-n", min=1, max=1000, help="Steps ahead (default: predict.horizon).")
    ] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Fetch new bars into the cache first.")] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Forecast from this past date (YYYY-MM-DD), using only data up to it."),
    ] = None,
    plot: Annotated[
        bool, typer.Option("--plot/--no-plot", help="Draw forecast_future.png (--no-plot: faster, for cron).")
    ] = True,
    source: SourceOpt = None,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    models_dir: ModelsDir = None,
    mlflow: MlflowFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Forecast the next steps after the newest bar (or --as-of), with dates and intervals."""
    from forecast.commands.future import records
    from forecast.commands.predict import predict as command

    done = command(
        run,
        model=model,
        horizon=horizon,
        refresh=refresh,
        as_of=_date(as_of) if as_of else None,
        runs_dir=runs_dir,
        data_dir=data_dir,
        models_dir=models_dir,
        track=mlflow,
        plot=plot,
        source=checked_source(source),
    )
    result = done.forecast
    if as_json:
        echo_json(
            {
                "predict_run": str(done.run),
                "report": report_of(done.run),
                **result.info.model_dump(mode="json", by_alias=True, exclude={"forecast"}),
                "forecast": records(result.table),
            }
        )
    else:
        print_forecast(str(done.run), result.table, result.info)
        echo_report(done.run)
    if (advice := published_advice(result.info)) is not None:
        log.warning("on its test part %s (naive forecasts the last value, %s)", advice, num(result.info.last_value))


def published_advice(info: Any) -> str | None:
    """The warning a forecast from a forecaster that did not beat naive on its test part carries
    (scoring/verdict.py); None when it did, or when it is naive itself. info: forecast.json."""
    return None if info.test.verdict is None else info.test.verdict.advice()


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of {text!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2012-12-20") from None


def print_forecast(path: str, table: Any, info: Any) -> None:
    """info: forecast.json without its rows (rundir/files.py: ForecastFile)."""
    levels = [c.removeprefix("lower_") for c in table.columns if c.startswith("lower_")]
    typer.echo(f"run       {path}")
    typer.echo(
        f"forecast  {info.symbol} {info.target} by the {info.made_by} of {info.run}, "
        f"from {info.last_bar} ({num(info.last_value)}), {info.strategy}"
    )
    if info.combination:  # the members' own forecasts are in the table (and --json)
        typer.echo(f"combined  {info.combination['verdict']}")
    typer.echo(f"dates     {info.calendar['name']}: {info.calendar['reason']}")
    intervals = info.intervals
    if intervals:
        cal = intervals["calibration"]
        coverage = info.test.coverage
        from forecast.rollout.conformal import percent  # numpy, loaded by now: not on the path of --help

        held = ", ".join(f"{k}% held {percent(coverage[k], 0)}" for k in levels if k in coverage)
        typer.echo(
            f"intervals split conformal on {cal['windows']} validation windows ({cal['first']} .. {cal['last']})"
            + (f"; on the test part {held}" if held else "")
        )
    columns = ["date", "step", "forecast", *[f"{k}% interval" for k in levels]]
    has_actual = "actual" in table
    if has_actual:
        columns += ["actual", "error"]
    rows = []
    for r in table.to_dict(orient="records"):
        row = [str(r["date"]), str(r["step"]), num(r["forecast"])]
        for k in levels:
            lower, upper = r[f"lower_{k}"], r[f"upper_{k}"]
            row.append("-" if lower != lower else f"{lower:.4f} .. {upper:.4f}")  # NaN: too few to calibrate
        if has_actual:
            actual = r["actual"]
            known = actual == actual
            row += [num(actual) if known else "-", num(r["forecast"] - actual) if known else "-"]
        rows.append(row)
    print_rich_table(columns, rows)
