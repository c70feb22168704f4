"""`forecast score`: the published forecasts against what happened, per model and step."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from forecast.cli.options import DataDir, JsonFlag, RunsDir, echo_json, paint
from forecast.errors import UsageError

COLUMNS: list[tuple[str, str, int]] = [
    ("n", "n", 0), ("RMSE", "rmse", 4), ("naive RMSE", "naive_rmse", 4), ("skill", "skill", 3),
    ("test skill", "test_skill", 3), ("MAE", "mae", 4), ("MASE", "mase", 3), ("80% held", "coverage_80", 3),
    ("test 80%", "test_coverage_80", 3), ("95% held", "coverage_95", 3), ("test 95%", "test_coverage_95", 3),
]  # fmt: skip


def score(
    name: Annotated[
        str | None, typer.Argument(help="Model name (the config's name), e.g. lstm; all models when omitted.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only forecasts made from origins on or after YYYY-MM-DD.")
    ] = None,
    include_as_of: Annotated[
        bool, typer.Option("--include-as-of", help="Also score forecasts made afterwards with predict --as-of.")
    ] = False,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Score the forecasts predict published against the actuals now in the data, beside naive from
    the same origins and the model's test-period figures."""
    from forecast.commands.score import score_models

    when = _date(since) if since else None
    scored = score_models(name, since=when, include_as_of=include_as_of, runs_dir=runs_dir, data_dir=data_dir)
    if as_json:
        echo_json([s.as_dict() for s in scored])
        return
    for one in scored:
        print_score(one)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--since {text!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2026-11-01") from None


def print_score(one: Any) -> None:
    from forecast.tables import render

    typer.echo(f"model     {one.name}: {one.forecasts} forecast(s) scored, {one.pending} waiting for actuals")
    if not one.steps:
        typer.echo("          no target date of a logged forecast is in the data yet")
        return
    typer.echo(f"targets   {one.first} .. {one.last}; test figures of {one.model_run}")
    rows = [{"name": f"step {s['step']}" if s["step"] != "all" else "all steps", **s,
             **{f"test_{k}": v for k, v in s["test"].items()}} for s in one.steps]  # fmt: skip
    typer.echo(render(rows, COLUMNS, label="ahead"))
    overall = one.steps[0]
    if overall["skill"] is not None:
        better = overall["skill"] > 0
        typer.echo(paint(f"live: the forecasts {'beat' if better else 'were WORSE than'} naive from the same "
                         f"origins (skill {overall['skill']:+.3f} over {overall['n']} steps)", better))  # fmt: skip
