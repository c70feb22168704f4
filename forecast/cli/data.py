"""`forecast fetch` and `forecast data list|show`: the local price cache."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from forecast.cli.options import DataDir, JsonFlag, echo_json, print_rich_table
from forecast.data.sources import SPECS
from forecast.tables import stamp

SOURCE_HELP = ", ".join(f"{s.name} ({s.help})" for s in SPECS.values()) + "."  # from the sources' own specs


def fetch(
    symbols: Annotated[
        list[str], typer.Argument(help="Symbols such as MSFT or ^GSPC; with --source csv, CSV file paths.")
    ],
    source: Annotated[str, typer.Option(envvar="FORECAST_SOURCE", help=SOURCE_HELP)] = "yahoo",
    period: Annotated[str | None, typer.Option(help="1d 5d 1mo 3mo 6mo 1y 2y 5y 10y ytd max (default max).")] = None,
    start: Annotated[str | None, typer.Option(help="First date, inclusive (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option(help="Last date, exclusive (YYYY-MM-DD).")] = None,
    interval: Annotated[str, typer.Option(help="Bar size: 1d, 1wk, 1mo, 1h, 5m, ...")] = "1d",
    auto_adjust: Annotated[
        bool, typer.Option("--auto-adjust/--no-auto-adjust", help="Adjust OHLC for splits and dividends.")
    ] = False,
    date_column: Annotated[str, typer.Option(help="CSV: name of the date column.")] = "date",
    date_format: Annotated[
        str | None, typer.Option(help="CSV: format of its dates, e.g. %d/%m/%Y (needed when they read both ways).")
    ] = None,
    repair: Annotated[bool, typer.Option(help="CSV: drop bad rows, sort, de-duplicate (else fail).")] = False,
    accept_revision: Annotated[
        bool,
        typer.Option(
            "--accept-revision",
            help="Accept the source's revised history (a bar it removed): its answer replaces the cached bars over "
            "its span; the cache as it was is kept as .before-revision.",
        ),
    ] = False,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Fetch prices into the local cache (merging new bars; never shrinking it)."""
    from forecast.commands.fetch import fetch as command

    def line(result: dict[str, Any]) -> None:
        if "error" in result:  # one of several symbols failed: said here, the others go on
            hint = f"; {result['hint']}" if result.get("hint") else ""
            typer.echo(f"error: {result['symbol']}: {result['error']}{hint}", err=True)
        elif not as_json:
            typer.echo(
                f"{result['symbol']:<8} {result['source']:<9} {result['rows']:>6} bars  "
                f"{result['first'][:10]} .. {result['last'][:10]}  (+{result['added']} new)  {result['path']}"
            )

    results = command(
        symbols,
        source=source,
        period=period,
        start=start,
        end=end,
        interval=interval,
        auto_adjust=auto_adjust,
        date_column=date_column,
        date_format=date_format,
        repair=repair,
        accept_revision=accept_revision,
        data_dir=data_dir,
        on_each=line,
    )
    if as_json:
        echo_json([{k: v for k, v in r.items() if k != "hint"} for r in results])
    failed = [r for r in results if "error" in r]
    if failed:
        raise typer.Exit(failed[0]["exit_code"])


def data_list(data_dir: DataDir = None, as_json: JsonFlag = False) -> None:
    """List what is in the cache."""
    from forecast.commands.fetch import cached
    from forecast.data import data_root

    root = data_root(data_dir)
    entries = cached(data_dir)
    if as_json:
        echo_json(entries)
        return
    if not entries:
        typer.echo(f"cache {root} is empty; fill it with: forecast fetch MSFT --source sample")
        return
    columns = ["symbol", "source", "interval", "frequency", "rows", "first", "last", "adjusted", "fetched at (UTC)"]
    rows = [
        [e["symbol"], e["source"], "", "", "", "", "", "", f"[red]{e['error']}[/red]"]
        if "error" in e
        else [
            e["symbol"],
            e["source"],
            e["interval"],
            e.get("frequency") or "-",
            str(e["rows"]),
            e["first"][:10],
            e["last"][:10],
            ",".join(e["adjusted_columns"]) or "-",
            stamp(e["fetched_at"]),
        ]
        for e in entries
    ]
    print_rich_table(columns, rows)


def data_show(
    symbol: Annotated[str, typer.Argument(help="Symbol as cached, e.g. MSFT, or the CSV file it was fetched from.")],
    source: Annotated[str | None, typer.Option(help="Only this source (default: every source).")] = None,
    interval: Annotated[str, typer.Option(help="Bar size (Yahoo); other sources are found by symbol alone.")] = "1d",
    rows: Annotated[int, typer.Option(min=0, help="Rows to show from each end.")] = 5,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Show one cached series: provenance and its first and last rows."""
    import pandas as pd

    from forecast.commands.fetch import show_cached

    found = show_cached(symbol, source, interval, data_dir)
    if as_json:
        echo_json([meta for _, meta in found])
        return
    for frame, meta in found:
        for key, value in meta.items():
            typer.echo(f"{key:>16}: {value}")
        if rows:
            ends = frame if len(frame) <= 2 * rows else pd.concat([frame.head(rows), frame.tail(rows)])
            typer.echo(ends.to_string())
        typer.echo("")
