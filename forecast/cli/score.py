"""`forecast score`: the published forecasts against what happened, per model and step."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any

import typer

from forecast.cli.options import DataDir, JsonFlag, RunsDir, echo_json, paint
from forecast.errors import DRIFTED, UsageError
from forecast.tables import number

COLUMNS: list[tuple[str, str, int]] = [
    ("n", "n", 0),
    ("RMSE", "rmse", 4),
    ("naive RMSE", "naive_rmse", 4),
    ("skill", "skill", 3),
    ("test skill", "test_skill", 3),
    ("MAE", "mae", 4),
    ("MASE", "mase", 3),
    ("80% held", "coverage_80", 3),
    ("test 80%", "test_coverage_80", 3),
    ("95% held", "coverage_95", 3),
    ("test 95%", "test_coverage_95", 3),
]


def score(
    name: Annotated[
        str | None, typer.Argument(help="Model name (the config's name), e.g. lstm; all models when omitted.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only forecasts made from origins on or after YYYY-MM-DD.")
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Every model in the forecast log (as without NAME).")] = False,
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

    if every and name:
        raise UsageError(f"score takes NAME or --all, not both (NAME {name!r})", hint="drop one of them")
    when = _date(since) if since else None
    scored = score_models(
        name, since=when, include_as_of=include_as_of, runs_dir=runs_dir, data_dir=data_dir, publish=True
    )
    if as_json:
        echo_json([s.as_dict() for s in scored])
    else:
        for one in scored:
            print_score(one)
    drifted = [s.name for s in scored if s.drift.get("drifted")]
    if drifted:  # a signal for cron, with the numbers above (and in --json)
        logging.getLogger("forecast").warning(
            "drift: %s: live accuracy below what the test period makes plausible; retrain, or see forecast score",
            ", ".join(drifted),
        )
        raise typer.Exit(DRIFTED)


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
    rows = [
        {
            "name": f"step {s['step']}" if s["step"] != "all" else "all steps",
            **s,
            **{f"test_{k}": v for k, v in s["test"].items()},
        }
        for s in one.steps
    ]
    typer.echo(render(rows, COLUMNS, label="ahead"))
    if one.verdict is not None:
        from forecast.scoring.verdict import Verdict

        verdict = Verdict.model_validate(one.verdict)
        typer.echo(paint(f"live, step 1: {verdict.words}", verdict.good))
    for line in drift_lines(one.drift):
        typer.echo(line)


def drift_lines(drift: dict[str, Any]) -> list[str]:
    """What the drift check found, with its numbers (forecast/live/drift.py says how it decides)."""
    skill = drift.get("skill")
    if skill is None:
        return [f"drift     not judged: {drift.get('why', 'no test period')}"]
    if skill.get("p") is None:
        lines = [f"drift     skill: not judged: {skill['why']}"]
    else:
        word = "DRIFT" if skill["drifted"] else "none"
        lines = [
            f"drift     skill: {word}: live mean loss vs naive {skill['live']:+.4g} over {skill['n']} step-1 "
            f"forecasts, test period {skill['test']:+.4g} (99% of test-like samples below "
            f"{skill['test_q99']:+.4g}; p {number(skill['p'], 4, 'p_value')})"
        ]
    for level in ("80", "95"):
        band = drift.get(f"coverage_{level}")
        if band and band.get("p") is not None:
            word = "DRIFT" if band["drifted"] else "none"
            lines.append(
                f"          {level}% band: {word}: held {band['held']:.1%} of {band['n']} live actuals, "
                f"{band['test']:.1%} on the test period (p {number(band['p'], 4, 'p_value')})"
            )
    return lines
