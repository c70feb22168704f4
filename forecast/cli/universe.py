"""How `forecast train` and `forecast retrain` show a universe: a line per finished symbol,
then one table (train) or one line per symbol (retrain), failures on stderr.

A failed symbol never stops the others; each failure gets one line naming the symbol,
and the command exits with the first failure's exit code after every symbol is done.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from forecast.cli.options import echo_json, num, print_rich_table, progress
from forecast.errors import was_interrupted, was_terminated


@contextlib.contextmanager
def stoppable_universe() -> Iterator[None]:
    """Ctrl-C or SIGTERM stops every symbol's job; each run stopped mid-stage is resumable."""
    try:
        yield
    except (KeyboardInterrupt, Exception) as exc:
        if not was_interrupted(exc):
            raise
        how, code = ("terminated (SIGTERM)", 143) if was_terminated(exc) else ("interrupted", 130)
        typer.echo(
            f"{how}; resume a stopped symbol's run with: forecast train --run-dir RUN "
            "(see forecast runs list), or train the universe again",
            err=True,
        )
        raise typer.Exit(code) from None


def member_line(result: dict[str, Any], finished: int, total: int) -> None:
    where = Path(result["run"]).name if result.get("run") else ""
    how = result.get("decision") or result["status"]
    progress(f"[{finished}/{total}] {result['symbol']}: {how} {where}".rstrip())


def print_universe(universe: Any, as_json: bool) -> None:
    """A universe's train: the table, the worse-than-naive warning, failures and their exit code."""
    rows = universe.rows
    if as_json:
        echo_json({"name": universe.name, "scope": universe.scope, "rows": rows})
    else:
        _train_table(rows, universe.scope == "global")
    exit_on_failures(rows)


def print_retrained(universe: Any, as_json: bool) -> None:
    if as_json:
        echo_json({"name": universe.name, "rows": universe.rows})
    else:
        for r in universe.rows:  # one line per symbol: what cron mails
            if r["status"] == "done":
                typer.echo(r["line"])
    exit_on_failures(universe.rows)


def _train_table(rows: list[dict[str, Any]], is_global: bool) -> None:
    from forecast.scoring.verdict import Verdict

    columns = ["symbol", "run", "RMSE", "naive RMSE", "skill", "verdict"]
    if is_global:
        columns += ["per-symbol RMSE", "per-symbol skill"]
    body = []
    for r in rows:
        if r["status"] != "done":
            dashes = ["-", "-"] if is_global else []
            body.append([r["symbol"], Path(r.get("run") or "-").name, "-", "-", "-", "-", *dashes])
            continue
        said = Verdict.model_validate(r["verdict"]).short if r.get("verdict") else "-"
        cells = [r["symbol"], Path(r["run"]).name, num(r["rmse"]), num(r["naive_rmse"]), num(r["skill"], 3), said]
        if is_global:
            own = r.get("per_symbol") or {}
            cells += [num(own.get("rmse")), num(own.get("skill"), 3)]
        body.append(cells)
    print_rich_table(columns, body)
    if is_global and any(r.get("status") == "done" and not r.get("per_symbol") for r in rows):
        typer.echo("per-symbol columns: train the same universe with --set model.scope=symbol to fill them in")


def exit_on_failures(rows: list[dict[str, Any]]) -> None:
    failed = [r for r in rows if r["status"] == "failed"]
    for r in failed:
        typer.echo(f"error: {r['symbol']}: {r['error']}", err=True)
    if failed:
        typer.echo(f"{len(failed)} of {len(rows)} symbols failed; the others finished", err=True)
        raise typer.Exit(failed[0]["exit_code"])
