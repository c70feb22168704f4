"""Options and helpers shared by the commands: one name per concept across commands."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from forecast import rundir
from forecast.errors import UsageError

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="FORECAST_DATA_DIR", help="Cache root (default: ./data).", show_default=False),
]
RunsDir = Annotated[
    Path | None,
    typer.Option("--runs-dir", envvar="FORECAST_RUNS_DIR", help="Runs root (default: ./runs).", show_default=False),
]
ModelsDir = Annotated[
    Path | None,
    typer.Option(
        "--models-dir",
        envvar="FORECAST_MODELS_DIR",
        help="Model registry root (default: ./models).",
        show_default=False,
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def extra(name: str) -> str:
    """'forecast[name]' in a help text: rich markup would take [name] for a style tag and drop it."""
    return f"'forecast\\[{name}]'"


MlflowFlag = Annotated[
    bool,
    typer.Option("--mlflow", help=f"Also log the run to MLflow (mlflow.* in the config; needs {extra('mlflow')})."),
]
ConfigPath = Annotated[Path | None, typer.Option("--config", "-c", help="YAML config, e.g. configs/lstm.yaml.")]
Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field: section.key=value (repeatable).", show_default=False),
]

# A universe (data.symbols) fans out one job per symbol, tune one trial per worker; these say where they run.
ExecutorOpt = Annotated[
    Literal["local", "ray"],
    typer.Option(
        "--executor",
        help=f"Where parallel work runs (a universe's symbols, tune's trials): local "
        f"processes here, or ray (pip install {extra('ray')}).",
    ),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Universe: symbols at once (default: one per CPU core; 1 = in this process).",
        show_default=False,
    ),
]
ProcessesOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        show_default=False,
        help="Candidates (compare) or refitted folds (backtest) at once, each in its own process "
        "(default: FORECAST_WORKERS, else one per CPU core; 1 = one after another in this process).",
    ),
]
AddressOpt = Annotated[
    str | None,
    typer.Option(
        "--address",
        help="Ray cluster address, e.g. ray://head:10001 (default: a private local instance).",
        show_default=False,
    ),
]


def complete_run(incomplete: str) -> list[str]:
    """Shell completion for RUN: complete run folders under the runs root ($FORECAST_RUNS_DIR or
    ./runs), newest first; a failed run is still taken when typed out."""
    from forecast.rundir import RunDir, runs_root

    root = runs_root()
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if p.name.startswith(incomplete) and (p / rundir.MANIFEST).is_file()]
    return sorted((n for n in found if RunDir(root / n).manifest().get("status") == "complete"), reverse=True)


SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source",
        envvar="FORECAST_SOURCE",
        show_default=False,
        help="Where the series comes from, over the config's data.source: sample (bundled prices, offline), "
        "yahoo, ... (or FORECAST_SOURCE).",
    ),
]


def checked_source(source: str | None) -> str | None:
    from forecast.data.sources import SOURCES

    if source is not None and source not in SOURCES:
        raise UsageError(f"--source {source!r} is not a source", hint=f"use one of: {', '.join(SOURCES)}")
    return source


def with_source(overrides: list[str] | None, source: str | None) -> list[str]:
    """--source (or FORECAST_SOURCE) is data.source, set before any --set (which wins over it)."""
    if checked_source(source) is None:
        return list(overrides or [])
    return [f"data.source={source}", *(overrides or [])]


def with_mlflow(overrides: list[str] | None, mlflow: bool) -> list[str]:
    """--mlflow is the config field mlflow.enabled, set from the command line."""
    return [*(overrides or []), *(["mlflow.enabled=true"] if mlflow else [])]


def progress(message: str, event: dict[str, Any] | None = None) -> None:
    """A line about work under way: on stderr, silenced by --quiet (results stay on stdout).
    `event`: the same as a JSON object, written instead under json_events()."""
    logging.getLogger("forecast").info(message, extra={"event": event} if event is not None else None)


@contextlib.contextmanager
def json_events(enabled: bool) -> Iterator[None]:
    """With --json, progress lines that carry an event (tune's trials and pace) go to stderr as
    one JSON object a line instead of their text, for a program to follow; stdout keeps the one
    result document, and other lines (warnings, errors) stay text."""

    def as_json(record: logging.LogRecord) -> bool:
        if (event := getattr(record, "event", None)) is not None:
            record.msg, record.args = json.dumps(event, default=str), ()
        return True

    handlers = list(logging.getLogger().handlers) if enabled else []
    for handler in handlers:
        handler.addFilter(as_json)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(as_json)


def colour_enabled(stream: Any = None) -> bool:
    """Colours only on a terminal, never with NO_COLOR set (https://no-color.org) or TERM=dumb."""
    import os
    import sys

    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def paint(text: str, good: bool | None) -> str:
    """Green for better than naive, red for worse; plain text off a terminal."""
    if good is None or not colour_enabled():
        return text
    return typer.style(text, fg=typer.colors.GREEN if good else typer.colors.RED, bold=not good)


def report_of(run: Path) -> str | None:
    """The run's report.html, if it has one (plot.report: false writes none)."""
    path = run / rundir.REPORT
    return str(path) if path.is_file() else None


def echo_report(run: Path) -> None:
    path = report_of(run)
    if path:
        typer.echo(f"report  {path}")


def echo_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


def num(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def table_width() -> int | None:
    """Off a terminal (pipes, cron logs) rich assumes 80 columns and would truncate."""
    import sys

    return None if sys.stdout.isatty() else 160


def print_rich_table(columns: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns)
    for row in rows:
        table.add_row(*row)
    # rich decides colour from the terminal itself and honours NO_COLOR; forecast adds none off a TTY.
    Console(width=table_width(), no_color=not colour_enabled()).print(table)
