"""Options and helpers shared by the commands: one name per concept across commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

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
    typer.Option("--models-dir", envvar="FORECAST_MODELS_DIR", help="Model registry root (default: ./models).",
                 show_default=False),
]  # fmt: skip
JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
ConfigPath = Annotated[Path | None, typer.Option("--config", "-c", help="YAML config, e.g. configs/lstm.yaml.")]
Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field: section.key=value (repeatable).", show_default=False),
]

# A universe (data.tickers) fans out one job per symbol; these say where the jobs run.
ExecutorOpt = Annotated[
    Literal["local", "ray"],
    typer.Option("--executor", help="Universe: local (parallel processes here) or ray (pip install 'forecast[ray]')."),
]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--workers", min=1, help="Universe: symbols at once (default: one per CPU core; 1 = in this process).",
                 show_default=False),
]  # fmt: skip
AddressOpt = Annotated[
    str | None,
    typer.Option("--address", help="Ray cluster address, e.g. ray://head:10001 (default: a private local instance).",
                 show_default=False),
]  # fmt: skip


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
    Console(width=table_width()).print(table)
