"""`forecast retrain`, `forecast schedule` and `forecast models ...`: the champion model of each config."""

from __future__ import annotations

import logging
import sys
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
    ModelsDir,
    Overrides,
    RunsDir,
    SourceOpt,
    WorkersOpt,
    complete_run,
    echo_json,
    num,
    print_rich_table,
    with_mlflow,
    with_source,
)
from forecast.cli.train import stage_line
from forecast.cli.universe import print_retrained, stoppable_universe
from forecast.errors import UsageError
from forecast.tables import stamp

log = logging.getLogger("forecast")

NameArg = Annotated[str, typer.Argument(help="Model name: the config's name, e.g. lstm.")]


def retrain(
    config: ConfigPath = None,
    overrides: Overrides = None,
    source: SourceOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Train even when no new bar arrived.")] = False,
    when_drifted: Annotated[
        bool,
        typer.Option("--when-drifted", help="Only when forecast score finds the champion's live forecasts drifted."),
    ] = False,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    models_dir: ModelsDir = None,
    executor: ExecutorOpt = "local",
    workers: WorkersOpt = None,
    address: AddressOpt = None,
    mlflow: MlflowFlag = False,
    as_json: JsonFlag = False,
) -> None:
    """Fetch new bars, train a challenger, and promote it only if it beats the champion and naive.

    A universe config (data.symbols) retrains every symbol's model (<name>-<symbol>), one line each.
    """
    from forecast.commands.retrain import retrain as command
    from forecast.config import load_config

    if config is None:
        raise UsageError("retrain needs --config CONFIG (e.g. configs/lstm.yaml)")
    resolved = load_config(config, with_mlflow(with_source(overrides, source), mlflow))
    roots = {"runs_dir": runs_dir, "data_dir": data_dir, "models_dir": models_dir}
    if resolved.data.universe:
        with stoppable_universe():
            universe = command(resolved, **roots, force=force, executor=executor, workers=workers, address=address)
        return print_retrained(universe, as_json)
    on_tty = sys.stderr.isatty()
    with _quiet_unless(on_tty):
        outcome = command(
            resolved, **roots, force=force, listener=stage_line if on_tty else None, when_drifted=when_drifted
        )
    if as_json:
        echo_json({"name": outcome.name, **outcome.record})
    else:
        typer.echo(outcome.summary())


class _quiet_unless:
    """Off a terminal (cron), only warnings and errors reach stderr; the run's retrain.log has everything."""

    def __init__(self, on_tty: bool) -> None:
        self.on_tty = on_tty
        self.saved: list[tuple[logging.Handler, int]] = []

    def __enter__(self) -> None:
        if self.on_tty:
            return
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                self.saved.append((handler, handler.level))
                handler.setLevel(max(handler.level, logging.WARNING))

    def __exit__(self, *exc: object) -> None:
        for handler, level in self.saved:
            handler.setLevel(level)


