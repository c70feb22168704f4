"""`forecast train` and `forecast retrain` on a universe: one job per symbol, then one table.

A failed symbol never stops the others; each failure gets one line naming the symbol,
and the command exits with the first failure's exit code after every symbol is done.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from forecast.cli.options import echo_json, num, print_rich_table, progress
from forecast.errors import UsageError, was_interrupted, was_terminated

log = logging.getLogger("forecast")


@contextlib.contextmanager
def _stoppable() -> Iterator[None]:
    """Ctrl-C or SIGTERM stops every symbol's job; each run stopped mid-stage is resumable."""
    try:
        yield
    except (KeyboardInterrupt, Exception) as exc:
        if not was_interrupted(exc):
            raise
        how, code = ("terminated (SIGTERM)", 143) if was_terminated(exc) else ("interrupted", 130)
        typer.echo(f"{how}; resume a stopped symbol's run with: forecast train --run-dir RUN "
                   "(see forecast runs list), or train the universe again", err=True)  # fmt: skip
        raise typer.Exit(code) from None


def _progress(result: dict[str, Any], finished: int, total: int) -> None:
    where = Path(result["run"]).name if result.get("run") else ""
    how = result.get("decision") or result["status"]
    progress(f"[{finished}/{total}] {result['symbol']}: {how} {where}".rstrip())


def train_universe(config: Any, roots: dict[str, Path], executor: str, workers: int | None, address: str | None,
                   as_json: bool) -> None:  # fmt: skip
    from forecast.universe.executors import run_jobs
    from forecast.universe.jobs import payload
    from forecast.universe.members import member_configs

    members = member_configs(config)
    if config.model.scope == "global":
        progress(f"universe  {config.name}: {len(members)} symbols, one global {config.model.kind}")
        if executor != "local" or workers not in (None, 1):
            log.info("a global model trains once, in this process: --executor/--workers do not apply")
        from forecast.universe.pooled import train_global

        with _stoppable():
            index, rows = train_global(config, members, roots["runs"], roots["data"], on_done=_progress)
        progress(f"run       {index.path}")
    else:
        progress(f"universe  {config.name}: {len(members)} symbols, executor {executor}")
        with _stoppable():
            rows = run_jobs([payload("train", m, roots) for m in members], executor, workers, address, _progress)
    if as_json:
        echo_json({"name": config.name, "scope": config.model.scope, "rows": rows})
    else:
        _train_table(rows, config.model.scope == "global")
    worse = [r["symbol"] for r in rows if r["status"] == "done" and not r["beats_naive"]]
    if worse:
        log.warning("worse than the naive forecast on the test part: %s; do not trust their forecasts over naive",
                    ", ".join(worse))  # fmt: skip
    _exit_on_failures(rows)


def _train_table(rows: list[dict[str, Any]], pooled: bool) -> None:
    columns = ["symbol", "run", "RMSE", "naive RMSE", "skill"]
    if pooled:
        columns += ["per-symbol RMSE", "per-symbol skill"]
    body = []
    for r in rows:
        if r["status"] != "done":
            body.append([r["symbol"], Path(r.get("run") or "-").name, "-", "-", "-", *(["-", "-"] if pooled else [])])
            continue
        cells = [r["symbol"], Path(r["run"]).name, num(r["rmse"]), num(r["naive_rmse"]), num(r["skill"], 3)]
        if pooled:
            own = r.get("per_ticker") or {}
            cells += [num(own.get("rmse")), num(own.get("skill"), 3)]
        body.append(cells)
    print_rich_table(columns, body)
    if pooled and any(r.get("status") == "done" and not r.get("per_ticker") for r in rows):
        typer.echo("per-symbol columns: train the same universe with --set model.scope=ticker to fill them in")


def retrain_universe(config: Any, roots: dict[str, Path], force: bool, executor: str, workers: int | None,
                     address: str | None, as_json: bool) -> None:  # fmt: skip
    from forecast.universe.executors import run_jobs
    from forecast.universe.jobs import payload
    from forecast.universe.members import member_configs

    if config.model.scope == "global":
        raise UsageError(
            f"retrain of a global model ({config.name}) is not supported",
            hint="retrain per symbol with --set model.scope=ticker, or retrain with forecast train on a schedule",
        )
    members = member_configs(config)
    with _stoppable():
        rows = run_jobs([payload("retrain", m, roots, force=force) for m in members], executor, workers, address)
    if as_json:
        echo_json({"name": config.name, "rows": rows})
    else:
        for r in rows:  # one line per symbol: what cron mails
            if r["status"] == "done":
                typer.echo(r["line"])
    _exit_on_failures(rows)


def _exit_on_failures(rows: list[dict[str, Any]]) -> None:
    failed = [r for r in rows if r["status"] == "failed"]
    for r in failed:
        typer.echo(f"error: {r['symbol']}: {r['error']}", err=True)
    if failed:
        typer.echo(f"{len(failed)} of {len(rows)} symbols failed; the others finished", err=True)
        raise typer.Exit(failed[0]["exit_code"])
