"""`forecast fetch` and `forecast data list|show`: the local price cache."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from forecast.cli.options import DataDir, JsonFlag, echo_json, print_rich_table
from forecast.data.sources import SPECS
from forecast.errors import ForecastError, UsageError

SOURCE_HELP = ", ".join(f"{s.name} ({s.help})" for s in SPECS.values()) + "."  # from the sources' own specs


def fetch(
    tickers: Annotated[
        list[str], typer.Argument(help="Symbols such as MSFT or ^GSPC; with --source csv, CSV file paths.")
    ],
    source: Annotated[str, typer.Option(help=SOURCE_HELP)] = "yahoo",
    period: Annotated[str | None, typer.Option(help="1d 5d 1mo 3mo 6mo 1y 2y 5y 10y ytd max (default max).")] = None,
    start: Annotated[str | None, typer.Option(help="First date, inclusive (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option(help="Last date, exclusive (YYYY-MM-DD).")] = None,
    interval: Annotated[str, typer.Option(help="Bar size: 1d, 1wk, 1mo, 1h, 5m, ...")] = "1d",
    auto_adjust: Annotated[
        bool, typer.Option("--auto-adjust/--no-auto-adjust", help="Adjust OHLC for splits and dividends.")
    ] = False,
    date_column: Annotated[str, typer.Option(help="CSV: name of the date column.")] = "date",
    repair: Annotated[bool, typer.Option(help="CSV: drop bad rows, sort, de-duplicate (else fail).")] = False,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Fetch prices into the local cache (merging new bars; never shrinking it)."""
    from forecast.config import data_config_from_options
    from forecast.data.sources import fetch as fetch_source
    from forecast.data.store import Cache, data_root

    cache = Cache(data_root(data_dir))
    results: list[dict[str, Any]] = []
    first_error: ForecastError | None = None
    for name in tickers:
        csv_path = source in SPECS and SPECS[source].takes_path
        if not csv_path and name.lower().endswith(".csv"):
            raise UsageError(
                f"{name} looks like a CSV file, not a ticker", hint=f"run: forecast fetch {name} --source csv"
            )
        try:
            config = data_config_from_options(
                source=source,
                ticker=None if csv_path else name,
                path=name if csv_path else None,
                period=period,
                start=start,
                end=end,
                interval=interval,
                auto_adjust=auto_adjust,
                date_column=date_column,
                repair=repair,
            )
            saved = cache.save(config, fetch_source(config))
        except ForecastError as exc:
            if len(tickers) == 1:
                raise
            # Several tickers: report this one, go on with the rest, fail at the end.
            typer.echo(f"error: {name}: {exc.message}" + (f"; {exc.hint}" if exc.hint else ""), err=True)
            results.append({"ticker": name, "error": exc.message, "exit_code": exc.exit_code})
            first_error = first_error or exc
            continue
        meta = saved.meta
        results.append({**meta, "path": str(saved.path), "added": saved.added, "revised": saved.revised})
        if not as_json:
            typer.echo(
                f"{meta['symbol']:<8} {meta['source']:<9} {meta['rows']:>6} bars  "
                f"{meta['first'][:10]} .. {meta['last'][:10]}  (+{saved.added} new)  {saved.path}"
            )
    if as_json:
        echo_json(results)
    if first_error is not None:
        raise typer.Exit(first_error.exit_code)


def data_list(data_dir: DataDir = None, as_json: JsonFlag = False) -> None:
    """List what is in the cache."""
    from forecast.data.store import Cache, data_root

    root = data_root(data_dir)
    entries = Cache(root).entries()
    if as_json:
        echo_json(entries)
        return
    if not entries:
        typer.echo(f"cache {root} is empty; fill it with: forecast fetch MSFT --source sample")
        return
    columns = ["symbol", "source", "interval", "rows", "first", "last", "adjusted", "fetched at (UTC)"]
    rows = [
        [e["symbol"], e["source"], "", "", "", "", "", f"[red]{e['error']}[/red]"] if "error" in e else [
            e["symbol"], e["source"], e["interval"], str(e["rows"]), e["first"][:10], e["last"][:10],
            ",".join(e["adjusted_columns"]) or "-", e["fetched_at"][:19],
        ]
        for e in entries
    ]  # fmt: skip
    print_rich_table(columns, rows)


def data_show(
    ticker: Annotated[str, typer.Argument(help="Symbol as cached, e.g. MSFT.")],
    source: Annotated[str | None, typer.Option(help="Only this source (default: every source).")] = None,
    interval: Annotated[str, typer.Option(help="Bar size.")] = "1d",
    rows: Annotated[int, typer.Option(min=0, help="Rows to show from each end.")] = 5,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Show one cached series: provenance and its first and last rows."""
    import pandas as pd

    from forecast.data.sources import SOURCES
    from forecast.data.store import Cache, data_root
    from forecast.data.symbols import normalise_ticker
    from forecast.errors import MissingInputError

    try:
        symbol = normalise_ticker(ticker)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if source is not None and source not in SOURCES:
        raise UsageError(f"--source {source!r} is not one of {', '.join(SOURCES)}")
    cache = Cache(data_root(data_dir))
    found = [(s, hit) for s in ([source] if source else SOURCES) if (hit := cache.find(s, symbol, interval))]
    if not found:
        raise MissingInputError(
            f"{symbol} ({interval}) is not in the cache {cache.root}",
            hint=f"run: forecast fetch {symbol}  (or see: forecast data list)",
        )
    if as_json:
        echo_json([meta for _, (_, meta) in found])
        return
    for _, (frame, meta) in found:
        for key, value in meta.items():
            typer.echo(f"{key:>16}: {value}")
        if rows:
            ends = frame if len(frame) <= 2 * rows else pd.concat([frame.head(rows), frame.tail(rows)])
            typer.echo(ends.to_string())
        typer.echo("")
