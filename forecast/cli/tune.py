"""`forecast tune`: search a config's options, then score the best once on the test part."""

from __future__ import annotations

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
    Overrides,
    RunsDir,
    SourceOpt,
    echo_json,
    echo_report,
    json_events,
    progress,
    report_of,
    with_source,
)
from forecast.cli.train import print_summary, resumable, stage_line
from forecast.errors import UsageError
from forecast.tables import render

log = logging.getLogger("forecast")
SHOWN = 10  # leaderboard rows in the terminal; trials.csv and the report have them all
TrialsOpt = Annotated[
    int | None, typer.Option("--trials", min=1, help="Trials to run (default: tune.trials).", show_default=False)
]
TimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        min=1,
        help="Seconds the search may take: then no trial starts, and running ones stop and count as pruned "
        "(default: tune.timeout).",
        show_default=False,
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Trials at once, each in its own process (default: one per CPU core; 1 = in this process).",
        show_default=False,
    ),
]


def tune(
    config: ConfigPath = None,
    overrides: Overrides = None,
    source: SourceOpt = None,
    trials: TrialsOpt = None,
    timeout: TimeoutOpt = None,
    workers: WorkersOpt = None,
    run_dir: Annotated[Path | None, typer.Option("--run-dir", help="Resume this stopped tune run.")] = None,
    executor: ExecutorOpt = "local",
    address: AddressOpt = None,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Search the config's options (tune.space) by walk-forward backtests inside the training part,
    then train the best configuration once and score it on the test part."""
    from forecast.commands.tune import tune as command
    from forecast.config import load_config

    if config is None and run_dir is None:
        raise UsageError("tune needs --config CONFIG (e.g. configs/lstm.yaml) or --run-dir RUN to resume")
    overrides = with_source(overrides, source)
    resolved = load_config(config, overrides) if config is not None else None
    total = trials or (resolved.tune.trials if resolved else None)

    def told(trial: Any) -> None:
        from forecast.tuning.leaderboard import describe, leaderboard

        row = leaderboard([trial])[0]
        progress(trial_line(row, total) + f"  {describe(row['values'])}", event={"event": "trial", "of": total, **row})

    with resumable("tune", kept="finished trials are kept; ") as on_start, json_events(as_json):
        done = command(
            resolved,
            run_dir=run_dir,
            overrides=overrides if run_dir else None,
            trials=trials,
            timeout=timeout,
            workers=workers,
            runs_dir=runs_dir,
            data_dir=data_dir,
            on_trial=told,
            on_start=on_start,
            executor=executor,
            address=address,
            listener=stage_line,
        )
    if as_json:
        echo_json({"run": str(done.run), "report": report_of(done.run), **done.summary.to_json()})
        return
    print_tune(done)


def trial_line(row: dict[str, Any], total: int | None) -> str:
    of = f"/{total}" if total else ""
    if row["state"] == "failed":
        return f"trial {row['trial']}{of}  failed: {row['error']}"
    if row["rmse"] is None:  # stopped at the time limit before its first fold ended
        score = "no fold scored"
    else:
        score = f"RMSE {row['rmse']:.4f}" + (f" ({row['ratio']:.3f}x naive)" if row["ratio"] is not None else "")
    if row.get("network_rmse") not in (None, row["rmse"]):  # the objective is the combination's
        score += f", network {row['network_rmse']:.4f}"
    after = ""
    if row["state"] == "pruned":  # what it spent: the folds it finished, the epochs it trained
        spent = [f"{row['folds']} fold" + ("s" if row["folds"] != 1 else "")] if row["folds"] else []
        spent += [f"{row['epochs']} epochs"] if row.get("epochs") is not None else []
        after = f" after {', '.join(spent)}" if spent else ""
        after += f" ({row['error']})" if row.get("error") else ""  # stopped at a rung or the time limit
    return f"trial {row['trial']}{of}  {row['state']}{after}  {score}  {row['seconds']:.0f} s"


def print_tune(done: Any) -> None:
    from forecast.tuning.leaderboard import describe
    from forecast.tuning.trials import AT_THE_LIMIT

    summary = done.summary
    typer.echo(f"run   {done.run}")
    counts = summary.trials
    share = f" ({summary.pruned_share:.0%} of the trials' time)" if summary.pruned_share else ""
    typer.echo(
        f"trials {counts['finished']}: {counts['complete']} complete, {counts['pruned']} pruned{share}, "
        f"{counts['failed']} failed; objective: {summary.objective}"
    )
    typer.echo("")
    rows = [
        {**r.model_dump(), "name": str(r.trial), "about": describe(r.values) if r.state != "failed" else r.error}
        for r in done.leaderboard[:SHOWN]
    ]
    combined = any(r.network_rmse not in (None, r.rmse) for r in done.leaderboard)  # the objective: the combination
    columns = [
        ("state", "state", 0),
        ("RMSE", "rmse", 4),
        *([("network", "network_rmse", 4)] if combined else []),
        ("naive", "naive_rmse", 4),
        ("ratio", "ratio", 3),
        ("folds", "folds", 0),
        ("epochs", "epochs", 0),
        ("seconds", "seconds", 0),
        ("values", "about", 0),
    ]
    typer.echo(render(rows, columns, label="trial", text=("state", "about")))
    if len(done.leaderboard) > SHOWN:
        typer.echo(f"... {len(done.leaderboard) - SHOWN} more in {done.run / 'trials.csv'}")
    typer.echo("")
    best, own = summary.best, summary.config_trial
    if best is None:
        stopped = any(r.error == AT_THE_LIMIT for r in done.leaderboard)
        why = "the time limit stopped them: raise --timeout" if stopped else "see the errors above and in trials.csv"
        typer.echo(f"no trial completed: nothing to train; {why}")
        return
    if own is not None and own.state == "complete":
        change = best.rmse / own.rmse - 1
        typer.echo(
            f"best: trial {best.trial}, mean fold RMSE {best.rmse:.4f} vs {own.rmse:.4f} for the "
            f"config as given (trial 0), {change:+.1%}"
        )
    else:
        typer.echo(f"best: trial {best.trial}, mean fold RMSE {best.rmse:.4f}")
    typer.echo(f"its config: {done.best}")
    if done.final is not None:
        typer.echo("")
        typer.echo("the best configuration, trained once and scored on the test part (unseen by the search):")
        print_summary(done.final.path, done.final.metrics)
    echo_report(done.run)