def schedule(
    config: ConfigPath = None,
    cron: Annotated[str, typer.Option("--cron", help='When, as cron fields: "30 22 * * 1-5" (22:30 Mon-Fri).')] = (
        "30 22 * * 1-5"
    ),
    predict: Annotated[
        bool, typer.Option("--predict/--retrain-only", help="After each retrain, publish the champion's forecast.")
    ] = True,
    score_cron: Annotated[
        str | None,
        typer.Option("--score-cron", help='When forecast score checks the published forecasts ("none": never).'),
    ] = "0 8 * * 1",
    install: Annotated[bool, typer.Option("--install", help="Add the lines to your crontab (once).")] = False,
    log_file: Annotated[
        Path | None, typer.Option("--log", help="Where cron appends the output (default: logs/retrain-<name>.log).")
    ] = None,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    models_dir: ModelsDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Print (or --install) the crontab lines of a model's routine: every evening retrain, then
    predict with the champion; every week, forecast score (exit 3 on drift)."""
    from forecast.commands.schedule import MARK, SCORE_MARK, crontab_line, install_line, score_line
    from forecast.config import load_config
    from forecast.data.store import data_root
    from forecast.registry.registry import models_root
    from forecast.rundir import runs_root

    if config is None:
        raise UsageError("schedule needs --config CONFIG (e.g. configs/lstm.yaml)")
    resolved = load_config(config)
    name = resolved.name
    log_path = (log_file or Path("logs") / f"retrain-{name}.log").resolve()
    roots = (log_path, runs_root(runs_dir), data_root(data_dir), models_root(models_dir))
    lines = [(crontab_line(cron, name, config, *roots, predict=predict), f"{MARK}{name}")]
    if score_cron and score_cron.lower() != "none":
        lines.append((score_line(score_cron, name, *roots), f"{SCORE_MARK}{name}"))
    changed = [install_line(line, mark) for line, mark in lines] if install else None
    if install:  # the folder cron appends to must exist before its first evening
        log_path.parent.mkdir(parents=True, exist_ok=True)
    elif not log_path.parent.is_dir():  # printing changes nothing: say what the lines need
        logging.getLogger("forecast").warning(
            "%s does not exist yet: create it (mkdir -p %s) before cron runs these lines, or use --install",
            log_path.parent,
            log_path.parent,
        )
    if as_json:
        echo_json(
            {
                "name": name,
                "line": lines[0][0],
                "score_line": lines[1][0] if len(lines) > 1 else None,
                "installed": install,
                "changed": any(changed) if changed is not None else None,
            }
        )
        return
    for k, (line, _) in enumerate(lines):
        typer.echo(line if changed is None else ("installed: " if changed[k] else "already installed: ") + line)


# --- forecast models ...  ------------------------------------------------------------


def models_list(models_dir: ModelsDir = None, as_json: JsonFlag = False) -> None:
    """List models: champion run, data end, holdout RMSE vs naive, last retrain."""
    from forecast.commands.models import list_models
    from forecast.registry.registry import models_root

    root = models_root(models_dir)
    rows = list_models(models_dir)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo(f"no models under {root}; create one with: forecast retrain --config configs/lstm.yaml")
        return
    print_rich_table(
        ["model", "champion", "data end", "holdout RMSE", "naive RMSE", "last retrain", "decision"],
        [
            [
                r["name"],
                Path(r["champion"]).name if r["champion"] else "-",
                r["data_end"] or "-",
                num(r["rmse"]),
                num(r["naive_rmse"]),
                stamp(r["last_retrain"]),
                r["last_decision"] or "-",
            ]
            for r in rows
        ],
    )


def models_show(
    name: NameArg,
    models_dir: ModelsDir = None,
    runs_dir: RunsDir = None,
    data_dir: DataDir = None,
    last: Annotated[int, typer.Option("--last", min=1, help="History lines to show.")] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Show a model: its champion (holdout and live figures) and its latest retrain decisions."""
    from forecast.registry.registry import Registry, models_root

    registry = Registry.open(models_root(models_dir), name)
    champion, history = registry.champion(), registry.history()
    live = live_figures(name, champion, runs_dir, data_dir)
    if as_json:
        echo_json({"name": name, "champion": champion, "live": live, "history": history[-last:]})
        return
    if champion:
        scores = champion.get("scores") or {}
        typer.echo(f"champion  {champion['run']}")
        when = f"promoted {champion.get('promoted')} ({champion.get('how')})"
        typer.echo(
            f"          {champion.get('symbol')} data to {champion.get('data_end')}, {when}; "
            f"holdout RMSE {num(scores.get('rmse'))} vs naive {num(scores.get('naive_rmse'))}"
        )
        typer.echo(live_line(live))
    else:
        typer.echo("champion  none yet (no model has been promoted)")
    finished = {r.get("run") for r in history if r.get("decision") != "started"}
    for record in [r for r in history if r.get("decision") != "started" or r.get("run") not in finished][-last:]:
        if record.get("decision") == "started":  # no outcome followed: the process died or was stopped
            record = {**record, "decision": "interrupted", "reason": "the retrain did not finish"}
        run = Path(record["run"]).name if record.get("run") else ""
        typer.echo(f"{stamp(record.get('time'))}  {record.get('decision', '?'):<10}  {run}  {record.get('reason', '')}")


def live_figures(name: str, champion: dict[str, Any] | None, runs_dir: Any, data_dir: Any) -> dict[str, Any] | None:
    """The champion's live figures (forecast score over its own logged forecasts), or None."""
    if champion is None:
        return None
    from forecast.commands.score import score_models
    from forecast.errors import NothingToScore

    try:
        (live,) = score_models(name, model_run=champion["run"], runs_dir=runs_dir, data_dir=data_dir)
    except NothingToScore:
        return None
    return {
        "forecasts": live.forecasts,
        "pending": live.pending,
        **(live.steps[0] if live.steps else {}),
        "drifted": bool(live.drift.get("drifted")),
    }


def live_line(live: dict[str, Any] | None) -> str:
    if live is None:
        return "          live: no forecast of this champion logged yet (forecast predict --model logs them)"
    if "rmse" not in live:
        return f"          live: {live['pending']} forecast(s) waiting for their actuals"
    drift = "; DRIFT (forecast score says why)" if live["drifted"] else ""
    return (
        f"          live RMSE {num(live['rmse'])} vs naive {num(live['naive_rmse'])} from the same origins over "
        f"{live['n']} steps of {live['forecasts']} forecast(s){drift}"
    )


def models_promote(
    name: NameArg,
    run: Annotated[
        str,
        typer.Argument(help="Run directory (or its name under the runs root) to serve.", autocompletion=complete_run),
    ],
    models_dir: ModelsDir = None,
    runs_dir: RunsDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Make a finished run the champion by hand (recorded in the history)."""
    from forecast.commands.models import promote

    record = promote(name, run, models_dir=models_dir, runs_dir=runs_dir)
    if as_json:
        echo_json({"name": name, "champion": record["run"], "record": record})
    else:
        typer.echo(f"{name}: champion is now {record['run']}")


def models_rollback(name: NameArg, models_dir: ModelsDir = None, as_json: JsonFlag = False) -> None:
    """Serve the previous champion again (recorded in the history)."""
    from forecast.commands.models import rollback

    restored = rollback(name, models_dir=models_dir)
    if as_json:
        echo_json({"name": name, "champion": restored["run"], "restored": restored})
    else:
        typer.echo(f"{name}: champion is now {restored['run']} again")
